//! The bad-input corpus (tests/corpus/README.md) through the binary: `check` in strict and lenient
//! mode, `ingest` to a `file://` lake and to the test SeaweedFS, and `refine` on a Raw zone that
//! holds the bad file (put there directly, bypassing ingest's validation).
//!
//! Each committed file's outcome is its `.expected` neighbour (what the core reader says, checked
//! by crates/core/tests/corpus.rs); the two generated inputs (a 10 MiB field, 50 MiB of random
//! bytes; tests/corpus/generated.rs) are written once per test binary to a scratch folder. Every
//! surface must report exactly that outcome: `check` prints it, `ingest` refuses the file with
//! its first error and uploads nothing, `refine` either counts the rejects in its manifest or
//! fails and leaves the committed Refined zone as it was (the table in [`refine_outcomes`]).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, bail, ensure};
use chrono::{Days, NaiveDate};
use cinelake_lake::{Lake, LakeOptions, StaticCredentials};
use futures::TryStreamExt;
use object_store::ObjectStore;
use serde_json::Value;

use crate::check::{Run, cinelake, cinelake_in, repo_root};

#[path = "../../../../tests/corpus/generated.rs"]
mod generated;

/// What the core reader says about a file in strict mode, from its `.expected` file.
#[derive(Debug, Clone)]
enum Expected {
    /// A wrong header (or no header): this error stopped reading.
    Stops(String),
    /// Rows were read; `errors` are the rejected rows' messages, in order.
    Rows {
        rows: u64,
        rejected: u64,
        titles: u64,
        errors: Vec<String>,
    },
}

#[derive(Debug)]
struct Case {
    /// The file name, which every message starts with.
    name: String,
    dir: PathBuf,
    /// `movies` or `series`, from the name.
    kind: &'static str,
    expected: Expected,
}

impl Case {
    fn path(&self) -> String {
        self.dir.join(&self.name).to_string_lossy().into_owned()
    }
}

fn parse_expected(text: &str) -> Result<Expected> {
    let mut lines = text.lines();
    let first = lines.next().context("an empty .expected file")?;
    let Some(counts) = first.strip_prefix("rows ") else {
        return Ok(Expected::Stops(first.to_string()));
    };
    let numbers: Vec<u64> = counts
        .split(", ")
        .map(|part| {
            part.rsplit(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .with_context(|| format!("bad counts line {first:?}"))
        })
        .collect::<Result<_>>()?;
    let [rows, rejected, titles] = numbers[..] else {
        bail!("bad counts line {first:?}");
    };
    Ok(Expected::Rows {
        rows,
        rejected,
        titles,
        errors: lines.map(str::to_string).collect(),
    })
}

/// The two generated inputs, written once per test binary (and reused across runs: the bytes
/// never change) to a scratch folder.
fn generated_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join("cinelake-corpus-generated");
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        for (name, make) in [
            (
                "huge_field.movies.csv",
                generated::huge_field_movies as fn() -> Vec<u8>,
            ),
            ("garbage_50mib.movies.csv", generated::garbage),
        ] {
            let bytes = make();
            let path = dir.join(name);
            if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
                // Written aside and renamed, so a concurrent test binary never reads half a file.
                let partial = dir.join(format!("{name}.{}", std::process::id()));
                std::fs::write(&partial, &bytes).expect("writing a generated input");
                std::fs::rename(&partial, &path).expect("renaming a generated input");
            }
        }
        dir
    })
}

