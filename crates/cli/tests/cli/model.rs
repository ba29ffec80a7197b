//! `cinelake model` end to end: the binary's numbers are the fixtures' (numpy-computed, see
//! `testdata/model/make_fixtures.py`), the model and seed flags change them, and bad input is a
//! one-line error with exit code 1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, Result, ensure};
use serde_json::Value;

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/model")
        .join(name)
}

fn cinelake(args: &[&str]) -> Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_cinelake"))
        .args(args)
        .output()
        .context("running cinelake")
}

fn json_report(args: &[&str]) -> Result<Value> {
    let output = cinelake(args)?;
    ensure!(
        output.status.success(),
        "cinelake {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(serde_json::from_slice(&output.stdout)?)
}

fn number(value: &Value, path: &[&str]) -> Result<f64> {
    let mut v = value;
    for key in path {
        v = &v[*key];
    }
    v.as_f64()
        .with_context(|| format!("{path:?} is not a number in the report"))
}

/// The JSON report against one fixture: split sizes exactly, metrics to 1e-9.
fn check_against_fixture(seed: &str, fixture: &str) -> Result<()> {
    let input = testdata("input.csv");
    let report = json_report(&[
        "model",
        input.to_str().context("utf-8 path")?,
        "--seed",
        seed,
        "--json",
    ])?;
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(
        testdata("expected").join(fixture),
    )?)?;
    for key in ["usable", "train", "test"] {
        assert_eq!(report[key], expected[key], "{fixture}: {key}");
    }
    assert_eq!(report["model"], "linear");
    assert_eq!(report["titles"], 3000);
    assert_eq!(report["skipped_rows"], 0);
    for side in ["metrics", "baseline"] {
        for metric in ["mse", "mae", "rmse", "r2"] {
            let got = number(&report, &[side, metric])?;
            let want = number(&expected, &[side, metric])?;
            assert!(
                (got - want).abs() < 1e-9,
                "{fixture} {side}.{metric}: {got} vs {want}"
            );
        }
    }
    Ok(())
}

#[test]
fn model_json_equals_the_numpy_fixtures() -> Result<()> {
    check_against_fixture("42", "input_seed42.json")?;
    check_against_fixture("7", "input_seed7.json")
}

#[test]
fn model_text_shows_split_metrics_and_baseline() -> Result<()> {
    let input = testdata("input.csv");
    let output = cinelake(&["model", input.to_str().context("utf-8 path")?])?;
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout)?;
    assert!(
        text.contains("model linear  seed 42  train 2194  test 549"),
        "{text}"
    );
    assert!(text.contains("usable 2743  excluded 257"), "{text}");
    for line in ["mse ", "mae ", "rmse ", "r2 ", "intercept "] {
        assert!(
            text.lines().any(|l| l.starts_with(line)),
            "{line:?} in {text}"
        );
    }
    Ok(())
}

#[test]
fn model_forest_and_seed_change_the_numbers() -> Result<()> {
    let input = testdata("input.csv");
    let input = input.to_str().context("utf-8 path")?;
    let linear = json_report(&["model", input, "--json"])?;
    let forest = json_report(&[
        "model", input, "--model", "forest", "--trees", "10", "--json",
    ])?;
    let forest_again = json_report(&[
        "model", input, "--model", "forest", "--trees", "10", "--json",
    ])?;
    let forest_seed = json_report(&[
        "model", input, "--model", "forest", "--trees", "10", "--seed", "3", "--json",
    ])?;
    assert_eq!(forest["model"], "forest");
    assert_eq!(forest["linear"], Value::Null);
    // Same split (same seed) → same baseline; a different model → different metrics.
    assert_eq!(forest["baseline"], linear["baseline"]);
    assert_ne!(forest["metrics"], linear["metrics"]);
    assert_eq!(
        forest["metrics"], forest_again["metrics"],
        "deterministic per seed"
    );
    assert_ne!(forest_seed["metrics"], forest["metrics"]);
    let mse = number(&forest, &["metrics", "mse"])?;
    assert!(
        mse < number(&forest, &["baseline", "mse"])?,
        "the forest beats the mean"
    );
    Ok(())
}

#[test]
fn model_errors_are_one_line_and_exit_1() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("cinelake-cli-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    // Ten titles, nine usable (tt9000007 has no runtime): below the 30 the model needs.
    let tiny = std::fs::read_to_string(testdata("tiny.csv"))?;
    let few: String = tiny.lines().take(11).map(|l| format!("{l}\n")).collect();
    let few_path = dir.join("few.csv");
    std::fs::write(&few_path, few)?;
    let cases = [
        (
            vec!["model".to_string(), few_path.display().to_string()],
            format!(
                "cinelake: {}: model: 9 usable titles, at least 30 are needed\n",
                few_path.display()
            ),
        ),
        (
            vec![
                "model".to_string(),
                dir.join("absent.csv").display().to_string(),
            ],
            format!(
                "cinelake: cannot open {}: ",
                dir.join("absent.csv").display()
            ),
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = cinelake(&args)?;
        let stderr = String::from_utf8(output.stderr)?;
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.starts_with(&expected), "{args:?}: {stderr:?}");
        assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// `--tmdb-features` on an extract with TMDB columns: nine coefficients, titles without the TMDB
/// fields excluded and counted, other numbers than the default; the text names the new features.
#[test]
fn model_tmdb_features_use_the_tmdb_columns() -> Result<()> {
    let input = testdata("../extract/tmdb_titles.csv");
    let input = input.to_str().context("utf-8 path")?;
    let base = json_report(&["model", input, "--json"])?;
    let tmdb = json_report(&["model", input, "--tmdb-features", "--json"])?;
    assert_eq!(base.get("features"), None);
    assert_eq!(base["excluded"].get("no_tmdb"), None);
    assert_eq!(
        base["linear"]["coefficients"].as_array().map(Vec::len),
        Some(6)
    );
    assert_eq!(tmdb["features"], "tmdb");
    assert_eq!(
        tmdb["linear"]["coefficients"].as_array().map(Vec::len),
        Some(9)
    );
    let no_tmdb = tmdb["excluded"]["no_tmdb"].as_u64().context("no_tmdb")?;
    assert!(no_tmdb > 0, "some titles lack TMDB data");
    assert!(tmdb["usable"].as_u64() < base["usable"].as_u64());
    assert_ne!(tmdb["metrics"], base["metrics"]);
    let forest = json_report(&[
        "model",
        input,
        "--tmdb-features",
        "--model",
        "forest",
        "--trees",
        "5",
        "--json",
    ])?;
    assert_eq!(forest["usable"], tmdb["usable"]);
    assert_eq!(forest["features"], "tmdb");
    let output = cinelake(&["model", input, "--tmdb-features"])?;
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout)?;
    assert!(
        text.contains(&format!("no TMDB feature {no_tmdb})")),
        "{text}"
    );
    assert!(text.contains("  ln_budget "), "{text}");
    assert!(text.contains("  tmdb_vote_average "), "{text}");
    Ok(())
}

#[test]
fn model_tmdb_features_on_a_base_extract_is_a_clear_error() -> Result<()> {
    let input = testdata("input.csv");
    let output = cinelake(&[
        "model",
        input.to_str().context("utf-8 path")?,
        "--tmdb-features",
    ])?;
    let stderr = String::from_utf8(output.stderr)?;
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.contains("--tmdb-features needs an extract with the TMDB columns"),
        "{stderr}"
    );
    Ok(())
}
