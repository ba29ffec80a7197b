//! The proxy: an accept loop, and per connection two pumps (client → server, which frames
//! requests and decides faults; server → client, which cuts a response when told to).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::config::{FaultConfig, FaultKind};
use crate::counts::{Counters, FaultCounts};
use crate::http::{self, BodyLength, MAX_HEAD};

/// Why the proxy could not start or keep listening.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    /// The [`FaultConfig`] makes no sense.
    #[error("fault proxy: invalid config: {reason}")]
    Config {
        /// What is wrong, in words.
        reason: String,
    },
    /// The listening socket could not be opened.
    #[error("fault proxy: listening on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// After an outage the proxy could not listen on its port again.
    #[error("fault proxy: listening again on {addr} after an outage: {message}")]
    Rebind {
        /// The proxy's address.
        addr: SocketAddr,
        /// The last error.
        message: String,
    },
}

/// How long the proxy keeps trying to listen again after an outage.
const REBIND_PATIENCE: Duration = Duration::from_secs(5);
/// Bytes read from a socket at a time.
const CHUNK: usize = 64 * 1024;

struct Shared {
    upstream: SocketAddr,
    config: Mutex<FaultConfig>,
    counters: Counters,
    next_connection: AtomicU64,
    /// Bumped to close every open connection (an outage, the proxy dropped).
    epoch: watch::Sender<u64>,
    /// When the current outage ends, if one is under way.
    outage_until: Mutex<Option<Instant>>,
    /// Wakes the accept loop to close its socket.
    outage_started: Notify,
    rebind_error: Mutex<Option<String>>,
    /// Faults still allowed under [`FaultConfig::max_faults`] (`None`: no limit).
    faults_left: Mutex<Option<u64>>,
}

/// A poisoned lock only means another connection task panicked; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn begin_outage(&self, duration: Duration) {
        let until = Instant::now() + duration;
        {
            let mut current = lock(&self.outage_until);
            *current = Some(current.map_or(until, |u| u.max(until)));
        }
        self.counters.fault(FaultKind::Outage);
        self.epoch.send_modify(|e| *e = e.wrapping_add(1));
        self.outage_started.notify_one();
    }

    /// Takes one fault from the budget; false when it is spent.
    fn take_fault(&self) -> bool {
        let mut left = lock(&self.faults_left);
        match left.as_mut() {
            None => true,
            Some(0) => false,
            Some(n) => {
                *n -= 1;
                true
            }
        }
    }

    fn in_outage(&self) -> bool {
        lock(&self.outage_until).is_some_and(|until| until > Instant::now())
    }
}