/// Every committed corpus file and the two generated ones, in name order.
fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let dir = repo_root().join("tests/corpus/raw");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("tests/corpus/raw")
            .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".csv"))
            .collect();
        names.sort();
        let kind_of = |name: &str| if name.ends_with(".series.csv") { "series" } else { "movies" };
        let mut cases: Vec<Case> = names
            .into_iter()
            .map(|name| {
                let expected_path = dir.join(name.replace(".csv", ".expected"));
                let text = std::fs::read_to_string(&expected_path).expect("an .expected file");
                Case {
                    kind: kind_of(&name),
                    expected: parse_expected(&text).expect("a well-formed .expected file"),
                    dir: dir.clone(),
                    name,
                }
            })
            .collect();

        let scratch = generated_dir().to_path_buf();
        let huge_line = generated::huge_field_movies()
            .split(|&b| b == b'\n')
            .nth(2)
            .map_or(0, <[u8]>::len);
        cases.push(Case {
            name: "huge_field.movies.csv".into(),
            dir: scratch.clone(),
            kind: "movies",
            expected: Expected::Rows {
                rows: 3,
                rejected: 1,
                titles: 2,
                errors: vec![format!(
                    "huge_field.movies.csv:3: the line is longer than 1048576 bytes ({huge_line} bytes read)"
                )],
            },
        });
        // The header of random bytes is shown lossily and cut at 400 characters: the core
        // corpus test pins its shape, and here the binary must print what the core reader says.
        let garbage = generated::garbage();
        let stop = cinelake_core::raw::check(
            &garbage[..],
            "garbage_50mib.movies.csv",
            &cinelake_core::raw::CheckOptions {
                expect: Some(cinelake_core::raw::RawKind::Movies),
                ..Default::default()
            },
        )
        .expect_err("random bytes fail at the header")
        .to_string();
        assert!(stop.ends_with("(not valid UTF-8)"), "{stop}");
        cases.push(Case {
            name: "garbage_50mib.movies.csv".into(),
            dir: scratch,
            kind: "movies",
            expected: Expected::Stops(stop),
        });
        cases
    })
}

#[test]
fn the_corpus_has_at_least_30_files_covering_issue_11() {
    let names: Vec<&str> = cases().iter().map(|c| c.name.as_str()).collect();
    assert!(names.len() >= 30, "{names:?}");
    for wanted in [
        "delimited",
        "column",
        "utf8",
        "bom",
        "crlf",
        "huge_field",
        "garbage",
        "empty",
        "html",
        "rating",
        "negative",
        "future",
    ] {
        assert!(names.iter().any(|n| n.contains(wanted)), "no {wanted} case");
    }
}

#[test]
fn check_reports_each_file_exactly_in_both_modes() -> Result<()> {
    let mut failures = Vec::new();
    for case in cases() {
        for lenient in [false, true] {
            let mut args = vec![
                "check",
                "--kind",
                case.kind,
                "--max-errors",
                "1000",
                &case.name,
            ];
            if lenient {
                args.push("--lenient");
            }
            let run = cinelake_in(&case.dir, &args, b"")?;
            if let Err(error) = check_outcome(case, lenient, &run) {
                failures.push(format!(
                    "{} (lenient {lenient}): {error:#}\n{run:?}",
                    case.name
                ));
            }
        }
    }
    ensure!(failures.is_empty(), "{}", failures.join("\n\n"));
    Ok(())
}

fn check_outcome(case: &Case, lenient: bool, run: &Run) -> Result<()> {
    match &case.expected {
        Expected::Stops(message) => {
            ensure!(run.code == Some(1), "exit code");
            ensure!(run.stdout == format!("{message}\n  invalid\n"), "stdout");
        }
        Expected::Rows {
            rows,
            rejected,
            titles,
            errors,
        } => {
            let valid = lenient || *rejected == 0;
            ensure!(run.code == Some(if valid { 0 } else { 1 }), "exit code");
            let head = format!(
                "{}: {} file, {rows} rows, {titles} titles (",
                case.name, case.kind
            );
            ensure!(run.stdout.starts_with(&head), "first line: want {head:?}");
            ensure!(
                run.stdout
                    .lines()
                    .next()
                    .is_some_and(|l| l.ends_with(&format!(", {rejected} rejected"))),
                "rejected count"
            );
            let listed: Vec<&str> = run
                .stdout
                .lines()
                .filter_map(|l| l.strip_prefix("  rejected "))
                .collect();
            ensure!(listed == *errors, "rejected rows: want {errors:?}");
            let verdict = match (valid, lenient) {
                (true, false) => "  valid (strict)\n",
                (false, _) => "  invalid (strict)\n",
                (true, true) => "  valid (lenient)\n",
            };
            ensure!(run.stdout.ends_with(verdict), "verdict: want {verdict:?}");
        }
    }
    ensure!(run.stderr.is_empty(), "stderr");
    Ok(())
}

