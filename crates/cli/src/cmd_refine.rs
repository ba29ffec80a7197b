//! `cinelake refine`: Raw → Trusted → Refined on DataFusion (default) or Spark; flags and a
//! summary here, the work in `cinelake_refine`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use cinelake_lake::{Lake, LakeOptions, LakeUrl};
use cinelake_refine::{Engine, RefineOptions, SparkOptions};

/// The engine that runs `sql/*.sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// Apache DataFusion, embedded.
    Datafusion,
    /// Apache Spark, through spark-submit (PyPI pyspark); see docs/spark.md.
    Spark,
}

/// Flags of `cinelake refine`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The lake: s3://bucket[/prefix] or file://DIR.
    #[arg(long)]
    pub lake: String,
    /// The Raw partition day, YYYY-MM-DD [default: the newest day holding both raw files].
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// The engine that runs the SQL.
    #[arg(long, value_enum, default_value_t = EngineArg::Datafusion)]
    pub engine: EngineArg,
    /// The S3 endpoint of an S3-compatible server (overrides AWS_ENDPOINT_URL).
    #[arg(long)]
    pub endpoint: Option<String>,
    /// The spark-submit to run [default: $CINELAKE_SPARK_SUBMIT, then
    /// ~/.cache/cinelake/tools/pyspark-venv/bin/spark-submit, then PATH].
    #[arg(long)]
    pub spark_submit: Option<PathBuf>,
    /// The Spark master for --engine spark.
    #[arg(long, default_value = "local[*]")]
    pub spark_master: String,
    /// Print the committed manifest as JSON instead of a summary.
    #[arg(long)]
    pub json: bool,
}

/// Runs `cinelake refine`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let url: LakeUrl = args.lake.parse()?;
    let lake = Lake::open(
        &url,
        &LakeOptions {
            endpoint: args.endpoint.clone(),
            ..LakeOptions::default()
        },
    )
    .with_context(|| format!("opening the lake {}", args.lake))?;
    let engine = match args.engine {
        EngineArg::Datafusion => Engine::DataFusion,
        EngineArg::Spark => {
            let mut spark = SparkOptions::from_env();
            if let Some(path) = args.spark_submit {
                spark.spark_submit = path;
            }
            spark.master = args.spark_master;
            Engine::Spark(spark)
        }
    };
    let options = RefineOptions {
        date: args.date,
        engine,
    };
    let report = crate::runtime()?.block_on(cinelake_refine::refine(
        cinelake_refine::lake_store(&lake),
        &options,
    ))?;
    let manifest = &report.manifest;
    if args.json {
        println!("{}", serde_json::to_string_pretty(manifest)?);
        return Ok(ExitCode::SUCCESS);
    }
    if report.reused {
        println!(
            "already refined: {} partition {} with {} (run {}); nothing to do",
            args.lake, manifest.partition_date, manifest.engine, manifest.run_id
        );
        return Ok(ExitCode::SUCCESS);
    }
    let stage = |name: &str| manifest.stages.get(name).cloned().unwrap_or_default();
    let (trusted, refined) = (stage("trusted"), stage("refined"));
    let kind = |name: &str| refined.by_kind.get(name).map_or(0, |k| k.rows_out);
    println!(
        "refined {} partition {} with {} {} (run {}) in {:.1} s",
        args.lake,
        manifest.partition_date,
        manifest.engine,
        manifest.engine_version,
        manifest.run_id,
        manifest.timings_ms.get("total").copied().unwrap_or(0) as f64 / 1000.0
    );
    println!(
        "  trusted  {} raw rows: {} typed, {} rejected",
        trusted.rows_in, trusted.rows_out, trusted.rows_rejected
    );
    println!(
        "  refined  {} Comedy/Animation titles ({} movies, {} series)",
        refined.rows_out,
        kind("movie"),
        kind("series")
    );
    if !manifest.tmdb_sources.is_empty() {
        println!(
            "  tmdb     {} titles matched ({} records of {} ids in {} files)",
            manifest.tmdb.matched,
            manifest.tmdb.records,
            manifest.tmdb.ids,
            manifest.tmdb_sources.len()
        );
    }
    println!(
        "  extract  {} ({} bytes)",
        manifest.extract.key, manifest.extract.bytes
    );
    println!("  commit   {}", cinelake_refine::layout::MANIFEST_KEY);
    Ok(ExitCode::SUCCESS)
}
