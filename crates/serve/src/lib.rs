//! An S3-compatible endpoint over a local folder, embedded in the `cinelake` binary.
//!
//! `cinelake serve` and `cinelake demo` use it so that a first-time user runs the very code paths
//! that talk to AWS (SigV4 signing, presigned URLs, create-only puts, multipart uploads) against
//! their own disk. Objects are plain files under `ROOT/bucket/key`; [`s3s_fs`] keeps metadata in
//! hidden sidecar files next to the buckets.
//!
//! On top of `s3s`/`s3s-fs` this module adds `ListMultipartUploads` (see `local_fs`: ingest
//! relies on it to leave no orphan parts) and what a browser-facing lake needs:
//! - access control: signed requests may do anything; anonymous requests may only read objects of
//!   the buckets named public-read (the dashboard's site bucket), nothing else;
//! - CORS: preflight requests are answered, and every response to a cross-origin request carries
//!   `Access-Control-Allow-Origin` and exposes `Content-Length`, `Content-Range` and `ETag`, so the
//!   dashboard can fetch the extract through a presigned URL from another origin.
//!
//! Known limitation (from s3s-fs 0.14): a single PUT whose checksum does not match is refused, but
//! the refused bytes have already replaced the object. The CLI never sends a wrong checksum unless
//! the bytes changed in flight, and re-running the upload repairs it.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use hyper::body::Incoming;
use hyper::service::Service;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::SimpleAuth;
use s3s::path::S3Path;
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{HttpError, HttpResponse, S3Result, s3_error};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

mod local_fs;
use local_fs::LocalFs;

/// Why the endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot use {path} as the lake's root folder: {reason}")]
    Root { path: PathBuf, reason: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "bucket name {name:?} is not valid: use 3-63 lowercase letters, digits, dots and hyphens"
    )]
    BucketName { name: String },
}

/// An access key pair. `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
}

impl Credentials {
    /// A fresh random pair, for a local endpoint whose user set none.
    pub fn generate() -> Credentials {
        use rand::Rng;
        use rand::distr::Alphanumeric;
        let random = |len: usize| -> String {
            rand::rng()
                .sample_iter(&Alphanumeric)
                .take(len)
                .map(char::from)
                .collect()
        };
        Credentials {
            access_key: format!("CINELAKE{}", random(12).to_uppercase()),
            secret_key: random(40),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// What to serve and how.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The folder that holds one sub-folder per bucket.
    pub root: PathBuf,
    /// Where to listen; `127.0.0.1:0` picks a free port.
    pub addr: SocketAddr,
    pub credentials: Credentials,
    /// Buckets whose objects anonymous requests may read (GET and HEAD only).
    pub public_read_buckets: Vec<String>,
    /// Buckets to create (as folders) if they do not exist yet.
    pub create_buckets: Vec<String>,
}

/// A running endpoint. Dropping it without [`Server::shutdown`] stops accepting connections too.
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds, then serves in a background task of the current Tokio runtime.
    pub async fn start(options: ServeOptions) -> Result<Server, ServeError> {
        for bucket in options
            .create_buckets
            .iter()
            .chain(&options.public_read_buckets)
        {
            if !is_valid_bucket_name(bucket) {
                return Err(ServeError::BucketName {
                    name: bucket.clone(),
                });
            }
        }
        let root_error = |reason: String| ServeError::Root {
            path: options.root.clone(),
            reason,
        };
        std::fs::create_dir_all(&options.root).map_err(|e| root_error(e.to_string()))?;
        for bucket in &options.create_buckets {
            std::fs::create_dir_all(options.root.join(bucket))
                .map_err(|e| root_error(format!("cannot create bucket {bucket}: {e}")))?;
        }
        // s3s_fs::Error is not a std::error::Error: keep its text only.
        let fs =
            s3s_fs::FileSystem::new(&options.root).map_err(|e| root_error(format!("{e:?}")))?;

        let mut builder = S3ServiceBuilder::new(LocalFs::new(fs, options.root.clone()));
        builder.set_auth(SimpleAuth::from_single(
            options.credentials.access_key.clone(),
            options.credentials.secret_key.clone(),
        ));
        builder.set_access(PublicReadAccess {
            public_read_buckets: options.public_read_buckets.clone(),
        });
        let service = Cors {
            inner: builder.build(),
        };

        let listener =
            TcpListener::bind(options.addr)
                .await
                .map_err(|source| ServeError::Bind {
                    addr: options.addr,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: options.addr,
            source,
        })?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, service, stopped));
        Ok(Server {
            addr,
            stop,
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint URL to give S3 clients (`http://127.0.0.1:PORT`).
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish (up to 10 s), then returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until `signal` completes, then shuts down gracefully.
    pub async fn run_until(self, signal: impl std::future::Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn accept_loop(listener: TcpListener, service: Cors, mut stopped: watch::Receiver<bool>) {
    let http = ConnBuilder::new(TokioExecutor::new());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                // A failed accept (a client that hung up, too many open files) concerns one
                // connection, not the server: keep serving.
                let Ok((socket, _)) = accepted else { continue };
                let connection = http.serve_connection(TokioIo::new(socket), service.clone());
                let connection = graceful.watch(connection.into_owned());
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(std::time::Duration::from_secs(10)) => {}
    }
}

/// The rules S3 gives bucket names, in short: 3–63 of `a-z0-9.-`, starting and ending with a
/// letter or digit. Checked here because a bucket is a folder name.
pub fn is_valid_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'.' || *b == b'-')
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !name.contains("..")
}

/// Signed requests may do anything; anonymous ones may read objects of public-read buckets.
struct PublicReadAccess {
    public_read_buckets: Vec<String>,
}

#[async_trait::async_trait]
impl S3Access for PublicReadAccess {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        if cx.credentials().is_some() {
            return Ok(());
        }
        let readable = matches!(cx.s3_op().name(), "GetObject" | "HeadObject");
        let public = match cx.s3_path() {
            S3Path::Object { bucket, .. } => {
                self.public_read_buckets.iter().any(|b| **b == **bucket)
            }
            _ => false,
        };
        if readable && public {
            Ok(())
        } else {
            Err(s3_error!(AccessDenied, "Signature is required"))
        }
    }
}

