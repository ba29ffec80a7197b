//! `cinelake ingest` end to end, against a `file://` lake and a fresh bucket on the test
//! SeaweedFS (`scripts/s3-server.sh run cargo test -p cinelake`; the S3 cases fail, never skip,
//! without it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, Result, ensure};
use cinelake_lake::{Lake, LakeOptions, StaticCredentials};
use futures::TryStreamExt;
use object_store::ObjectStore;

const DATE: &str = "2024-02-29";

/// A lake to ingest into, how the binary reaches it, and a scratch folder.
struct Target {
    url: String,
    env: Vec<(&'static str, String)>,
    secret: Option<String>,
    lake: Lake,
    scratch: PathBuf,
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

fn unique(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{tag}-{}-{}-{nanos:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn scratch(tag: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("cinelake-cli-{}", unique(tag)));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

impl Target {
    fn file(tag: &str) -> Result<Target> {
        let scratch = scratch(tag)?;
        let url = format!("file://{}", scratch.join("lake").display());
        let lake = Lake::open(&url.parse()?, &LakeOptions::default())?;
        Ok(Target {
            url,
            env: vec![],
            secret: None,
            lake,
            scratch,
        })
    }

    async fn s3(tag: &str) -> Result<Target> {
        let var = |name: &str| {
            std::env::var(name).with_context(|| {
                format!("{name} is not set: run the tests through `scripts/s3-server.sh run cargo test ...`")
            })
        };
        let (endpoint, key, secret, region) = (
            var("CINELAKE_TEST_S3_ENDPOINT")?,
            var("CINELAKE_TEST_S3_ACCESS_KEY")?,
            var("CINELAKE_TEST_S3_SECRET_KEY")?,
            var("CINELAKE_TEST_S3_REGION")?,
        );
        let bucket = format!("cli{}", unique(tag))
            .to_ascii_lowercase()
            .replace('_', "-");
        let url = format!("s3://{bucket}/p");
        let options = LakeOptions {
            endpoint: Some(endpoint.clone()),
            region: Some(region.clone()),
            credentials: Some(StaticCredentials {
                access_key_id: key.clone(),
                secret_access_key: secret.clone(),
                session_token: None,
            }),
            ..Default::default()
        };
        let lake = Lake::open(&url.parse()?, &options)?;
        lake.create_bucket().await?;
        let env = vec![
            ("AWS_ACCESS_KEY_ID", key),
            ("AWS_SECRET_ACCESS_KEY", secret.clone()),
            ("AWS_REGION", region),
            ("AWS_ENDPOINT_URL", endpoint),
        ];
        Ok(Target {
            url,
            env,
            secret: Some(secret),
            lake,
            scratch: scratch(tag)?,
        })
    }

    /// Runs `cinelake ingest --lake URL ARGS...` with a clean AWS environment.
    fn ingest(&self, args: &[&str]) -> Result<Run> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cinelake"));
        cmd.arg("ingest")
            .arg("--lake")
            .arg(&self.url)
            .args(args)
            .current_dir(repo_root());
        for (name, _) in std::env::vars() {
            if name.starts_with("AWS_") {
                cmd.env_remove(name);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        let out: Output = cmd.output().context("run cinelake")?;
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        if let Some(secret) = &self.secret {
            ensure!(
                !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
                "secret in output: {run:?}"
            );
        }
        Ok(run)
    }

    async fn keys(&self) -> Result<Vec<String>> {
        let mut keys: Vec<String> = self
            .lake
            .store()
            .list(None)
            .map_ok(|m| m.location.to_string())
            .try_collect()
            .await?;
        keys.sort();
        Ok(keys)
    }

    fn prefix(&self) -> &'static str {
        if self.url.starts_with("s3://") {
            "p/"
        } else {
            ""
        }
    }
}

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const MOVIES: &str = "testdata/samples/movies_sample_100.csv";
const SERIES: &str = "testdata/samples/series_sample_100.csv";

async fn full_cycle(t: Target) -> Result<()> {
    let both = ["--movies", MOVIES, "--series", SERIES, "--date", DATE];

    let dry = t.ingest(&[&both[..], &["--dry-run"]].concat())?;
    ensure!(dry.code == Some(0), "{dry:?}");
    ensure!(
        dry.stdout.contains("plan (dry run, nothing uploaded)"),
        "{dry:?}"
    );
    ensure!(
        dry.stdout.contains(
            "Raw/Local/CSV/Movies/2024/02/29/movies.csv  (15411 bytes, 100 rows, 25 titles"
        ),
        "{dry:?}"
    );
    ensure!(
        t.keys().await?.is_empty(),
        "dry run wrote {:?}",
        t.keys().await?
    );

    let first = t.ingest(&both)?;
    ensure!(first.code == Some(0), "{first:?}");
    ensure!(
        first.stdout.matches("created and verified").count() == 2,
        "{first:?}"
    );
    let p = t.prefix();
    ensure!(
        t.keys().await?
            == vec![
                format!("{p}Raw/Local/CSV/Movies/2024/02/29/movies.csv"),
                format!("{p}Raw/Local/CSV/Series/2024/02/29/series.csv")
            ],
        "{:?}",
        t.keys().await?
    );

    let again = t.ingest(&both)?;
    ensure!(again.code == Some(0), "{again:?}");
    ensure!(
        again.stdout.matches("already present, identical").count() == 2,
        "{again:?}"
    );

    // Different content for the same date: the sample without its last row.
    let text = std::fs::read_to_string(repo_root().join(MOVIES))?;
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    let changed = t.scratch.join("movies.csv");
    std::fs::write(&changed, lines.join("\n") + "\n")?;
    let changed = changed.to_string_lossy().into_owned();
    let refused = t.ingest(&["--movies", &changed, "--date", DATE])?;
    ensure!(refused.code == Some(1), "{refused:?}");
    ensure!(
        refused
            .stderr
            .contains("already exists with different content")
            && refused.stderr.contains("--overwrite"),
        "{refused:?}"
    );

    let replaced = t.ingest(&["--movies", &changed, "--date", DATE, "--overwrite"])?;
    ensure!(
        replaced.code == Some(0) && replaced.stdout.contains("overwritten and verified"),
        "{replaced:?}"
    );
    Ok(())
}

async fn malformed_file_uploads_nothing(t: Target) -> Result<()> {
    let text = std::fs::read_to_string(repo_root().join(MOVIES))?;
    let bad = text.replacen("|5.3|200|actor|", "|5,3|200|actor|", 1);
    ensure!(
        bad != text,
        "the sample changed; pick another row to corrupt"
    );
    let path = t.scratch.join("movies.csv");
    std::fs::write(&path, bad)?;
    let path = path.to_string_lossy().into_owned();
    let run = t.ingest(&["--movies", &path, "--series", SERIES, "--date", DATE])?;
    ensure!(run.code == Some(1), "{run:?}");
    ensure!(
        run.stderr
            .contains("movies.csv:3: column notaMedia: \"5,3\""),
        "row report missing: {run:?}"
    );
    ensure!(run.stderr.contains("nothing was uploaded"), "{run:?}");
    ensure!(t.keys().await?.is_empty(), "uploaded {:?}", t.keys().await?);
    Ok(())
}

macro_rules! both {
    ($($case:ident),* $(,)?) => {
        mod file {
            $(#[tokio::test] async fn $case() -> anyhow::Result<()> {
                super::$case(super::Target::file(stringify!($case))?).await
            })*
        }
        mod s3 {
            $(#[tokio::test] async fn $case() -> anyhow::Result<()> {
                super::$case(super::Target::s3(stringify!($case)).await?).await
            })*
        }
    };
}

both!(full_cycle, malformed_file_uploads_nothing);
