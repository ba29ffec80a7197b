//! Fault injection: the real `cinelake` binary runs `ingest`, `refine`, `prune` and `publish` against the
//! test SeaweedFS through a `cinelake_faults::FaultProxy` that drops connections mid-request and
//! mid-response, delays requests, answers 500/503 itself and has outages (the proxy refuses every
//! connection for a while, which is a server restart from the client's side).
//!
//! Each command runs `CINELAKE_FAULT_RUNS` times (default 10; `scripts/reliability.sh` runs 50),
//! each run in a fresh lake prefix with its own seed and fault rate. Every run must either
//! complete (exit 0) or fail with a one-line `cinelake: ...` message naming what failed (no panic,
//! no hang: each run has a timeout). After each run the lake is checked directly against
//! SeaweedFS, not through the proxy: no partial or corrupt object is visible under the Raw keys,
//! through `Refined/_manifest.json` (prune never deletes the committed run) or through the site's
//! `manifest.json`, and no multipart upload
//! is left open. Then the same command runs again without faults and must complete, verified.
//! Each test prints one `fault figures:` line (runs, faults by kind, failures, objects lost).
//!
//! `CINELAKE_FAULT_SEED` picks the base seed (default 1); a failing run's message names its seed.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use cinelake_faults::{FaultConfig, FaultCounts, FaultKind, FaultProxy};
use cinelake_lake::upload::{Digest, HashingReader, SHA256_METADATA};
use cinelake_lake::{Lake, LakeOptions, StaticCredentials};
use futures::TryStreamExt;
use object_store::path::Path as Key;
use object_store::{Attribute, GetOptions, ObjectStore, ObjectStoreExt};

/// The longest a single `cinelake` run may take; longer is reported as a hang. Retries back off
/// for at most about 45 s (10 retries, 100 ms doubling to 10 s) and injected pauses are short.
const RUN_TIMEOUT: Duration = Duration::from_secs(90);
/// The raw partition day every run ingests.
const DATE: &str = "2024-02-29";
/// Fault rates per request, cycled through the runs: light runs mostly complete through
/// retries, heavy ones exercise the failure paths.
const RATES: [f64; 4] = [0.05, 0.15, 0.3, 0.5];

fn runs() -> Result<usize> {
    match std::env::var("CINELAKE_FAULT_RUNS") {
        Ok(text) => text
            .parse()
            .with_context(|| format!("CINELAKE_FAULT_RUNS={text:?} is not a number")),
        Err(_) => Ok(10),
    }
}

fn base_seed() -> Result<u64> {
    match std::env::var("CINELAKE_FAULT_SEED") {
        Ok(text) => text
            .parse()
            .with_context(|| format!("CINELAKE_FAULT_SEED={text:?} is not a number")),
        Err(_) => Ok(1),
    }
}

/// The test SeaweedFS, as `scripts/s3-server.sh start` describes it.
struct Server {
    endpoint: String,
    addr: SocketAddr,
    access_key: String,
    secret_key: String,
    region: String,
}

impl Server {
    fn from_env() -> Result<Server> {
        let var = |name: &str| {
            std::env::var(name).with_context(|| {
                format!("{name} is not set: run the tests through `scripts/s3-server.sh run cargo test ...`")
            })
        };
        let endpoint = var("CINELAKE_TEST_S3_ENDPOINT")?;
        let host = endpoint
            .strip_prefix("http://")
            .context("CINELAKE_TEST_S3_ENDPOINT is not http://")?
            .trim_end_matches('/');
        let addr = host
            .parse()
            .with_context(|| format!("CINELAKE_TEST_S3_ENDPOINT host {host:?} is not IP:PORT"))?;
        Ok(Server {
            endpoint,
            addr,
            access_key: var("CINELAKE_TEST_S3_ACCESS_KEY")?,
            secret_key: var("CINELAKE_TEST_S3_SECRET_KEY")?,
            region: var("CINELAKE_TEST_S3_REGION")?,
        })
    }

    /// Opens `url` directly on the server (never through the proxy).
    fn open(&self, url: &str) -> Result<Lake> {
        let options = LakeOptions {
            endpoint: Some(self.endpoint.clone()),
            region: Some(self.region.clone()),
            credentials: Some(StaticCredentials {
                access_key_id: self.access_key.clone(),
                secret_access_key: self.secret_key.clone(),
                session_token: None,
            }),
            ..Default::default()
        };
        Ok(Lake::open(&url.parse()?, &options)?)
    }