/// Answers CORS for every bucket: any origin may read with a valid signature (or from a
/// public-read bucket). Credentials are never sent by browsers here: presigned URLs carry the
/// signature in the query string.
#[derive(Clone)]
struct Cors {
    inner: S3Service,
}

const EXPOSED_HEADERS: &str = "Content-Length, Content-Range, Content-Type, ETag";

impl Service<http::Request<Incoming>> for Cors {
    type Response = HttpResponse;
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<HttpResponse, HttpError>> + Send + 'static>,
    >;

    fn call(&self, request: http::Request<Incoming>) -> Self::Future {
        let origin = request.headers().get(http::header::ORIGIN).cloned();
        let is_preflight = request.method() == http::Method::OPTIONS
            && request
                .headers()
                .contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD);
        if is_preflight {
            let mut response = http::Response::new(s3s::Body::empty());
            let headers = response.headers_mut();
            headers.insert(
                http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
                origin.unwrap_or(http::HeaderValue::from_static("*")),
            );
            headers.insert(
                http::header::ACCESS_CONTROL_ALLOW_METHODS,
                http::HeaderValue::from_static("GET, HEAD, PUT, POST, DELETE"),
            );
            let requested = request
                .headers()
                .get(http::header::ACCESS_CONTROL_REQUEST_HEADERS)
                .cloned();
            if let Some(requested) = requested {
                headers.insert(http::header::ACCESS_CONTROL_ALLOW_HEADERS, requested);
            }
            headers.insert(
                http::header::ACCESS_CONTROL_MAX_AGE,
                http::HeaderValue::from_static("3600"),
            );
            headers.insert(http::header::VARY, http::HeaderValue::from_static("Origin"));
            return Box::pin(async move { Ok(response) });
        }
        let inner = Service::call(&self.inner, request);
        Box::pin(async move {
            let mut response = inner.await?;
            if let Some(origin) = origin {
                let headers = response.headers_mut();
                headers.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                headers.insert(
                    http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
                    http::HeaderValue::from_static(EXPOSED_HEADERS),
                );
                headers.append(http::header::VARY, http::HeaderValue::from_static("Origin"));
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3_rules() {
        let check = |name: &str, ok: bool| assert_eq!(is_valid_bucket_name(name), ok, "{name:?}");
        check("lake", true);
        check("cinelake-site", true);
        check("a.b-c", true);
        check("ab", false);
        check("Lake", false);
        check("-lake", false);
        check("lake-", false);
        check("la..ke", false);
        check("../etc", false);
        check(&"a".repeat(64), false);
    }

    #[test]
    fn credentials_debug_hides_the_secret() {
        let credentials = Credentials::generate();
        let shown = format!("{credentials:?}");
        assert!(shown.contains(&credentials.access_key));
        assert!(!shown.contains(&credentials.secret_key));
        assert_eq!(credentials.secret_key.len(), 40);
    }
}
