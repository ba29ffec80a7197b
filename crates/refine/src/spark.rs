//! Runs the refine stages on a local Apache Spark with `spark-submit` and the PySpark driver
//! `jobs/spark/refine.py`, then uploads Spark's outputs to the lake.
//!
//! Spark reads and writes a local work folder, not the lake: a local Spark has no S3 connector
//! (hadoop-aws is a Maven download), and the commit protocol (run prefixes, manifest last) stays
//! in one place, in Rust, for both engines. On a cluster the driver reads and writes `s3://`
//! itself (docs/spark.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use datafusion::prelude::ParquetReadOptions;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::Deserialize;

use crate::manifest::Output;
use crate::stages::{SPARK_DRIVER, Stage};
use crate::{EngineRun, RefineError, SourceFile, TmdbInput, datafusion_engine, layout, titles};

/// How to start Spark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparkOptions {
    /// The `spark-submit` to run.
    pub spark_submit: PathBuf,
    /// The Spark master, `local[*]` by default.
    pub master: String,
}

impl SparkOptions {
    /// `$CINELAKE_SPARK_SUBMIT` if set, else the PySpark venv that `scripts/bootstrap.sh`
    /// installs (`$CINELAKE_TOOLS` or `~/.cache/cinelake/tools`, then `pyspark-venv/bin`), else
    /// `spark-submit` on `PATH`.
    pub fn from_env() -> SparkOptions {
        let spark_submit = std::env::var_os("CINELAKE_SPARK_SUBMIT")
            .map(PathBuf::from)
            .or_else(|| {
                let tools = std::env::var_os("CINELAKE_TOOLS")
                    .map(PathBuf::from)
                    .or_else(|| {
                        std::env::var_os("HOME")
                            .map(|home| PathBuf::from(home).join(".cache/cinelake/tools"))
                    })?;
                let candidate = tools.join("pyspark-venv/bin/spark-submit");
                candidate.is_file().then_some(candidate)
            })
            .unwrap_or_else(|| PathBuf::from("spark-submit"));
        SparkOptions {
            spark_submit,
            master: "local[*]".to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Summary {
    spark_version: String,
    counts: Vec<CountRow>,
}

#[derive(Debug, Deserialize)]
struct CountRow {
    stage: String,
    kind: String,
    rows: u64,
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> RefineError + '_ {
    move |source| RefineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs Spark on the local copies of `sources` in `workdir`, uploads the outputs under
/// `run_id`'s prefixes and returns what the manifest needs.
pub(crate) async fn run(
    store: Arc<dyn ObjectStore>,
    sources: &[SourceFile],
    tmdb_input: &TmdbInput,
    run_id: &str,
    stages: &[Stage],
    spark: &SparkOptions,
    workdir: &Path,
) -> Result<EngineRun, RefineError> {
    let sql_dir = workdir.join("sql");
    std::fs::create_dir_all(&sql_dir).map_err(io_error(&sql_dir))?;
    for stage in stages {
        let path = sql_dir.join(stage.file);
        std::fs::write(&path, stage.sql).map_err(io_error(&path))?;
    }
    let driver = workdir.join("refine.py");
    std::fs::write(&driver, SPARK_DRIVER).map_err(io_error(&driver))?;
    let out = workdir.join("out");
    let local = |kind: cinelake_core::Kind| -> Result<PathBuf, RefineError> {
        sources
            .iter()
            .find(|s| s.kind == kind)
            .and_then(|s| s.local.clone())
            .ok_or_else(|| RefineError::Engine {
                message: format!("spark: no local copy of the {kind} raw file"),
            })
    };
    let movies = local(cinelake_core::Kind::Movie)?;
    let series = local(cinelake_core::Kind::Series)?;

    // The TMDB files under their lake keys, so the driver names them as DataFusion's side does.
    let tmdb_root = workdir.join("tmdb");
    for file in &tmdb_input.files {
        let path = tmdb_root.join(&file.key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        std::fs::write(&path, &file.text).map_err(io_error(&path))?;
    }

    let log = workdir.join("spark.log");
    let mut command = Command::new(&spark.spark_submit);
    command
        .arg("--master")
        .arg(&spark.master)
        .args(["--conf", "spark.ui.enabled=false"])
        .args(["--conf", "spark.driver.host=127.0.0.1"])
        .args(["--conf", "spark.driver.bindAddress=127.0.0.1"])
        .arg(&driver)
        .arg("--movies")
        .arg(&movies)
        .arg("--series")
        .arg(&series)
        .arg("--sql-dir")
        .arg(&sql_dir)
        .arg("--out")
        .arg(&out);
    if !tmdb_input.files.is_empty() {
        command
            .arg("--tmdb")
            .arg(tmdb_root.join(crate::tmdb::TMDB_PREFIX));
    }
    command
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .stdin(Stdio::null());
    // PySpark from PyPI finds its SPARK_HOME through the `python3` on PATH: put the venv's first.
    if let Some(bin) = spark
        .spark_submit
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![bin.to_path_buf()];
        paths.extend(std::env::split_paths(&path));
        if let Ok(joined) = std::env::join_paths(paths) {
            command.env("PATH", joined);
        }
        let python = bin.join("python3");
        if python.is_file() {
            command.env("PYSPARK_PYTHON", &python);
            command.env("PYSPARK_DRIVER_PYTHON", &python);
        }
    }
    let log_file = std::fs::File::create(&log).map_err(io_error(&log))?;
    let log_clone = log_file.try_clone().map_err(io_error(&log))?;
    command.stdout(log_clone).stderr(log_file);
    let submit = spark.spark_submit.clone();
    let status = tokio::task::spawn_blocking(move || command.status())
        .await
        .map_err(|e| RefineError::Engine {
            message: format!("spark: {e}"),
        })?
        .map_err(|source| RefineError::SparkStart {
            program: submit.clone(),
            source,
        })?;
    if !status.success() {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let tail: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("at "))
            .collect();
        let tail = tail[tail.len().saturating_sub(15)..].join("\n");
        return Err(RefineError::Spark {
            status: status.to_string(),
            log: tail,
        });
    }

    let summary = read_summary(&out.join("counts"))?;
    let mut counts = BTreeMap::new();
    for row in summary.counts {
        counts.insert((row.stage, row.kind), row.rows);
    }
    let mut run = EngineRun {
        engine_version: summary.spark_version,
        ..EngineRun::default()
    };
    for stage in stages {
        let Some(output) = stage.output.as_deref() else {
            continue;
        };
        let folder = out.join(output);
        if output == "extract" {
            run.extract = read_extract(&folder).await?;
            continue;
        }
        let mut keys = Vec::new();
        for (index, file) in part_files(&folder, ".parquet")?.iter().enumerate() {
            let key = layout::output_part_key(run_id, output, index);
            let bytes = std::fs::read(file).map_err(io_error(file))?;
            store
                .put(&StorePath::from(key.as_str()), PutPayload::from(bytes))
                .await
                .map_err(|source| RefineError::Store {
                    key: key.clone(),
                    source,
                })?;
            keys.push(key);
        }
        let rows = counts
            .iter()
            .filter(|((s, _), _)| s == output)
            .map(|(_, n)| *n)
            .sum();
        run.outputs
            .insert(output.to_string(), Output { keys, rows });
    }
    run.counts = counts;
    Ok(run)
}

/// Spark's `part-*` files of one output folder, sorted by name.
fn part_files(folder: &Path, suffix: &str) -> Result<Vec<PathBuf>, RefineError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(io_error(folder))? {
        let path = entry.map_err(io_error(folder))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with("part-") && name.ends_with(suffix) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_summary(folder: &Path) -> Result<Summary, RefineError> {
    let files = part_files(folder, ".txt")?;
    let file = files.first().ok_or_else(|| RefineError::Engine {
        message: format!("spark: no counts under {}", folder.display()),
    })?;
    let text = std::fs::read_to_string(file).map_err(io_error(file))?;
    serde_json::from_str(text.trim()).map_err(|e| RefineError::Engine {
        message: format!("spark: counts in {}: {e}", file.display()),
    })
}

/// Reads the extract Parquet Spark wrote, in the extract's order.
async fn read_extract(folder: &Path) -> Result<Vec<cinelake_core::Title>, RefineError> {
    let ctx = datafusion_engine::session();
    let engine = |e: datafusion::error::DataFusionError| RefineError::Engine {
        message: format!("reading spark's extract in {}: {e}", folder.display()),
    };
    let path = format!("{}/", folder.display());
    ctx.register_parquet("extract", &path, ParquetReadOptions::default())
        .await
        .map_err(engine)?;
    let batches = ctx
        .sql("SELECT * FROM extract ORDER BY kind, id")
        .await
        .map_err(engine)?
        .collect()
        .await
        .map_err(engine)?;
    titles::titles_from_batches(&batches)
}
