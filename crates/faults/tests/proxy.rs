//! The proxy against a tiny HTTP/1.1 upstream: each fault kind does on the wire what the crate
//! docs say, and is counted.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cinelake_faults::{FaultConfig, FaultKind, FaultProxy, FaultTarget, FaultWeights};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Requests the upstream read in full: `(method, path, body bytes)`.
type Seen = Arc<Mutex<Vec<(String, String, usize)>>>;

/// An upstream that answers every request with `200` and a body of `RESPONSE_BODY` bytes.
const RESPONSE_BODY: usize = 5000;

async fn upstream() -> (SocketAddr, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind upstream");
    let addr = listener.local_addr().expect("addr");
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let Some((method, path, head_len, body_len)) =
                        read_head(&mut conn, &mut buf).await
                    else {
                        return;
                    };
                    while buf.len() < head_len + body_len {
                        let mut chunk = [0u8; 4096];
                        match conn.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    buf.drain(..head_len + body_len);
                    log.lock()
                        .expect("log")
                        .push((method.clone(), path, body_len));
                    let mut response =
                        format!("HTTP/1.1 200 OK\r\nContent-Length: {RESPONSE_BODY}\r\n\r\n")
                            .into_bytes();
                    if method != "HEAD" {
                        response.extend(std::iter::repeat_n(b'x', RESPONSE_BODY));
                    }
                    if conn.write_all(&response).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, seen)
}

/// Reads a request head: method, path, head length and Content-Length.
async fn read_head(
    conn: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> Option<(String, String, usize, usize)> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut request = httparse::Request::new(&mut headers);
        if let Ok(httparse::Status::Complete(len)) = request.parse(buf) {
            let body = request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
                .unwrap_or(0);
            return Some((
                request.method?.to_string(),
                request.path?.to_string(),
                len,
                body,
            ));
        }
        let mut chunk = [0u8; 4096];
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn only(kind: FaultKind) -> FaultConfig {
    let mut config = FaultConfig::new(7, 1.0);
    config.weights = FaultWeights {
        drop_request: 0,
        drop_response: 0,
        delay: 0,
        status_500: 0,
        status_503: 0,
        outage: 0,
    };
    match kind {
        FaultKind::DropRequest => config.weights.drop_request = 1,
        FaultKind::DropResponse => config.weights.drop_response = 1,
        FaultKind::Delay => config.weights.delay = 1,
        FaultKind::Status500 => config.weights.status_500 = 1,
        FaultKind::Status503 => config.weights.status_503 = 1,
        FaultKind::Outage => config.weights.outage = 1,
    }
    config
}

fn request(method: &str, path: &str, body: usize) -> Vec<u8> {
    let mut bytes =
        format!("{method} {path} HTTP/1.1\r\nhost: test\r\ncontent-length: {body}\r\n\r\n")
            .into_bytes();
    bytes.extend(std::iter::repeat_n(b'b', body));
    bytes
}

/// The length of the S3-style body of an injected 500/503.
const STATUS_BODY: usize = 131;

/// What a client got back for one request.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// A whole response: status and body length.
    Complete(u16, usize),
    /// The connection closed after this many bytes, before a whole response.
    Cut(usize),
}

