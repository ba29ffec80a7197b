//! `cinelake model FILE`: fits the dashboard's rating model on a dashboard extract and prints
//! the split sizes, the test-set metrics and the baseline's (a model that predicts the training
//! mean), so people in a terminal get exactly the numbers the dashboard's cards show.
//! The computation is `cinelake_core::model::evaluate`; this file only reads and prints.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use cinelake_core::extract::{Columns, ExtractReader};
use cinelake_core::model::{self, Evaluation, FeatureSet, ForestOptions, ModelKind, ModelOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A dashboard extract (kind,id,title,…,rating,votes CSV).
    file: PathBuf,
    /// Which model to fit.
    #[arg(long, value_enum, default_value_t = ModelArg::Linear)]
    model: ModelArg,
    /// Seed of the train/test split and of the forest.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Share of the usable titles held out for testing.
    #[arg(long, default_value_t = 0.2)]
    test_fraction: f64,
    /// Random forest: number of trees.
    #[arg(long, default_value_t = ForestOptions::default().trees)]
    trees: usize,
    /// Random forest: maximum tree depth.
    #[arg(long, default_value_t = ForestOptions::default().max_depth)]
    max_depth: u16,
    /// Add the TMDB features (ln(1 + budget), ln(1 + popularity), TMDB vote average); titles
    /// missing any are excluded. Needs an extract with the TMDB columns (`cinelake enrich`, then
    /// `refine`).
    #[arg(long)]
    tmdb_features: bool,
    /// Print one JSON report on standard output instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ModelArg {
    Linear,
    Forest,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = args.file.display().to_string();
    let file = File::open(&args.file).with_context(|| format!("cannot open {name}"))?;
    let reader = ExtractReader::new(BufReader::new(file)).with_context(|| name.clone())?;
    if args.tmdb_features && reader.columns() == Columns::Base {
        anyhow::bail!(
            "{name}: --tmdb-features needs an extract with the TMDB columns (budget, popularity, \
             tmdb_vote_average …), and this one has only the base ten; run `cinelake enrich` and \
             `cinelake refine` to add them"
        );
    }
    let (titles, errors) = reader.read_all();
    for error in errors.iter().take(5) {
        eprintln!("cinelake model: {name}: skipped {error}");
    }
    if errors.len() > 5 {
        eprintln!(
            "cinelake model: {name}: skipped {} rows in all",
            errors.len()
        );
    }
    let options = ModelOptions {
        kind: match args.model {
            ModelArg::Linear => ModelKind::Linear,
            ModelArg::Forest => ModelKind::Forest,
        },
        seed: args.seed,
        features: if args.tmdb_features {
            FeatureSet::Tmdb
        } else {
            FeatureSet::Base
        },
        test_fraction: args.test_fraction,
        forest: ForestOptions {
            trees: args.trees,
            max_depth: args.max_depth,
            ..ForestOptions::default()
        },
        ..ModelOptions::default()
    };
    let evaluation = model::evaluate(&titles, &options).with_context(|| name.clone())?;
    if args.json {
        let mut report = serde_json::to_value(&evaluation)?;
        if let Some(object) = report.as_object_mut() {
            object.insert("file".into(), name.into());
            object.insert("titles".into(), titles.len().into());
            object.insert("skipped_rows".into(), errors.len().into());
        }
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&name, titles.len(), errors.len(), &evaluation));
    }
    Ok(ExitCode::SUCCESS)
}

fn render(name: &str, titles: usize, skipped: usize, e: &Evaluation) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{name}: {titles} titles ({skipped} rows skipped)");
    let x = &e.excluded;
    let _ = write!(
        out,
        "usable {}  excluded {} (no year {}, no runtime {}, no votes {}, no rating {}",
        e.usable, x.total, x.no_year, x.no_runtime, x.no_votes, x.no_rating
    );
    if let Some(no_tmdb) = x.no_tmdb {
        let _ = write!(out, ", no TMDB feature {no_tmdb}");
    }
    let _ = writeln!(out, ")");
    let _ = writeln!(
        out,
        "model {}  seed {}  train {}  test {}",
        e.model.as_str(),
        e.seed,
        e.train,
        e.test
    );
    let _ = writeln!(
        out,
        "{:<8}{:>12}{:>12}{:>12}",
        "metric", "model", "baseline", "improvement"
    );
    let rows = [
        ("mse", e.metrics.mse, e.baseline.mse, e.improvement.mse),
        ("mae", e.metrics.mae, e.baseline.mae, e.improvement.mae),
        ("rmse", e.metrics.rmse, e.baseline.rmse, e.improvement.rmse),
    ];
    for (label, m, b, i) in rows {
        let _ = writeln!(out, "{label:<8}{m:>12.6}{b:>12.6}{:>11.2}%", i * 100.0);
    }
    let _ = writeln!(
        out,
        "{:<8}{:>12.6}{:>12.6}{:>+12.6}",
        "r2", e.metrics.r2, e.baseline.r2, e.improvement.r2
    );
    if let Some(linear) = &e.linear {
        let _ = writeln!(out, "intercept {:.6}", linear.intercept);
        for (name, c) in e.features.names().iter().zip(linear.coefficients) {
            let _ = writeln!(out, "  {name:<16}{c:>+12.6}");
        }
    }
    out
}