    /// Runs `cinelake ARGS...` against `endpoint` with a clean AWS environment and a timeout.
    async fn cinelake(&self, endpoint: &str, args: &[&str]) -> Result<Run> {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_cinelake"));
        cmd.args(args).kill_on_drop(true);
        for (name, _) in std::env::vars() {
            if name.starts_with("AWS_") {
                cmd.env_remove(name);
            }
        }
        cmd.env("AWS_ACCESS_KEY_ID", &self.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret_key)
            .env("AWS_REGION", &self.region)
            .env("AWS_ENDPOINT_URL", endpoint)
            // No progress bars: the output is read, not watched.
            .env("TERM", "dumb");
        let started = Instant::now();
        let child = cmd.output();
        match tokio::time::timeout(RUN_TIMEOUT, child).await {
            Ok(out) => {
                let out = out.context("run cinelake")?;
                Ok(Run {
                    code: out.status.code(),
                    stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                    elapsed: started.elapsed(),
                })
            }
            Err(_) => bail!("cinelake {args:?} did not finish within {RUN_TIMEOUT:?} (a hang)"),
        }
    }
}

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Run {
    /// A failure is clear when the process exited 1 (no signal, no panic) with a
    /// `cinelake: ...` line naming a key, bucket or lake; a completed run is clear when it
    /// printed its report.
    fn unclear_failure(&self, names: &[&str]) -> Option<String> {
        let named = self
            .stderr
            .lines()
            .any(|l| l.starts_with("cinelake: ") && names.iter().any(|name| l.contains(name)));
        // A completed run reports what it did (keys written, rows refined, links published).
        let reported = !self.stdout.trim().is_empty();
        let clear = !self.stderr.contains("panicked")
            && (self.code == Some(0) && reported || self.code == Some(1) && named);
        (!clear).then(|| format!("unclear failure: {self:?}"))
    }
}

/// Figures of one command's runs.
#[derive(Debug, Default)]
struct Tally {
    command: &'static str,
    runs: u64,
    completed: u64,
    failed: u64,
    faults: FaultCounts,
    objects_lost: u64,
    reruns_completed: u64,
    slowest: Duration,
    /// The message of each failed run (the `cinelake: ...` line), to show what users see.
    messages: Vec<String>,
    problems: Vec<String>,
}

impl Tally {
    fn new(command: &'static str) -> Tally {
        Tally {
            command,
            ..Tally::default()
        }
    }

    fn record(&mut self, run: &Run, faults: FaultCounts) {
        self.runs += 1;
        if run.code == Some(0) {
            self.completed += 1;
        } else {
            self.failed += 1;
            let message = run
                .stderr
                .lines()
                .find(|l| l.starts_with("cinelake: "))
                .unwrap_or(run.stderr.trim());
            self.messages.push(message.to_string());
        }
        self.faults.add(&faults);
        self.slowest = self.slowest.max(run.elapsed);
    }

    fn problem(&mut self, seed: u64, what: impl fmt::Display) {
        self.problems.push(format!("seed {seed}: {what}"));
    }

    fn finish(self) -> Result<()> {
        let mut report = format!("{self}\n");
        for message in &self.messages {
            report.push_str(&format!("  failed run: {message}\n"));
        }
        eprint!("{report}");
        // Parallel tests interleave their output with the harness's: scripts/reliability.sh
        // reads the figures from this file instead.
        if let Some(path) = std::env::var_os("CINELAKE_FAULT_FIGURES") {
            use std::io::Write;
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut file| file.write_all(report.as_bytes()))
                .with_context(|| format!("append the figures to {}", path.to_string_lossy()))?;
        }
        ensure!(
            self.problems.is_empty(),
            "{} problems in {} {} runs:\n{}",
            self.problems.len(),
            self.runs,
            self.command,
            self.problems.join("\n")
        );
        ensure!(self.objects_lost == 0, "{self}");
        ensure!(self.reruns_completed == self.runs, "{self}");
        Ok(())
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "fault figures: {}: runs {}, completed {}, failed {}, faults {}",
            self.command,
            self.runs,
            self.completed,
            self.failed,
            self.faults.total()
        )?;
        for kind in FaultKind::ALL {
            write!(f, ", {kind} {}", self.faults.get(kind))?;
        }
        write!(
            f,
            ", requests {}, objects lost {}, re-runs completed {}, slowest run {:.1} s, problems {}",
            self.faults.requests,
            self.objects_lost,
            self.reruns_completed,
            self.slowest.as_secs_f64(),
            self.problems.len()
        )
    }
}

