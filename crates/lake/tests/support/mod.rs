//! Test support: lakes to run the conformance suite against (a temporary folder, a fresh bucket
//! on the test SeaweedFS) and a private SeaweedFS that a test may stop and restart.

#![allow(dead_code)] // Each test binary uses a different subset.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use cinelake_lake::{Lake, LakeOptions, RetryOptions, StaticCredentials};

/// A name no other test (or earlier run) uses: process id, counter, clock.
pub fn unique(tag: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tag: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let mut name = format!(
        "{}-{}-{}-{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        tag
    );
    name.truncate(50);
    name.trim_end_matches('-').to_owned()
}

/// A folder removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Result<TempDir> {
        let dir = std::env::temp_dir().join(format!("cinelake-test-{}", unique(tag)));
        std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        Ok(TempDir(dir))
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The test S3 server's coordinates, from the environment `scripts/s3-server.sh` exports.
#[derive(Debug, Clone)]
pub struct S3Env {
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
}

impl S3Env {
    /// Fails (never skips) when the variables are missing.
    pub fn from_env() -> Result<S3Env> {
        let var = |name: &str| {
            std::env::var(name).with_context(|| {
                format!("{name} is not set: run the S3 tests through `scripts/s3-server.sh run cargo test ...`, which starts SeaweedFS and exports it")
            })
        };
        Ok(S3Env {
            endpoint: var("CINELAKE_TEST_S3_ENDPOINT")?,
            access_key: var("CINELAKE_TEST_S3_ACCESS_KEY")?,
            secret_key: var("CINELAKE_TEST_S3_SECRET_KEY")?,
            region: var("CINELAKE_TEST_S3_REGION")?,
        })
    }

    pub fn options(&self, retry: RetryOptions) -> LakeOptions {
        LakeOptions {
            endpoint: Some(self.endpoint.clone()),
            region: Some(self.region.clone()),
            credentials: Some(StaticCredentials {
                access_key_id: self.access_key.clone(),
                secret_access_key: self.secret_key.clone(),
                session_token: None,
            }),
            retry,
        }
    }

    /// The variables the CLI reads (the standard AWS ones).
    pub fn aws_vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", self.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key.clone()),
            ("AWS_REGION", self.region.clone()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
        ]
    }
}

/// A lake under test and whatever keeps it alive.
pub struct Target {
    pub lake: Lake,
    pub url: String,
    pub kind: &'static str,
    /// How anyone outside the lake reaches it over HTTP (`None` for `file://`).
    pub s3: Option<S3Env>,
    // Fields drop in order: the server stops before its folder is removed.
    _server: Option<cinelake_serve::Server>,
    _dir: Option<TempDir>,
}

impl Target {
    pub fn file(tag: &str) -> Result<Target> {
        let dir = TempDir::new(tag)?;
        let url = format!("file://{}", dir.path().join("lake").display());
        let lake = Lake::open(&url.parse()?, &LakeOptions::default())?;
        Ok(Target {
            lake,
            url,
            kind: "file",
            s3: None,
            _dir: Some(dir),
            _server: None,
        })
    }

    /// A fresh bucket on the test server, with a key prefix so prefix handling is exercised.
    pub async fn s3(tag: &str) -> Result<Target> {
        let env = S3Env::from_env()?;
        let bucket = format!("t{}", unique(tag));
        let url = format!("s3://{bucket}/lake-prefix");
        let lake = Lake::open(&url.parse()?, &env.options(quick_retry()))?;
        lake.create_bucket()
            .await
            .with_context(|| format!("create bucket {bucket}"))?;
        Ok(Target {
            lake,
            url,
            kind: "s3",
            s3: Some(env),
            _dir: None,
            _server: None,
        })
    }

    /// A bucket on the embedded endpoint (`cinelake-serve`, what `cinelake serve` and `cinelake
    /// demo` run) over a fresh folder, started in this test's runtime. Same prefix as [`Target::s3`].
    pub async fn embedded(tag: &str) -> Result<Target> {
        let dir = TempDir::new(tag)?;
        let credentials = cinelake_serve::Credentials::generate();
        let server = cinelake_serve::Server::start(cinelake_serve::ServeOptions {
            root: dir.path().join("root"),
            addr: "127.0.0.1:0".parse()?,
            credentials: credentials.clone(),
            public_read_buckets: Vec::new(),
            create_buckets: Vec::new(),
        })
        .await?;
        let env = S3Env {
            endpoint: server.endpoint(),
            access_key: credentials.access_key,
            secret_key: credentials.secret_key,
            region: "us-east-1".into(),
        };
        let url = "s3://lake/lake-prefix".to_owned();
        let lake = Lake::open(&url.parse()?, &env.options(quick_retry()))?;
        lake.create_bucket()
            .await
            .context("create bucket lake on the embedded endpoint")?;
        Ok(Target {
            lake,
            url,
            kind: "s3",
            s3: Some(env),
            _dir: Some(dir),
            _server: Some(server),
        })
    }
}