async fn exchange(conn: &mut TcpStream, method: &str, path: &str, body: usize) -> Answer {
    if conn.write_all(&request(method, path, body)).await.is_err() {
        return Answer::Cut(0);
    }
    let mut buf = Vec::new();
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        if let Ok(httparse::Status::Complete(len)) = response.parse(&buf) {
            let length: usize = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
                .unwrap_or(0);
            let length = if method == "HEAD" { 0 } else { length };
            if buf.len() >= len + length {
                return Answer::Complete(response.code.unwrap_or(0), length);
            }
        }
        let mut chunk = [0u8; 4096];
        match conn.read(&mut chunk).await {
            Ok(0) | Err(_) => return Answer::Cut(buf.len()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

async fn connect(proxy: &FaultProxy) -> TcpStream {
    TcpStream::connect(proxy.addr())
        .await
        .expect("connect to proxy")
}

#[tokio::test]
async fn without_faults_requests_pass_on_one_kept_alive_connection() {
    let (addr, seen) = upstream().await;
    let proxy = FaultProxy::start(addr, FaultConfig::none())
        .await
        .expect("proxy");
    let mut conn = connect(&proxy).await;
    assert_eq!(
        exchange(&mut conn, "PUT", "/b/k", 100_000).await,
        Answer::Complete(200, RESPONSE_BODY)
    );
    assert_eq!(
        exchange(&mut conn, "GET", "/b/k", 0).await,
        Answer::Complete(200, RESPONSE_BODY)
    );
    assert_eq!(
        exchange(&mut conn, "HEAD", "/b/k", 0).await,
        Answer::Complete(200, 0)
    );
    let seen = seen.lock().expect("seen").clone();
    assert_eq!(
        seen,
        [
            ("PUT".into(), "/b/k".into(), 100_000),
            ("GET".into(), "/b/k".into(), 0),
            ("HEAD".into(), "/b/k".into(), 0)
        ]
    );
    let counts = proxy.counts();
    assert_eq!(
        (counts.connections, counts.requests, counts.total()),
        (1, 3, 0)
    );
}

#[tokio::test]
async fn injected_statuses_answer_without_reaching_the_server() {
    for (kind, status) in [(FaultKind::Status500, 500), (FaultKind::Status503, 503)] {
        let (addr, seen) = upstream().await;
        let proxy = FaultProxy::start(addr, only(kind)).await.expect("proxy");
        let mut conn = connect(&proxy).await;
        let answer = exchange(&mut conn, "PUT", "/b/k", 20_000).await;
        assert!(
            matches!(answer, Answer::Complete(s, _) if s == status),
            "{answer:?}"
        );
        assert!(
            seen.lock().expect("seen").is_empty(),
            "{kind} reached the server"
        );
        assert_eq!(proxy.counts().get(kind), 1);
    }
}

#[tokio::test]
async fn dropped_requests_never_complete_on_either_side() {
    let (addr, seen) = upstream().await;
    let proxy = FaultProxy::start(addr, only(FaultKind::DropRequest))
        .await
        .expect("proxy");
    for _ in 0..5 {
        let mut conn = connect(&proxy).await;
        assert_eq!(
            exchange(&mut conn, "PUT", "/b/k", 50_000).await,
            Answer::Cut(0)
        );
    }
    // Give the upstream a moment to notice the closed connections.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(seen.lock().expect("seen").is_empty());
    assert_eq!(proxy.counts().get(FaultKind::DropRequest), 5);
}

#[tokio::test]
async fn dropped_responses_are_cut_inside_the_response() {
    let (addr, seen) = upstream().await;
    let proxy = FaultProxy::start(addr, only(FaultKind::DropResponse))
        .await
        .expect("proxy");
    let whole = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n".len() + RESPONSE_BODY;
    for _ in 0..5 {
        let mut conn = connect(&proxy).await;
        match exchange(&mut conn, "GET", "/b/k", 0).await {
            Answer::Cut(got) => assert!(got < whole, "{got} of {whole}"),
            other => panic!("a whole response got through: {other:?}"),
        }
    }
    // The server did answer: the requests went through whole.
    assert_eq!(seen.lock().expect("seen").len(), 5);
    assert_eq!(proxy.counts().get(FaultKind::DropResponse), 5);
}

#[tokio::test]
async fn delays_hold_requests_back_then_forward_them() {
    let (addr, seen) = upstream().await;
    let mut config = only(FaultKind::Delay);
    config.delay = (Duration::from_millis(200), Duration::from_millis(200));
    let proxy = FaultProxy::start(addr, config).await.expect("proxy");
    let mut conn = connect(&proxy).await;
    let started = Instant::now();
    assert_eq!(
        exchange(&mut conn, "GET", "/b/k", 0).await,
        Answer::Complete(200, RESPONSE_BODY)
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(seen.lock().expect("seen").len(), 1);
    assert_eq!(proxy.counts().get(FaultKind::Delay), 1);
}

#[tokio::test]
async fn an_outage_refuses_connections_then_the_proxy_listens_again() {
    let (addr, _seen) = upstream().await;
    let proxy = FaultProxy::start(addr, FaultConfig::none())
        .await
        .expect("proxy");
    let mut open = connect(&proxy).await;
    assert_eq!(
        exchange(&mut open, "GET", "/b/k", 0).await,
        Answer::Complete(200, RESPONSE_BODY)
    );
    proxy.begin_outage(Duration::from_millis(400));
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Open connections were closed, new ones are refused.
    assert_eq!(exchange(&mut open, "GET", "/b/k", 0).await, Answer::Cut(0));
    let refused = TcpStream::connect(proxy.addr()).await.expect_err("refused");
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut again = connect(&proxy).await;
    assert_eq!(
        exchange(&mut again, "GET", "/b/k", 0).await,
        Answer::Complete(200, RESPONSE_BODY)
    );
    proxy.check().expect("listening again");
    assert_eq!(proxy.counts().get(FaultKind::Outage), 1);
}

#[tokio::test]
async fn the_same_seed_faults_the_same_requests() {
    let faults_for = |seed: u64| async move {
        let (addr, _seen) = upstream().await;
        let mut config = only(FaultKind::Delay);
        config.seed = seed;
        config.fault_rate = 0.5;
        config.delay = (Duration::ZERO, Duration::ZERO);
        let proxy = FaultProxy::start(addr, config).await.expect("proxy");
        let mut conn = connect(&proxy).await;
        let mut delayed = Vec::new();
        for _ in 0..40 {
            let before = proxy.counts().get(FaultKind::Delay);
            exchange(&mut conn, "GET", "/b/k", 0).await;
            delayed.push(proxy.counts().get(FaultKind::Delay) > before);
        }
        delayed
    };
    let first = faults_for(11).await;
    assert_eq!(first, faults_for(11).await);
    assert_ne!(first, faults_for(12).await);
    let hits = first.iter().filter(|d| **d).count();
    assert!((8..=32).contains(&hits), "{hits} of 40 at rate 0.5");
}

#[tokio::test]
async fn a_target_faults_only_the_first_matching_request() {
    let (addr, seen) = upstream().await;
    let target = FaultTarget {
        method: Some("PUT".into()),
        path_contains: Some("?uploads".into()),
    };
    let proxy = FaultProxy::start(addr, FaultConfig::once(FaultKind::Status503, target))
        .await
        .expect("proxy");
    let mut conn = connect(&proxy).await;
    for (method, path, expected) in [
        ("GET", "/b/k?uploads", 200),
        ("PUT", "/b/k", 200),
        ("PUT", "/b/k?uploads", 503),
    ] {
        assert_eq!(
            exchange(&mut conn, method, path, 10).await,
            Answer::Complete(
                expected,
                if expected == 200 {
                    RESPONSE_BODY
                } else {
                    STATUS_BODY
                }
            ),
            "{method} {path}"
        );
    }
    // The 503 closed that connection; the budget of one fault is spent.
    let mut conn = connect(&proxy).await;
    assert_eq!(
        exchange(&mut conn, "PUT", "/b/k?uploads", 10).await,
        Answer::Complete(200, RESPONSE_BODY)
    );
    assert_eq!(seen.lock().expect("seen").len(), 3);
    assert_eq!(proxy.counts().total(), 1);
}