/// A proxy, a fresh bucket and a scratch folder for one command's runs.
struct Bench {
    server: Server,
    proxy: FaultProxy,
    bucket: String,
    scratch: PathBuf,
}

impl Drop for Bench {
    fn drop(&mut self) {
        // Best effort: a leftover temp folder is harmless.
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

impl Bench {
    async fn new(tag: &str) -> Result<Bench> {
        let server = Server::from_env()?;
        let proxy = FaultProxy::start(server.addr, FaultConfig::none()).await?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let bucket = format!("faults-{tag}-{}-{nanos:x}", std::process::id());
        server
            .open(&format!("s3://{bucket}"))?
            .create_bucket()
            .await?;
        let scratch = std::env::temp_dir().join(&bucket);
        std::fs::create_dir_all(&scratch)?;
        Ok(Bench {
            server,
            proxy,
            bucket,
            scratch,
        })
    }

    fn url(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}", self.bucket)
    }

    /// Generates a raw file with `cinelake gen` and returns its path.
    async fn generate(&self, kind: &str, titles: u32) -> Result<PathBuf> {
        let path = self.scratch.join(format!("{kind}-{titles}.csv"));
        let run = self
            .server
            .cinelake(
                &self.server.endpoint,
                &[
                    "gen",
                    "--kind",
                    kind,
                    "--titles",
                    &titles.to_string(),
                    "--out",
                    &path.to_string_lossy(),
                ],
            )
            .await?;
        ensure!(run.code == Some(0), "gen failed: {run:?}");
        Ok(path)
    }

    /// Runs `cinelake ARGS` through the proxy with faults drawn from `seed` at `rate`, and
    /// returns the run and the faults it met.
    async fn faulted(&self, seed: u64, rate: f64, args: &[&str]) -> Result<(Run, FaultCounts)> {
        self.proxy.set_config(FaultConfig::new(seed, rate))?;
        let before = self.proxy.counts();
        let run = self.server.cinelake(&self.proxy.endpoint(), args).await;
        self.proxy.set_config(FaultConfig::none())?;
        // Let an outage the run started end before anything else talks to the proxy.
        let faults = self.proxy.counts().since(&before);
        if faults.get(FaultKind::Outage) > 0 {
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        self.proxy.check()?;
        Ok((run?, faults))
    }

    /// Runs `cinelake ARGS` directly against the server, without faults.
    async fn direct(&self, args: &[&str]) -> Result<Run> {
        self.server.cinelake(&self.server.endpoint, args).await
    }
}

fn seeds() -> Result<Vec<(u64, f64)>> {
    let base = base_seed()?;
    Ok((0..runs()?)
        .map(|i| (base + i as u64, RATES[i % RATES.len()]))
        .collect())
}

fn digest(bytes: &[u8]) -> Digest {
    let mut reader = HashingReader::new(bytes);
    // Reading from a slice into a sink cannot fail.
    let _ = std::io::copy(&mut reader, &mut std::io::sink());
    reader.finish()
}

/// The object at `key`: its bytes and its `sha256` metadata, or `None` when absent.
async fn fetch(lake: &Lake, key: &Key) -> Result<Option<(Vec<u8>, Option<String>)>> {
    let store = lake.store();
    let head = match store
        .get_opts(
            key,
            GetOptions {
                head: true,
                ..Default::default()
            },
        )
        .await
    {
        Ok(head) => head,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("head {key}")),
    };
    let sha = head
        .attributes
        .get(&Attribute::Metadata(SHA256_METADATA.into()))
        .map(|v| v.as_ref().to_owned());
    let bytes = store
        .get(key)
        .await
        .with_context(|| format!("get {key}"))?
        .bytes()
        .await
        .with_context(|| format!("read {key}"))?;
    Ok(Some((bytes.to_vec(), sha)))
}

async fn keys_under(lake: &Lake, relative: &str) -> Result<Vec<String>> {
    let prefix = lake.key(relative);
    let mut keys: Vec<String> = lake
        .store()
        .list(Some(&prefix))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await?;
    keys.sort();
    Ok(keys)
}

/// Open multipart uploads under the lake's prefix.
async fn open_uploads(lake: &Lake) -> Result<Vec<String>> {
    let admin = lake.s3_admin().context("an s3 lake")?;
    let prefix = lake.key("");
    Ok(admin
        .list_multipart_uploads(prefix.as_ref())
        .await?
        .into_iter()
        .map(|u| u.key)
        .collect())
}

// ---------------------------------------------------------------------------------------------
// ingest

/// A raw file and where ingest puts it.
struct RawFile {
    path: PathBuf,
    key: &'static str,
    bytes: Vec<u8>,
    digest: Digest,
}

impl RawFile {
    fn new(path: PathBuf, key: &'static str) -> Result<RawFile> {
        let bytes = std::fs::read(&path)?;
        let digest = digest(&bytes);
        Ok(RawFile {
            path,
            key,
            bytes,
            digest,
        })
    }
}

/// What the Raw keys hold: each file is absent, or exactly the source with its SHA-256
/// metadata. Returns how many are present; anything else is an error.
async fn check_raw(lake: &Lake, files: &[RawFile]) -> Result<usize> {
    let mut present = 0;
    for file in files {
        let key = lake.key(file.key);
        if let Some((bytes, sha)) = fetch(lake, &key).await? {
            ensure!(
                bytes == file.bytes,
                "{key}: holds {} bytes with sha256 {}, not the source's {} bytes",
                bytes.len(),
                digest(&bytes).sha256,
                file.bytes.len()
            );
            ensure!(
                sha.as_deref() == Some(file.digest.sha256.as_str()),
                "{key}: sha256 metadata {sha:?}, source {}",
                file.digest.sha256
            );
            present += 1;
        }
    }
    let expected: Vec<String> = files.iter().map(|f| lake.key(f.key).to_string()).collect();
    for key in keys_under(lake, "").await? {
        ensure!(expected.contains(&key), "unexpected object {key}");
    }
    let open = open_uploads(lake).await?;
    ensure!(open.is_empty(), "multipart uploads left open: {open:?}");
    Ok(present)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_under_faults() -> Result<()> {
    let bench = Bench::new("ingest").await?;
    // Bigger than one 5 MiB part, so `--part-size-mib 5` sends it as a two-part upload.
    let movies = bench.generate("movies", 7500).await?;
    let series = bench.generate("series", 100).await?;
    let files = [
        RawFile::new(movies, "Raw/Local/CSV/Movies/2024/02/29/movies.csv")?,
        RawFile::new(series, "Raw/Local/CSV/Series/2024/02/29/series.csv")?,
    ];
    ensure!(
        files[0].bytes.len() > 5 << 20,
        "the movies file must exceed one part"
    );
    let (movies, series) = (
        files[0].path.to_string_lossy().into_owned(),
        files[1].path.to_string_lossy().into_owned(),
    );
    let mut tally = Tally::new("ingest");
    for (seed, rate) in seeds()? {
        let url = bench.url(&format!("run{seed}"));
        let lake = bench.server.open(&url)?;
        let args = [
            "ingest",
            "--lake",
            &url,
            "--movies",
            &movies,
            "--series",
            &series,
            "--date",
            DATE,
            "--part-size-mib",
            "5",
        ];
        let (run, faults) = bench.faulted(seed, rate, &args).await?;
        tally.record(&run, faults);
        if let Some(problem) = run.unclear_failure(&[&bench.bucket, "Raw/"]) {
            tally.problem(seed, problem);
        }
        match check_raw(&lake, &files).await {
            Ok(present) if run.code == Some(0) && present != files.len() => {
                tally.objects_lost += (files.len() - present) as u64;
                tally.problem(seed, format!("completed with {present} objects: {run:?}"));
            }
            Ok(_) => {}
            Err(e) => tally.problem(seed, format!("after the faulted run: {e:#}; {run:?}")),
        }
        let rerun = bench.direct(&args).await?;
        if rerun.code == Some(0) {
            tally.reruns_completed += 1;
        }
        match check_raw(&lake, &files).await {
            Ok(present) if present == files.len() && rerun.code == Some(0) => {}
            Ok(present) => {
                tally.objects_lost += (files.len() - present) as u64;
                tally.problem(seed, format!("re-run: {present} objects: {rerun:?}"));
            }
            Err(e) => tally.problem(seed, format!("after the re-run: {e:#}; {rerun:?}")),
        }
    }
    tally.finish()
}

// ---------------------------------------------------------------------------------------------
// refine

/// The committed run as `Refined/_manifest.json` names it: every key it points at exists and
/// holds what it says; the stable extract copy, if present, equals the run's extract. Returns
/// whether a manifest is there.
async fn check_refined(lake: &Lake) -> Result<bool> {
    let manifest_key = lake.key("Refined/_manifest.json");
    let stable_key = lake.key("Refined/dashboard/titles.csv");
    let Some((text, _)) = fetch(lake, &manifest_key).await? else {
        ensure!(
            fetch(lake, &stable_key).await?.is_none(),
            "{stable_key} exists without a committed manifest"
        );
        return Ok(false);
    };
    let manifest: serde_json::Value = serde_json::from_slice(&text)
        .with_context(|| format!("{manifest_key} is not JSON (half-written?)"))?;
    let extract = &manifest["extract"];
    let extract_key = lake.key(extract["key"].as_str().context("extract.key")?);
    let (bytes, _) = fetch(lake, &extract_key)
        .await?
        .with_context(|| format!("the manifest names {extract_key}, which is missing"))?;
    let got = digest(&bytes);
    ensure!(
        Some(got.sha256.as_str()) == extract["sha256"].as_str()
            && Some(got.bytes) == extract["bytes"].as_u64(),
        "{extract_key}: {} bytes sha256 {}, the manifest says {extract}",
        got.bytes,
        got.sha256
    );
    let outputs = manifest["outputs"].as_object().context("outputs")?;
    ensure!(outputs.len() == 3, "outputs: {outputs:?}");
    for (name, output) in outputs {
        for key in output["keys"].as_array().context("outputs keys")? {
            let key = lake.key(key.as_str().context("output key")?);
            let (parquet, _) = fetch(lake, &key)
                .await?
                .with_context(|| format!("the manifest names {name} {key}, which is missing"))?;
            // A truncated Parquet file lacks its footer, which ends with the magic bytes.
            ensure!(
                parquet.len() > 8 && parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"),
                "{key}: not a whole Parquet file ({} bytes)",
                parquet.len()
            );
        }
    }
    if let Some((stable, _)) = fetch(lake, &stable_key).await? {
        ensure!(
            stable == bytes,
            "{stable_key} differs from the committed extract"
        );
    }
    let open = open_uploads(lake).await?;
    ensure!(open.is_empty(), "multipart uploads left open: {open:?}");
    Ok(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refine_under_faults() -> Result<()> {
    let bench = Bench::new("refine").await?;
    let movies = bench.generate("movies", 200).await?;
    let series = bench.generate("series", 100).await?;
    let (movies, series) = (movies.to_string_lossy(), series.to_string_lossy());
    let mut tally = Tally::new("refine");
    for (seed, rate) in seeds()? {
        let url = bench.url(&format!("run{seed}"));
        let lake = bench.server.open(&url)?;
        let ingest = bench
            .direct(&[
                "ingest", "--lake", &url, "--movies", &movies, "--series", &series, "--date", DATE,
            ])
            .await?;
        ensure!(ingest.code == Some(0), "setup ingest: {ingest:?}");
        let args = ["refine", "--lake", &url];
        let (run, faults) = bench.faulted(seed, rate, &args).await?;
        tally.record(&run, faults);
        if let Some(problem) = run.unclear_failure(&[&bench.bucket, "Raw/", "Refined/", "Trusted/"])
        {
            tally.problem(seed, problem);
        }
        match check_refined(&lake).await {
            Ok(false) if run.code == Some(0) => {
                tally.objects_lost += 1;
                tally.problem(seed, format!("completed without a manifest: {run:?}"));
            }
            Ok(_) => {}
            Err(e) => tally.problem(seed, format!("after the faulted run: {e:#}; {run:?}")),
        }
        let rerun = bench.direct(&args).await?;
        if rerun.code == Some(0) {
            tally.reruns_completed += 1;
        }
        match check_refined(&lake).await {
            Ok(true) if rerun.code == Some(0) => {
                if fetch(&lake, &lake.key("Refined/dashboard/titles.csv"))
                    .await?
                    .is_none()
                {
                    tally.problem(seed, "re-run left no stable extract copy");
                }
            }
            Ok(_) => {
                tally.objects_lost += 1;
                tally.problem(seed, format!("re-run: {rerun:?}"));
            }
            Err(e) => tally.problem(seed, format!("after the re-run: {e:#}; {rerun:?}")),
        }
    }
    tally.finish()
}

// ---------------------------------------------------------------------------------------------
// prune

/// The run ids that have objects under the lake's `Trusted/runs/` or `Refined/runs/`.
async fn runs_in(lake: &Lake) -> Result<Vec<String>> {
    let mut runs = Vec::new();
    for folder in ["Trusted/runs", "Refined/runs"] {
        for key in keys_under(lake, folder).await? {
            let id = cinelake_refine::layout::run_of_key(&key)
                .with_context(|| format!("{key} is in no run"))?;
            runs.push(id.to_owned());
        }
    }
    runs.sort();
    runs.dedup();
    Ok(runs)
}

/// Records in `tally` what a prune `run` left: data lost if the committed run is damaged or
/// gone, a problem if a completed run left any other run.
async fn judge_prune(
    tally: &mut Tally,
    seed: u64,
    when: &str,
    run: &Run,
    lake: &Lake,
    committed: &str,
) -> Result<()> {
    let left = runs_in(lake).await?;
    let manifest = check_refined(lake).await;
    if !matches!(manifest, Ok(true)) || !left.iter().any(|id| id == committed) {
        tally.objects_lost += 1;
        tally.problem(
            seed,
            format!(
                "{when}: the committed run is damaged ({manifest:?}), runs left {left:?}; {run:?}"
            ),
        );
    }
    if run.code == Some(0) && left != [committed] {
        tally.problem(seed, format!("{when}: completed, but left {left:?}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_under_faults() -> Result<()> {
    let bench = Bench::new("prune").await?;
    let movies = bench.generate("movies", 60).await?;
    let series = bench.generate("series", 30).await?;
    let (movies, series) = (movies.to_string_lossy(), series.to_string_lossy());
    let mut tally = Tally::new("prune");
    for (seed, rate) in seeds()? {
        let url = bench.url(&format!("run{seed}"));
        let lake = bench.server.open(&url)?;
        // Two runs, the second committed: prune --keep 1 must delete the first and nothing else.
        for date in ["2024-02-28", DATE] {
            let ingest = bench
                .direct(&[
                    "ingest", "--lake", &url, "--movies", &movies, "--series", &series, "--date",
                    date,
                ])
                .await?;
            ensure!(ingest.code == Some(0), "setup ingest: {ingest:?}");
            let refine = bench.direct(&["refine", "--lake", &url]).await?;
            ensure!(refine.code == Some(0), "setup refine: {refine:?}");
        }
        let before = runs_in(&lake).await?;
        ensure!(before.len() == 2, "two runs: {before:?}");
        let committed = before
            .iter()
            .find(|id| id.starts_with(DATE))
            .context("the committed run")?
            .clone();
        let args = ["prune", "--lake", &url, "--keep", "1"];
        let (run, faults) = bench.faulted(seed, rate, &args).await?;
        tally.record(&run, faults);
        if let Some(problem) = run.unclear_failure(&[&bench.bucket, "Refined/", "Trusted/"]) {
            tally.problem(seed, problem);
        }
        // Faulted or not, the committed run is whole and still there (else data was lost); a
        // completed run left only that run.
        judge_prune(
            &mut tally,
            seed,
            "after the faulted run",
            &run,
            &lake,
            &committed,
        )
        .await?;
        let rerun = bench.direct(&args).await?;
        if rerun.code == Some(0) {
            tally.reruns_completed += 1;
        }
        judge_prune(
            &mut tally,
            seed,
            "after the re-run",
            &rerun,
            &lake,
            &committed,
        )
        .await?;
    }
    tally.finish()
}

// ---------------------------------------------------------------------------------------------
// publish

/// The site's `manifest.json`, if present, links an object (by presigned URL) that holds what
/// it says: the extract's bytes and SHA-256, decoded when it is the gzip copy. Returns whether a
/// manifest is there.
async fn check_site(site: &Lake, lake: &Lake, bucket: &str) -> Result<bool> {
    let manifest_key = site.key("manifest.json");
    let Some((text, _)) = fetch(site, &manifest_key).await? else {
        return Ok(false);
    };
    let manifest: serde_json::Value = serde_json::from_slice(&text)
        .with_context(|| format!("{manifest_key} is not JSON (half-written?)"))?;
    let dataset = &manifest["datasets"][0];
    let url = dataset["url"].as_str().context("datasets[0].url")?;
    // Path-style presigned URL: http://host:port/BUCKET/KEY?X-Amz-...
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, path)| path.split('?').next().unwrap_or(path))
        .with_context(|| format!("{url} is not a URL"))?;
    let key = path
        .strip_prefix(&format!("{bucket}/"))
        .with_context(|| format!("{url} is not in bucket {bucket}"))?;
    let key = Key::from_url_path(key)?;
    let (stored, _) = fetch(lake, &key)
        .await?
        .with_context(|| format!("the site manifest links {key}, which is missing"))?;
    let csv = if key.as_ref().ends_with(".gz") {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&stored[..])
            .read_to_end(&mut out)
            .with_context(|| format!("{key} is not whole gzip"))?;
        out
    } else {
        stored
    };
    let got = digest(&csv);
    ensure!(
        Some(got.sha256.as_str()) == dataset["sha256"].as_str()
            && Some(got.bytes) == dataset["bytes"].as_u64(),
        "{key}: {} bytes sha256 {}, the site manifest says {dataset}",
        got.bytes,
        got.sha256
    );
    let open = open_uploads(site).await?;
    ensure!(open.is_empty(), "multipart uploads left open: {open:?}");
    Ok(true)
}

/// Ingests and refines small generated files into `s3://BUCKET/lake`, directly.
async fn refined_lake(bench: &Bench) -> Result<(String, Lake)> {
    let movies = bench.generate("movies", 200).await?;
    let series = bench.generate("series", 100).await?;
    let lake_url = bench.url("lake");
    let lake = bench.server.open(&lake_url)?;
    let ingest = bench
        .direct(&[
            "ingest",
            "--lake",
            &lake_url,
            "--movies",
            &movies.to_string_lossy(),
            "--series",
            &series.to_string_lossy(),
            "--date",
            DATE,
        ])
        .await?;
    ensure!(ingest.code == Some(0), "setup ingest: {ingest:?}");
    let refine = bench.direct(&["refine", "--lake", &lake_url]).await?;
    ensure!(refine.code == Some(0), "setup refine: {refine:?}");
    Ok((lake_url, lake))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_under_faults() -> Result<()> {
    let bench = Bench::new("publish").await?;
    let (lake_url, lake) = refined_lake(&bench).await?;

    let mut tally = Tally::new("publish");
    for (seed, rate) in seeds()? {
        let site_url = bench.url(&format!("site{seed}"));
        let site = bench.server.open(&site_url)?;
        let mut args = vec!["publish", "--lake", &lake_url, "--site", &site_url];
        // Every other run stores and links the gzip copy: one more object written per run.
        if seed % 2 == 1 {
            args.push("--gzip");
        }
        let (run, faults) = bench.faulted(seed, rate, &args).await?;
        tally.record(&run, faults);
        if let Some(problem) = run.unclear_failure(&[&bench.bucket, "Refined/", "manifest"]) {
            tally.problem(seed, problem);
        }
        match check_site(&site, &lake, &bench.bucket).await {
            Ok(false) if run.code == Some(0) => {
                tally.objects_lost += 1;
                tally.problem(seed, format!("completed without a site manifest: {run:?}"));
            }
            Ok(_) => {}
            Err(e) => tally.problem(seed, format!("after the faulted run: {e:#}; {run:?}")),
        }
        let rerun = bench.direct(&args).await?;
        if rerun.code == Some(0) {
            tally.reruns_completed += 1;
        }
        match check_site(&site, &lake, &bench.bucket).await {
            Ok(true) if rerun.code == Some(0) => {}
            Ok(_) => {
                tally.objects_lost += 1;
                tally.problem(seed, format!("re-run: {rerun:?}"));
            }
            Err(e) => tally.problem(seed, format!("after the re-run: {e:#}; {rerun:?}")),
        }
    }
    tally.finish()
}

// ---------------------------------------------------------------------------------------------
// regressions: one exact fault, found by the runs above

/// Ingests the small sample files through the proxy with `config` and returns the run and the
/// lake (opened directly) with the Raw files it should hold.
async fn ingest_once(
    tag: &str,
    config: FaultConfig,
    part_size: &str,
) -> Result<(Run, Lake, Vec<RawFile>, FaultCounts)> {
    let bench = Bench::new(tag).await?;
    let titles = if part_size == "5" { 7500 } else { 200 };
    let movies = bench.generate("movies", titles).await?;
    let series = bench.generate("series", 100).await?;
    let files = vec![
        RawFile::new(movies, "Raw/Local/CSV/Movies/2024/02/29/movies.csv")?,
        RawFile::new(series, "Raw/Local/CSV/Series/2024/02/29/series.csv")?,
    ];
    let url = bench.url("lake");
    let lake = bench.server.open(&url)?;
    bench.proxy.set_config(config)?;
    let run = bench
        .server
        .cinelake(
            &bench.proxy.endpoint(),
            &[
                "ingest",
                "--lake",
                &url,
                "--movies",
                &files[0].path.to_string_lossy(),
                "--series",
                &files[1].path.to_string_lossy(),
                "--date",
                DATE,
                "--part-size-mib",
                part_size,
            ],
        )
        .await?;
    let faults = bench.proxy.counts();
    Ok((run, lake, files, faults))
}

fn target(method: &str, path_contains: Option<&str>) -> cinelake_faults::FaultTarget {
    cinelake_faults::FaultTarget {
        method: Some(method.into()),
        path_contains: path_contains.map(str::to_owned),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_whose_put_answer_is_lost_completes() -> Result<()> {
    // The object is stored, the answer is cut, object_store retries the create-only PUT and the
    // server answers 412: that used to fail as "written by someone else meanwhile".
    let config = FaultConfig::once(FaultKind::DropResponse, target("PUT", None));
    let (run, lake, files, faults) = ingest_once("lostput", config, "8").await?;
    ensure!(faults.get(FaultKind::DropResponse) == 1, "{faults}");
    ensure!(run.code == Some(0), "{run:?}");
    ensure!(check_raw(&lake, &files).await? == 2, "{run:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_whose_completion_answer_is_lost_completes() -> Result<()> {
    // CompleteMultipartUpload is a POST, which object_store does not retry: the object is whole
    // on the server, and ingest used to report the upload as failed.
    let config = FaultConfig::once(FaultKind::DropResponse, target("POST", Some("uploadId=")));
    let (run, lake, files, faults) = ingest_once("lostcomplete", config, "5").await?;
    ensure!(faults.get(FaultKind::DropResponse) == 1, "{faults}");
    ensure!(run.code == Some(0), "{run:?}");
    ensure!(check_raw(&lake, &files).await? == 2, "{run:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_whose_multipart_creation_answer_is_lost_leaves_no_upload_open() -> Result<()> {
    // The server opened an upload and the answer with its id was cut. Cut inside the body,
    // object_store does not retry and ingest fails; cut inside the head, it retries and opens a
    // second upload. Either way the first one used to stay open.
    let config = FaultConfig::once(FaultKind::DropResponse, target("POST", Some("?uploads")));
    let (run, lake, files, faults) = ingest_once("lostcreate", config, "5").await?;
    ensure!(faults.get(FaultKind::DropResponse) == 1, "{faults}");
    ensure!(
        run.code == Some(0)
            || run.code == Some(1) && run.stderr.contains("start multipart upload failed"),
        "{run:?}"
    );
    check_raw(&lake, &files).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publish_rides_out_a_four_second_server_restart() -> Result<()> {
    // object_store draws each pause between the first one and `base` times the previous one, so
    // with base 2 the pauses barely grew: 10 retries were spent in about 2 s and a server restart
    // outlasted them (publish failed with "Connection refused ... after 10 retries").
    let bench = Bench::new("restart").await?;
    let (lake_url, lake) = refined_lake(&bench).await?;
    let site_url = bench.url("site");
    let site = bench.server.open(&site_url)?;
    bench.proxy.begin_outage(Duration::from_secs(4));
    let run = bench
        .server
        .cinelake(
            &bench.proxy.endpoint(),
            &["publish", "--lake", &lake_url, "--site", &site_url],
        )
        .await?;
    ensure!(run.code == Some(0), "{run:?}");
    ensure!(check_site(&site, &lake, &bench.bucket).await?, "{run:?}");
    Ok(())
}