/// Retries short enough that a dead server fails a test in seconds.
pub fn quick_retry() -> RetryOptions {
    RetryOptions {
        max_retries: 2,
        timeout: Duration::from_secs(3),
    }
}

/// The repository root (tests run with the package folder as working directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn sample(name: &str) -> PathBuf {
    repo_root().join("testdata/samples").join(name)
}

/// A SeaweedFS of this test's own, on free ports, that can be stopped and restarted on the same
/// data folder (`weed` must be on PATH: `source scripts/env.sh`).
pub struct OwnSeaweed {
    dir: TempDir,
    ports: Vec<u16>,
    child: Option<Child>,
    pub env: S3Env,
}

impl OwnSeaweed {
    pub fn start() -> Result<OwnSeaweed> {
        let dir = TempDir::new("weed")?;
        std::fs::create_dir_all(dir.path().join("data"))?;
        let (access_key, secret_key) = ("own-key", "own-secret-key");
        std::fs::write(
            dir.path().join("s3.json"),
            format!(
                r#"{{"identities":[{{"name":"lake","credentials":[{{"accessKey":"{access_key}","secretKey":"{secret_key}"}}],"actions":["Admin","Read","List","Tagging","Write"]}}]}}"#
            ),
        )?;
        let ports = free_ports(10)?;
        let env = S3Env {
            endpoint: format!("http://127.0.0.1:{}", ports[0]),
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            region: "us-east-1".into(),
        };
        let mut weed = OwnSeaweed {
            dir,
            ports,
            child: None,
            env,
        };
        weed.restart()?;
        Ok(weed)
    }

    /// Starts the server (again) and waits until it is healthy.
    pub fn restart(&mut self) -> Result<()> {
        let p = &self.ports;
        let d = self.dir.path();
        let args = [
            format!("-dir={}", d.join("data").display()),
            "-ip=127.0.0.1".into(),
            "-ip.bind=127.0.0.1".into(),
            format!("-s3.port={}", p[0]),
            format!("-s3.port.grpc={}", p[1]),
            format!("-master.port={}", p[2]),
            format!("-master.port.grpc={}", p[3]),
            format!("-volume.port={}", p[4]),
            format!("-volume.port.grpc={}", p[5]),
            format!("-filer.port={}", p[6]),
            format!("-filer.port.grpc={}", p[7]),
            format!("-admin.port={}", p[8]),
            format!("-admin.port.grpc={}", p[9]),
            format!("-s3.config={}", d.join("s3.json").display()),
            "-master.telemetry=false".into(),
            "-admin.ui=false".into(),
            "-webdav=false".into(),
            "-s3.port.iceberg=0".into(),
            "-s3.port.lance=0".into(),
        ];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(d.join("weed.log"))?;
        let child = Command::new("weed")
            .arg("mini")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("start `weed` (is it on PATH? `source scripts/env.sh`)")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        let health = format!("127.0.0.1:{}", p[0]);
        while Instant::now() < deadline {
            if healthy(&health) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        let log = std::fs::read_to_string(d.join("weed.log")).unwrap_or_default();
        bail!(
            "own SeaweedFS did not become healthy; log tail:\n{}",
            log.lines().rev().take(20).collect::<Vec<_>>().join("\n")
        )
    }

    /// Kills the server at once (as a crash or power cut would) and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnSeaweed {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A GET /healthz over a plain TCP socket (no HTTP client needed in tests).
fn healthy(addr: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
    if s.write_all(format!("GET /healthz HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && buf[9..12] == *b"200")
}

/// Ports that were free a moment ago (bound and released; a tiny race that is fine in tests).
fn free_ports(n: usize) -> Result<Vec<u16>> {
    let listeners: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()?;
    Ok(listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()?)
}

/// Writes a file of `size` deterministic bytes (varied so parts differ) and returns its path.
pub fn write_file(dir: &Path, name: &str, size: usize, seed: u8) -> Result<PathBuf> {
    let path = dir.join(name);
    let data: Vec<u8> = (0..size)
        .map(|i| (i as u32).wrapping_mul(2654435761).to_le_bytes()[3] ^ seed)
        .collect();
    std::fs::write(&path, data)?;
    Ok(path)
}
