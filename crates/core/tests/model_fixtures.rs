//! `cinelake_core::model` against values computed outside Rust.
//!
//! `testdata/model/make_fixtures.py` (numpy's `lstsq`, scipy's `t.ppf`) reads the committed
//! extracts in `testdata/model/` and writes `testdata/model/expected/*.json`; these tests read
//! the same extracts with the core crate and compare: the split exactly, coefficients to 1e-6,
//! metrics, residual summaries and the trend to 1e-9. Python is not needed to run them.

use std::path::{Path, PathBuf};

use cinelake_core::Title;
use cinelake_core::extract::ExtractReader;
use cinelake_core::model::{self, ModelOptions, stats, trend};
use cinelake_core::yearly::{self, Columns, Filter};
use serde_json::Value;

const COEFFICIENTS: f64 = 1e-6;
const METRICS: f64 = 1e-9;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/model")
}

fn read_json(name: &str) -> Value {
    let path = dir().join("expected").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_titles(extract: &str) -> Vec<Title> {
    let path = dir().join(extract);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (titles, errors) = ExtractReader::new(file)
        .expect("an extract header")
        .read_all();
    assert!(errors.is_empty(), "{extract}: {errors:?}");
    titles
}

fn num(value: &Value, key: &str) -> f64 {
    value[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {value}"))
}

fn close(what: &str, got: f64, want: f64, tolerance: f64) {
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got:.15}, expected {want:.15} (±{tolerance:e})"
    );
}

