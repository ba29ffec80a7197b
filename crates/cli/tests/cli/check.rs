//! `cinelake check` end to end on the real samples (testdata/samples: 100 movie rows → 25 titles,
//! 100 series rows → 16 titles) and the corpus: exit codes in strict and lenient mode, the text
//! report and `--json`. The helpers here run the binary for the other modules too.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, ensure};
use serde_json::Value;

/// What one run of the binary did.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `cinelake ARGS…` in `dir` with `stdin` as standard input.
pub(crate) fn cinelake_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Result<Run> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cinelake"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("run cinelake")?;
    let mut input = child.stdin.take().context("stdin")?;
    input.write_all(stdin)?;
    drop(input);
    let out = child.wait_with_output()?;
    Ok(Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Runs `cinelake ARGS…` at the repository root.
pub(crate) fn cinelake(args: &[&str]) -> Result<Run> {
    cinelake_in(&repo_root(), args, b"")
}

const MOVIES: &str = "testdata/samples/movies_sample_100.csv";
const SERIES: &str = "testdata/samples/series_sample_100.csv";
const BAD_RATING: &str = "tests/corpus/raw/10_rating_11.movies.csv";
const COMMA: &str = "tests/corpus/raw/02_comma_delimited.movies.csv";

fn json(run: &Run) -> Result<Value> {
    serde_json::from_str(&run.stdout).with_context(|| format!("not JSON: {run:?}"))
}

#[test]
fn samples_are_valid_with_their_exact_counts() -> Result<()> {
    let run = cinelake(&["check", MOVIES, SERIES])?;
    ensure!(run.code == Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "{MOVIES}: movies file, 100 rows, 25 titles (Comedy 0, Animation 0, both 0), 0 rejected\n  valid (strict)\n\
             {SERIES}: series file, 100 rows, 16 titles (Comedy 4, Animation 0, both 0), 0 rejected\n  valid (strict)\n"
        )
    );
    Ok(())
}

#[test]
fn samples_as_json() -> Result<()> {
    let run = cinelake(&["check", "--json", MOVIES, SERIES])?;
    ensure!(run.code == Some(0), "{run:?}");
    let report = json(&run)?;
    assert_eq!(report["valid"], true);
    let files = report["files"].as_array().context("files")?;
    assert_eq!(files.len(), 2);
    for (file, kind, titles, comedy) in [(&files[0], "movies", 25, 0), (&files[1], "series", 16, 4)]
    {
        assert_eq!(file["kind"], kind);
        assert_eq!(file["mode"], "strict");
        assert_eq!(file["valid"], true);
        assert_eq!(file["rows"], 100);
        assert_eq!(file["accepted"], 100);
        assert_eq!(file["rejected"], 0);
        assert_eq!(file["titles"], titles);
        assert_eq!(file["comedy"], comedy);
        assert_eq!(file["animation"], 0);
        assert_eq!(file["errors"], Value::Array(vec![]));
    }
    assert_eq!(files[0]["file"], MOVIES);
    Ok(())
}

#[test]
fn a_bad_row_fails_strict_and_passes_lenient() -> Result<()> {
    let message = format!(
        "{BAD_RATING}:3: column notaMedia: \"11.0\" is not a rating between 1.0 and 10.0 with at most one decimal"
    );
    let strict = cinelake(&["check", BAD_RATING])?;
    ensure!(strict.code == Some(1), "{strict:?}");
    assert_eq!(
        strict.stdout,
        format!(
            "{BAD_RATING}: movies file, 2 rows, 1 titles (Comedy 0, Animation 0, both 0), 1 rejected\n  rejected {message}\n  invalid (strict)\n"
        )
    );
    let lenient = cinelake(&["check", "--lenient", BAD_RATING])?;
    ensure!(lenient.code == Some(0), "{lenient:?}");
    ensure!(
        lenient.stdout.ends_with("  valid (lenient)\n") && lenient.stdout.contains(&message),
        "{lenient:?}"
    );

    for (flag, valid, code) in [("--json", false, 1), ("--lenient", true, 0)] {
        let args = if flag == "--json" {
            vec!["check", "--json", BAD_RATING]
        } else {
            vec!["check", "--json", "--lenient", BAD_RATING]
        };
        let run = cinelake(&args)?;
        ensure!(run.code == Some(code), "{run:?}");
        let file = &json(&run)?["files"][0];
        assert_eq!(file["valid"], valid);
        assert_eq!(file["rows"], 2);
        assert_eq!(file["rejected"], 1);
        assert_eq!(file["errors"][0]["line"], 3);
        assert_eq!(file["errors"][0]["column"], "notaMedia");
        assert_eq!(file["errors"][0]["message"], message.as_str());
    }
    Ok(())
}

#[test]
fn a_wrong_header_fails_in_both_modes() -> Result<()> {
    for lenient in [false, true] {
        let mut args = vec!["check", COMMA];
        if lenient {
            args.push("--lenient");
        }
        let run = cinelake(&args)?;
        ensure!(run.code == Some(1), "{run:?}");
        ensure!(
            run.stdout.starts_with(&format!(
                "{COMMA}:1: wrong header: expected movies columns id|tituloPincipal|"
            )) && run
                .stdout
                .ends_with("(the file looks comma-delimited; the raw format uses |)\n  invalid\n"),
            "{run:?}"
        );
    }
    let run = cinelake(&["check", "--json", "--lenient", COMMA])?;
    let file = &json(&run)?["files"][0];
    assert_eq!(file["valid"], false);
    ensure!(
        file["error"]
            .as_str()
            .is_some_and(|e| e.contains("comma-delimited")),
        "{run:?}"
    );
    Ok(())
}

#[test]
fn one_bad_file_among_good_ones_fails_the_run() -> Result<()> {
    let run = cinelake(&["check", "--json", MOVIES, BAD_RATING, SERIES])?;
    ensure!(run.code == Some(1), "{run:?}");
    let report = json(&run)?;
    assert_eq!(report["valid"], false);
    let valid: Vec<&Value> = report["files"]
        .as_array()
        .context("files")?
        .iter()
        .map(|f| &f["valid"])
        .collect();
    assert_eq!(
        valid,
        [&Value::Bool(true), &Value::Bool(false), &Value::Bool(true)]
    );
    Ok(())
}

#[test]
fn kind_refuses_the_other_header() -> Result<()> {
    let run = cinelake(&["check", "--kind", "series", MOVIES])?;
    ensure!(run.code == Some(1), "{run:?}");
    ensure!(
        run.stdout
            .contains(":1: wrong header: expected series columns")
            && run.stdout.contains("(a movies header)"),
        "{run:?}"
    );
    Ok(())
}

#[test]
fn standard_input_and_the_error_cap() -> Result<()> {
    let bytes = std::fs::read(repo_root().join(SERIES))?;
    let run = cinelake_in(&repo_root(), &["check", "-"], &bytes)?;
    ensure!(run.code == Some(0), "{run:?}");
    ensure!(
        run.stdout.starts_with(
            "-: series file, 100 rows, 16 titles (Comedy 4, Animation 0, both 0), 0 rejected"
        ),
        "{run:?}"
    );

    // Three bad rows, one listed.
    let three = "tests/corpus/raw/32_rating_below_range.movies.csv";
    let run = cinelake(&["check", "--max-errors", "1", three])?;
    ensure!(run.code == Some(1), "{run:?}");
    ensure!(
        run.stdout.matches("  rejected ").count() == 1
            && run.stdout.contains("  … and 2 more rejected rows\n"),
        "{run:?}"
    );
    Ok(())
}