/// A lake to ingest into and how the binary reaches it.
struct Target {
    url: String,
    env: Vec<(&'static str, String)>,
    lake: Lake,
    scratch: Option<PathBuf>,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{tag}-{}-{nanos:x}", std::process::id())
}

impl Target {
    fn file(tag: &str) -> Result<Target> {
        let dir = std::env::temp_dir().join(format!("cinelake-corpus-{}", unique(tag)));
        std::fs::create_dir_all(dir.join("lake"))?;
        let url = format!("file://{}", dir.join("lake").display());
        let lake = Lake::open(&url.parse()?, &LakeOptions::default())?;
        Ok(Target {
            url,
            env: vec![],
            lake,
            scratch: Some(dir),
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
        let bucket = format!("corpus{}", unique(tag))
            .to_ascii_lowercase()
            .replace('_', "-");
        let url = format!("s3://{bucket}");
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
        Ok(Target {
            url,
            env: vec![
                ("AWS_ACCESS_KEY_ID", key),
                ("AWS_SECRET_ACCESS_KEY", secret),
                ("AWS_REGION", region),
                ("AWS_ENDPOINT_URL", endpoint),
            ],
            lake,
            scratch: None,
        })
    }

    fn ingest(&self, args: &[&str]) -> Result<Run> {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cinelake"));
        cmd.arg("ingest").arg("--lake").arg(&self.url).args(args);
        for (name, _) in std::env::vars() {
            if name.starts_with("AWS_") {
                cmd.env_remove(name);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        let out = cmd.output().context("run cinelake")?;
        Ok(Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
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
}

/// A distinct Raw partition day per case, so one lake holds them all.
fn day(index: usize) -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.checked_add_days(Days::new(index as u64 + 1)))
        .expect("a date")
}

fn raw_key(kind: &str, date: NaiveDate) -> String {
    let (folder, file) = if kind == "series" {
        ("Series", "series.csv")
    } else {
        ("Movies", "movies.csv")
    };
    format!("Raw/Local/CSV/{folder}/{}/{file}", date.format("%Y/%m/%d"))
}

/// Ingests every case into one lake, each on its own day: a bad file fails with its first error
/// and uploads nothing; the `_ok` edge cases upload. The lake then holds exactly the good files.
async fn ingest_uploads_nothing_for_a_bad_file(target: Target) -> Result<()> {
    let mut failures = Vec::new();
    let mut uploaded = Vec::new();
    for (index, case) in cases().iter().enumerate() {
        let date = day(index).to_string();
        let flag = format!("--{}", case.kind);
        let path = case.path();
        let run = target.ingest(&[&flag, &path, "--date", &date])?;
        let outcome = match &case.expected {
            Expected::Stops(message) => {
                if run.code == Some(1) && run.stderr.contains(message.as_str()) {
                    Ok(())
                } else {
                    Err(format!("want exit 1 and {message:?}"))
                }
            }
            Expected::Rows {
                rows,
                rejected,
                errors,
                ..
            } if *rejected > 0 => {
                let message = format!(
                    "{}: {rejected} of {rows} rows rejected (strict mode), the first: {}; nothing was uploaded",
                    case.name, errors[0]
                );
                if run.code == Some(1) && run.stderr.contains(&message) {
                    Ok(())
                } else {
                    Err(format!("want exit 1 and {message:?}"))
                }
            }
            Expected::Rows { .. } => {
                uploaded.push(raw_key(case.kind, day(index)));
                if run.code == Some(0) && run.stdout.contains("created and verified") {
                    Ok(())
                } else {
                    Err("want an upload".to_string())
                }
            }
        };
        if let Err(want) = outcome {
            failures.push(format!("{}: {want}\n{run:?}", case.name));
        }
    }
    ensure!(failures.is_empty(), "{}", failures.join("\n\n"));
    uploaded.sort();
    let keys = target.keys().await?;
    ensure!(
        keys == uploaded,
        "the lake holds {keys:?}, want only the good files {uploaded:?}"
    );
    ensure!(uploaded.len() >= 4, "{uploaded:?}");
    Ok(())
}

mod ingest_file {
    #[tokio::test]
    async fn bad_files_upload_nothing() -> anyhow::Result<()> {
        super::ingest_uploads_nothing_for_a_bad_file(super::Target::file("ingest")?).await
    }
}

mod ingest_s3 {
    #[tokio::test]
    async fn bad_files_upload_nothing() -> anyhow::Result<()> {
        super::ingest_uploads_nothing_for_a_bad_file(super::Target::s3("ingest").await?).await
    }
}

/// What `refine` does with one bad file in the Raw zone.
#[derive(Debug, Clone, Copy)]
enum Refined {
    /// The run commits; the bad file's kind has these trusted-stage counts in the manifest.
    Commits {
        rows_in: u64,
        rows_out: u64,
        rejected: u64,
    },
    /// The run fails with this text on stderr and the committed Refined zone is unchanged.
    Fails(&'static str),
}

/// The refine outcome of a selection of the corpus (refine takes seconds a run, so not every
/// file): every kind of outcome, and where refine and the core reader disagree.
///
/// Refine checks each raw object's header with the core reader before anything runs, so a file
/// ingest would refuse for its header (empty, wrong delimiter, a missing column, HTML, CR-only line
/// ends, random bytes) fails the run with the reader's message and leaves the committed run. Past
/// the header, rows the engine cannot type are rejects; a line longer than the core reader's
/// 1 MiB limit is a good row to refine. Invalid UTF-8 in a row fails the run (docs/refine.md,
/// "Known limits").
fn refine_outcomes() -> Vec<(&'static str, Refined)> {
    use Refined::*;
    let commits = |rows_in, rows_out, rejected| Commits {
        rows_in,
        rows_out,
        rejected,
    };
    vec![
        (
            "01_empty.movies.csv",
            Fails("movies.csv: the file is empty"),
        ),
        (
            "02_comma_delimited.movies.csv",
            Fails("movies.csv:1: wrong header"),
        ),
        (
            "04_missing_column_in_header.movies.csv",
            Fails("movies.csv:1: wrong header"),
        ),
        ("09_bad_utf8.movies.csv", Fails("invalid UTF-8")),
        ("10_rating_11.movies.csv", commits(2, 1, 1)),
        ("34_year_in_the_future.movies.csv", commits(3, 1, 2)),
        (
            "35_html_instead_of_csv.movies.csv",
            Fails("movies.csv:1: wrong header"),
        ),
        ("36_nul_byte_in_title_ok.movies.csv", commits(1, 1, 0)),
        (
            "38_cr_only_line_ends.movies.csv",
            Fails("movies.csv:1: wrong header"),
        ),
        ("40_negative_runtime_and_votes.series.csv", commits(2, 0, 2)),
        ("huge_field.movies.csv", commits(3, 3, 0)),
        (
            "garbage_50mib.movies.csv",
            Fails("movies.csv:1: wrong header"),
        ),
    ]
}

fn put(lake_dir: &Path, kind: &str, date: NaiveDate, bytes: &[u8]) -> Result<()> {
    let path = lake_dir.join(raw_key(kind, date));
    std::fs::create_dir_all(path.parent().context("a parent")?)?;
    std::fs::write(path, bytes)?;
    Ok(())
}

#[test]
fn refine_counts_rejects_or_fails_leaving_the_committed_run() -> Result<()> {
    let target = Target::file("refine")?;
    let lake_dir = target
        .scratch
        .as_ref()
        .context("a scratch folder")?
        .join("lake");
    let samples = repo_root().join("testdata/samples");
    let movies = std::fs::read(samples.join("movies_sample_100.csv"))?;
    let series = std::fs::read(samples.join("series_sample_100.csv"))?;
    let manifest_path = lake_dir.join("Refined/_manifest.json");

    // A committed run to keep: the real samples on the first day.
    let first = day(0);
    put(&lake_dir, "movies", first, &movies)?;
    put(&lake_dir, "series", first, &series)?;
    let run = cinelake(&[
        "refine",
        "--lake",
        &target.url,
        "--date",
        &first.to_string(),
    ])?;
    ensure!(run.code == Some(0), "{run:?}");

    let mut failures = Vec::new();
    for (index, (name, outcome)) in refine_outcomes().into_iter().enumerate() {
        let case = cases()
            .iter()
            .find(|c| c.name == name)
            .with_context(|| format!("no case {name}"))?;
        let date = day(index + 1);
        // The bad file as its kind, the good sample as the other.
        let (other, other_bytes) = if case.kind == "movies" {
            ("series", &series)
        } else {
            ("movies", &movies)
        };
        put(&lake_dir, case.kind, date, &std::fs::read(case.path())?)?;
        put(&lake_dir, other, date, other_bytes)?;
        let before = std::fs::read(&manifest_path)?;
        let run = cinelake(&[
            "refine",
            "--lake",
            &target.url,
            "--date",
            &date.to_string(),
            "--json",
        ])?;
        if let Err(error) = refine_outcome(case, outcome, &run, &before, &lake_dir, date) {
            failures.push(format!("{name}: {error:#}\n{run:?}"));
        }
    }
    ensure!(failures.is_empty(), "{}", failures.join("\n\n"));
    Ok(())
}

fn refine_outcome(
    case: &Case,
    outcome: Refined,
    run: &Run,
    before: &[u8],
    lake_dir: &Path,
    date: NaiveDate,
) -> Result<()> {
    let manifest_bytes = std::fs::read(lake_dir.join("Refined/_manifest.json"))?;
    let manifest: Value = serde_json::from_slice(&manifest_bytes)?;
    let kind = if case.kind == "series" {
        "series"
    } else {
        "movie"
    };
    match outcome {
        Refined::Commits {
            rows_in,
            rows_out,
            rejected,
        } => {
            ensure!(run.code == Some(0), "exit code");
            let printed: Value = serde_json::from_str(&run.stdout).context("--json output")?;
            ensure!(
                printed == manifest,
                "the printed manifest is not the committed one"
            );
            ensure!(
                manifest["partition_date"] == date.to_string(),
                "partition date"
            );
            let counts = &manifest["stages"]["trusted"]["by_kind"][kind];
            ensure!(
                counts["rows_in"] == rows_in
                    && counts["rows_out"] == rows_out
                    && counts["rows_rejected"] == rejected,
                "trusted counts {counts}"
            );
            // Where the header is right, refine rejects exactly the rows the core reader does.
            if let Expected::Rows {
                rejected: core_rejected,
                rows: core_rows,
                ..
            } = case.expected
                && !case.name.starts_with("huge_field")
            {
                ensure!(
                    (core_rows, core_rejected) == (rows_in, rejected),
                    "core reader: {core_rows} rows, {core_rejected} rejected"
                );
            }
            let other = if kind == "movie" { "series" } else { "movie" };
            let good = &manifest["stages"]["trusted"]["by_kind"][other];
            ensure!(
                good["rows_in"] == 100 && good["rows_rejected"] == 0,
                "{other}: {good}"
            );
        }
        Refined::Fails(reason) => {
            ensure!(run.code == Some(1), "exit code");
            ensure!(
                run.stderr.starts_with("cinelake: ") && run.stderr.contains(reason),
                "want {reason:?} on stderr"
            );
            ensure!(manifest_bytes == before, "the committed manifest changed");
            let extract = manifest["extract"]["key"].as_str().context("extract key")?;
            ensure!(
                lake_dir.join(extract).is_file(),
                "the committed extract {extract} is gone"
            );
            ensure!(
                manifest["partition_date"] != date.to_string(),
                "committed the bad day"
            );
        }
    }
    Ok(())
}