/// One fixture case: the model's whole output against the JSON.
fn check(fixture: &str) {
    let expected = read_json(fixture);
    let titles = read_titles(expected["extract"].as_str().expect("extract"));
    let options = ModelOptions {
        seed: expected["seed"].as_u64().expect("seed"),
        test_fraction: num(&expected, "test_fraction"),
        ..ModelOptions::default()
    };
    let prepared = model::prepare(&titles, &options).expect("prepare");
    let e = model::evaluate(&titles, &options).expect("evaluate");

    // Counts and the split, exactly.
    assert_eq!(
        e.usable as u64,
        expected["usable"].as_u64().unwrap(),
        "{fixture}: usable"
    );
    let excluded = &expected["excluded"];
    for (name, got) in [
        ("total", e.excluded.total),
        ("no_year", e.excluded.no_year),
        ("no_runtime", e.excluded.no_runtime),
        ("no_votes", e.excluded.no_votes),
        ("no_rating", e.excluded.no_rating),
    ] {
        assert_eq!(
            got as u64,
            excluded[name].as_u64().unwrap(),
            "{fixture}: excluded {name}"
        );
    }
    assert_eq!(
        e.train as u64,
        expected["train"].as_u64().unwrap(),
        "{fixture}: train"
    );
    assert_eq!(
        e.test as u64,
        expected["test"].as_u64().unwrap(),
        "{fixture}: test"
    );
    let test_rows: Vec<usize> = expected["test_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(prepared.split.test, test_rows, "{fixture}: test rows");

    // The fit.
    let linear = e.linear.expect("a linear model");
    close(
        "intercept",
        linear.intercept,
        num(&expected, "intercept"),
        COEFFICIENTS,
    );
    for (j, want) in expected["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let name = model::FEATURE_NAMES[j];
        close(
            name,
            linear.coefficients[j],
            want.as_f64().unwrap(),
            COEFFICIENTS,
        );
    }
    close(
        "training mean",
        e.training_mean,
        num(&expected, "training_mean"),
        METRICS,
    );

    // Metrics and baseline.
    for (side, got) in [("metrics", e.metrics), ("baseline", e.baseline)] {
        let want = &expected[side];
        close(
            &format!("{fixture} {side} mse"),
            got.mse,
            num(want, "mse"),
            METRICS,
        );
        close(
            &format!("{fixture} {side} mae"),
            got.mae,
            num(want, "mae"),
            METRICS,
        );
        close(
            &format!("{fixture} {side} rmse"),
            got.rmse,
            num(want, "rmse"),
            METRICS,
        );
        close(
            &format!("{fixture} {side} r2"),
            got.r2,
            num(want, "r2"),
            METRICS,
        );
    }

    // Residuals.
    let histogram = &expected["histogram"];
    close(
        "histogram start",
        e.histogram.start,
        num(histogram, "start"),
        METRICS,
    );
    close(
        "histogram width",
        e.histogram.width,
        num(histogram, "width"),
        METRICS,
    );
    let counts: Vec<u64> = histogram["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(e.histogram.counts, counts, "{fixture}: histogram");
    let by_year = expected["by_year"].as_array().unwrap();
    assert_eq!(
        e.by_year.len(),
        by_year.len(),
        "{fixture}: years with residuals"
    );
    for (got, want) in e.by_year.iter().zip(by_year) {
        assert_eq!(u64::from(got.year), want["year"].as_u64().unwrap());
        assert_eq!(got.count, want["count"].as_u64().unwrap(), "{}", got.year);
        close(
            &format!("residual mean {}", got.year),
            got.mean,
            num(want, "mean"),
            METRICS,
        );
        close(
            &format!("residual |mean| {}", got.year),
            got.mean_abs,
            num(want, "mean_abs"),
            METRICS,
        );
    }
    let largest: Vec<&str> = expected["largest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let got: Vec<&str> = e.largest.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(got, largest, "{fixture}: largest errors");

    // The trend of the yearly means, on the same titles.
    let want = &expected["trend"];
    let table = yearly::aggregate(&Columns::from_titles(&titles), &Filter::default());
    let points = trend::yearly_points(&table, false);
    let horizon = want["horizon"].as_u64().unwrap() as u16;
    let got = trend::trend(&points, horizon, num(want, "level")).expect("a trend");
    assert_eq!(
        got.years as u64,
        want["years"].as_u64().unwrap(),
        "{fixture}: trend years"
    );
    close(
        "trend intercept",
        got.intercept,
        num(want, "intercept"),
        COEFFICIENTS,
    );
    close("trend slope", got.slope, num(want, "slope"), METRICS);
    close("trend sigma", got.sigma, num(want, "sigma"), METRICS);
    close("trend t", got.t, num(want, "t"), METRICS);
    let forecasts = want["forecasts"].as_array().unwrap();
    assert_eq!(got.forecasts.len(), forecasts.len());
    for (g, w) in got.forecasts.iter().zip(forecasts) {
        assert_eq!(u64::from(g.year), w["year"].as_u64().unwrap());
        close("forecast", g.predicted, num(w, "predicted"), METRICS);
        close("forecast lower", g.lower, num(w, "lower"), METRICS);
        close("forecast upper", g.upper, num(w, "upper"), METRICS);
    }
}

#[test]
fn generated_extract_seed_42_matches_numpy() {
    check("input_seed42.json");
}

#[test]
fn generated_extract_seed_7_matches_numpy() {
    check("input_seed7.json");
}

#[test]
fn hand_made_extract_matches_numpy() {
    check("tiny_seed1.json");
}

#[test]
fn t_quantiles_match_scipy() {
    for case in read_json("t_quantiles.json").as_array().unwrap() {
        let (p, df) = (num(case, "p"), num(case, "df"));
        let want = num(case, "t");
        // Relative for the heavy tails (df = 1 at p = 0.9995 is above 600).
        close(
            &format!("t({p}, {df})"),
            stats::t_quantile(p, df),
            want,
            1e-9 * want.abs().max(1.0),
        );
    }
}

/// The metric cards the dashboard shows for `testdata/model/input.csv`, one entry per (model,
/// seed), committed as `testdata/model/expected/cards.json` for the browser test
/// (`tests/e2e/model.test.mjs`) to compare with the page. Rewrite with
/// `BLESS=1 cargo test -p cinelake-core --test model_fixtures` and review the diff.
///
/// Both models' cards are portable: plain f64 arithmetic in a fixed order, and the forest draws
/// from core's own `Rng` (see `model::forest`), so the browser shows these exact numbers.
#[test]
fn dashboard_cards_match_the_committed_expectations() {
    let titles = read_titles("input.csv");
    let mut cases = Vec::new();
    for (kind, seed) in [
        (model::ModelKind::Linear, 42),
        (model::ModelKind::Linear, 7),
        (model::ModelKind::Forest, 42),
    ] {
        let options = ModelOptions {
            kind,
            seed,
            ..ModelOptions::default()
        };
        let e = model::evaluate(&titles, &options).expect("evaluate");
        cases.push(serde_json::json!({
            "model": kind.as_str(),
            "seed": seed,
            "usable": e.usable,
            "excluded": e.excluded.total,
            "train": e.train,
            "test": e.test,
            "metrics": e.metrics,
            "baseline": e.baseline,
            "improvement": e.improvement,
        }));
    }
    let got = serde_json::json!({ "extract": "input.csv", "cases": cases });
    let path = dir().join("expected/cards.json");
    if std::env::var_os("BLESS").is_some() {
        let text = serde_json::to_string_pretty(&got).expect("json") + "\n";
        std::fs::write(&path, text).expect("writing cards.json");
    }
    let want = read_json("cards.json");
    let (got_cases, want_cases) = (
        got["cases"].as_array().unwrap(),
        want["cases"].as_array().unwrap(),
    );
    assert_eq!(got_cases.len(), want_cases.len());
    for (g, w) in got_cases.iter().zip(want_cases) {
        let label = format!("{} seed {}", w["model"], w["seed"]);
        for key in ["model", "seed", "usable", "excluded", "train", "test"] {
            assert_eq!(g[key], w[key], "{label}: {key}");
        }
        for side in ["metrics", "baseline", "improvement"] {
            for metric in ["mse", "mae", "rmse", "r2"] {
                close(
                    &format!("{label} {side}.{metric}"),
                    num(&g[side], metric),
                    num(&w[side], metric),
                    METRICS,
                );
            }
        }
    }
}