/// A running fault proxy on `127.0.0.1` (see the crate docs). Dropping it closes every
/// connection and the listening socket.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.shared.upstream)
            .finish_non_exhaustive()
    }
}

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    // The port is reopened after each outage: allow it while old connections sit in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port that forwards to `upstream` (must be called
    /// inside a tokio runtime, which runs the proxy's tasks).
    pub async fn start(
        upstream: SocketAddr,
        config: FaultConfig,
    ) -> Result<FaultProxy, FaultError> {
        config.validate()?;
        let wanted = SocketAddr::from(([127, 0, 0, 1], 0));
        let bind_error = |source| FaultError::Bind {
            addr: wanted,
            source,
        };
        let listener = listen(wanted).map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let shared = Arc::new(Shared {
            upstream,
            faults_left: Mutex::new(config.max_faults),
            config: Mutex::new(config),
            counters: Counters::default(),
            next_connection: AtomicU64::new(0),
            epoch: watch::Sender::new(0),
            outage_until: Mutex::new(None),
            outage_started: Notify::new(),
            rebind_error: Mutex::new(None),
        });
        let accept = tokio::spawn(accept_loop(shared.clone(), listener, addr));
        Ok(FaultProxy {
            addr,
            shared,
            accept,
        })
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The proxy as an HTTP endpoint URL, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces the configuration; requests read from now on use it. Connections opened from
    /// now on seed their RNG from its seed.
    pub fn set_config(&self, config: FaultConfig) -> Result<(), FaultError> {
        config.validate()?;
        *lock(&self.shared.faults_left) = config.max_faults;
        *lock(&self.shared.config) = config;
        Ok(())
    }

    /// What the proxy has seen and done so far.
    pub fn counts(&self) -> FaultCounts {
        self.shared.counters.snapshot()
    }

    /// Starts an outage now: every connection is closed and new ones are refused for
    /// `duration` (counted as a [`FaultKind::Outage`]).
    pub fn begin_outage(&self, duration: Duration) {
        self.shared.begin_outage(duration);
    }

    /// Whether the proxy is still listening (it stops only if it cannot reopen its port after
    /// an outage).
    pub fn check(&self) -> Result<(), FaultError> {
        match lock(&self.shared.rebind_error).clone() {
            Some(message) => Err(FaultError::Rebind {
                addr: self.addr,
                message,
            }),
            None => Ok(()),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.shared.epoch.send_modify(|e| *e = e.wrapping_add(1));
    }
}

enum Event {
    Accepted(std::io::Result<TcpStream>),
    Outage,
}

async fn accept_loop(shared: Arc<Shared>, mut listener: TcpListener, addr: SocketAddr) {
    loop {
        let event = tokio::select! {
            accepted = listener.accept() => Event::Accepted(accepted.map(|(stream, _)| stream)),
            () = shared.outage_started.notified() => Event::Outage,
        };
        match event {
            Event::Accepted(Ok(client)) => {
                tokio::spawn(serve(shared.clone(), client));
            }
            // Out of file descriptors and the like: back off instead of spinning.
            Event::Accepted(Err(_)) => tokio::time::sleep(Duration::from_millis(10)).await,
            Event::Outage => {
                // Closing the socket is what makes connection attempts fail with "refused".
                drop(listener);
                loop {
                    let until = *lock(&shared.outage_until);
                    match until {
                        Some(until) if until > Instant::now() => {
                            tokio::time::sleep_until(until.into()).await;
                        }
                        _ => break,
                    }
                }
                *lock(&shared.outage_until) = None;
                listener = match rebind(addr).await {
                    Ok(listener) => listener,
                    Err(message) => {
                        *lock(&shared.rebind_error) = Some(message);
                        return;
                    }
                };
            }
        }
    }
}

async fn rebind(addr: SocketAddr) -> Result<TcpListener, String> {
    let started = Instant::now();
    loop {
        match listen(addr) {
            Ok(listener) => return Ok(listener),
            Err(e) if started.elapsed() > REBIND_PATIENCE => return Err(e.to_string()),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

async fn serve(shared: Arc<Shared>, client: TcpStream) {
    let number = shared.next_connection.fetch_add(1, Ordering::Relaxed);
    shared.counters.connection();
    let mut epoch = shared.epoch.subscribe();
    // Accepted in the instant before an outage closed the socket: treat it as refused.
    if shared.in_outage() {
        return;
    }
    let Ok(upstream) = TcpStream::connect(shared.upstream).await else {
        return;
    };
    // Small requests and heads go out at once, as they would without the proxy.
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let seed = lock(&shared.config).seed;
    // Golden-ratio mixing keeps the seeds of neighbouring connections far apart.
    let rng = StdRng::seed_from_u64(seed ^ number.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    tokio::select! {
        () = relay(&shared, rng, client, upstream) => {}
        _ = epoch.changed() => {}
    }
}

/// An instruction from the request pump to the response pump: cut the next response.
#[derive(Debug, Clone, Copy)]
struct CutOrder {
    to_head_request: bool,
    /// A random number; the cut falls at `point % response length`.
    point: u64,
}

async fn relay(shared: &Shared, rng: StdRng, client: TcpStream, upstream: TcpStream) {
    let (client_read, client_write) = client.into_split();
    let (upstream_read, upstream_write) = upstream.into_split();
    // The request pump writes to the client only to answer a request itself, which happens
    // strictly between two responses (the client waits for one before sending the next request).
    let client_write = tokio::sync::Mutex::new(client_write);
    let cut = Mutex::new(None);
    // Whichever pump stops first ends the connection: both sockets close when this returns.
    tokio::select! {
        _ = request_pump(shared, rng, client_read, &client_write, upstream_write, &cut) => {}
        _ = response_pump(shared, upstream_read, &client_write, &cut) => {}
    }
}

fn draw(
    shared: &Shared,
    rng: &mut StdRng,
    config: &FaultConfig,
    head: &http::RequestHead,
) -> Option<FaultKind> {
    let total = config.weights.total();
    if config.fault_rate <= 0.0
        || total == 0
        || !config.target.matches(&head.method, &head.path)
        || rng.random::<f64>() >= config.fault_rate
        || !shared.take_fault()
    {
        return None;
    }
    config.weights.pick(rng.random_range(0..total))
}

/// Appends what the socket has (up to [`CHUNK`] bytes) to `buf`; 0 means the peer closed.
async fn read_more(from: &mut OwnedReadHalf, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let start = buf.len();
    buf.resize(start + CHUNK, 0);
    let read = from.read(&mut buf[start..]).await;
    buf.truncate(start + *read.as_ref().unwrap_or(&0));
    read
}

/// Moves `n` bytes of the client's stream (first what `buf` holds, then from the socket) to `to`,
/// or discards them when `to` is `None`. Bytes past `n` stay in `buf`.
async fn pass(
    buf: &mut Vec<u8>,
    from: &mut OwnedReadHalf,
    mut to: Option<&mut OwnedWriteHalf>,
    mut n: u64,
) -> std::io::Result<()> {
    loop {
        let take = usize::try_from(n).unwrap_or(usize::MAX).min(buf.len());
        if let Some(to) = to.as_mut() {
            to.write_all(&buf[..take]).await?;
        }
        buf.drain(..take);
        n -= take as u64;
        if n == 0 {
            return Ok(());
        }
        if read_more(from, buf).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
    }
}

/// Relays the rest of the connection untouched (a message the proxy cannot frame).
async fn relay_rest(
    buf: &[u8],
    from: &mut OwnedReadHalf,
    to: &mut OwnedWriteHalf,
) -> std::io::Result<()> {
    to.write_all(buf).await?;
    tokio::io::copy(from, to).await?;
    Ok(())
}

async fn request_pump(
    shared: &Shared,
    mut rng: StdRng,
    mut client: OwnedReadHalf,
    client_write: &tokio::sync::Mutex<OwnedWriteHalf>,
    mut upstream: OwnedWriteHalf,
    cut: &Mutex<Option<CutOrder>>,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(CHUNK);
    loop {
        let head = loop {
            match http::parse_request(&buf) {
                Ok(Some(head)) => break head,
                Ok(None) if buf.len() < MAX_HEAD => {}
                _ => return relay_rest(&buf, &mut client, &mut upstream).await,
            }
            if read_more(&mut client, &mut buf).await? == 0 {
                return Ok(());
            }
        };
        // A new request means the previous response was read in full.
        *lock(cut) = None;
        shared.counters.request();
        let BodyLength::Exact(body) = head.body else {
            return relay_rest(&buf, &mut client, &mut upstream).await;
        };
        let total = head.len as u64 + body;
        let config = lock(&shared.config).clone();
        match draw(shared, &mut rng, &config, &head) {
            None => {}
            Some(FaultKind::Delay) => {
                let pause = rng.random_range(config.delay.0..=config.delay.1);
                shared.counters.fault(FaultKind::Delay);
                tokio::time::sleep(pause).await;
            }
            Some(FaultKind::DropRequest) => {
                let sent = rng.random_range(0..total);
                pass(&mut buf, &mut client, Some(&mut upstream), sent).await?;
                shared.counters.fault(FaultKind::DropRequest);
                return Ok(());
            }
            Some(FaultKind::DropResponse) => {
                // Set before the request goes out: every response byte read from now on is
                // this request's.
                *lock(cut) = Some(CutOrder {
                    to_head_request: head.is_head,
                    point: rng.random(),
                });
            }
            Some(kind @ (FaultKind::Status500 | FaultKind::Status503)) => {
                pass(&mut buf, &mut client, None, total).await?;
                let status = if kind == FaultKind::Status500 {
                    500
                } else {
                    503
                };
                let mut to_client = client_write.lock().await;
                to_client.write_all(&http::status_response(status)).await?;
                // Best effort: the connection closes either way.
                let _ = to_client.shutdown().await;
                shared.counters.fault(kind);
                return Ok(());
            }
            Some(FaultKind::Outage) => {
                let length = rng.random_range(config.outage.0..=config.outage.1);
                shared.begin_outage(length);
                return Ok(());
            }
        }
        pass(&mut buf, &mut client, Some(&mut upstream), total).await?;
    }
}

enum ResponseState {
    Forward,
    /// Reading the head of the response to cut, to learn its length.
    Collecting {
        order: CutOrder,
        head: Vec<u8>,
    },
    /// Passing `remaining` more bytes, then cutting.
    Cutting {
        remaining: u64,
    },
}

async fn response_pump(
    shared: &Shared,
    mut upstream: OwnedReadHalf,
    client_write: &tokio::sync::Mutex<OwnedWriteHalf>,
    cut: &Mutex<Option<CutOrder>>,
) -> std::io::Result<()> {
    let mut chunk = vec![0u8; CHUNK];
    let mut state = ResponseState::Forward;
    loop {
        let n = upstream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        let mut data = chunk[..n].to_vec();
        if let ResponseState::Forward = state
            && let Some(order) = lock(cut).take()
        {
            state = ResponseState::Collecting {
                order,
                head: Vec::new(),
            };
        }
        if let ResponseState::Collecting { order, head } = &mut state {
            head.extend_from_slice(&data);
            let length = match http::parse_response(head, order.to_head_request) {
                Ok(None) if head.len() < MAX_HEAD => continue,
                Ok(Some(parsed)) => {
                    let body = match parsed.body {
                        BodyLength::Exact(n) => n,
                        // Unknown length: cut inside the head, which is surely there.
                        BodyLength::Unknown => 0,
                    };
                    parsed.len as u64 + body
                }
                // Not a response the proxy can frame: cut inside what it has.
                _ => head.len() as u64,
            };
            // Strictly inside the response: the client always misses at least one byte.
            let remaining = order.point % length.max(1);
            data = std::mem::take(head);
            state = ResponseState::Cutting { remaining };
        }
        match &mut state {
            ResponseState::Forward => client_write.lock().await.write_all(&data).await?,
            ResponseState::Cutting { remaining } => {
                let take = usize::try_from(*remaining)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                client_write.lock().await.write_all(&data[..take]).await?;
                *remaining -= take as u64;
                if *remaining == 0 {
                    shared.counters.fault(FaultKind::DropResponse);
                    return Ok(());
                }
            }
            ResponseState::Collecting { .. } => {}
        }
    }
}
