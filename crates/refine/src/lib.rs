//! `cinelake refine`: Raw → Trusted → Refined, running the `sql/*.sql` files on Apache DataFusion
//! (embedded, the default) or on Apache Spark (the same files, `jobs/spark/refine.py`).
//!
//! A run reads one day's raw `movies.csv` and `series.csv` from the lake's Raw zone, types every
//! raw row (rows that break a rule go to a rejects output with the reason, the run goes on),
//! folds the rows into one row per Comedy or Animation title, and writes the dashboard extract.
//! Everything lands under run-specific prefixes ([`layout`]); the run becomes visible only when
//! `Refined/_manifest.json` ([`manifest::Manifest`]) is written, last. The run id is derived from
//! the inputs' checksums, the SQL and the engine, so refining the same inputs again finds its own
//! committed run and does nothing.
//!
//! ```no_run
//! # async fn example() -> Result<(), cinelake_refine::RefineError> {
//! use std::sync::Arc;
//! use cinelake_refine::{refine, RefineOptions};
//! let store = Arc::new(object_store::local::LocalFileSystem::new_with_prefix("/tmp/lake").unwrap());
//! let report = refine(store, &RefineOptions::default()).await?;
//! println!("{} titles", report.manifest.extract.rows);
//! # Ok(()) }
//! ```
//!
//! Architecture invariant: this is the only crate that links DataFusion; it knows the lake only
//! as an `ObjectStore` rooted at the lake's root.

pub mod layout;
pub mod manifest;
pub mod prune;
pub mod spark;
pub mod stages;
pub mod titles;
pub mod tmdb;

mod datafusion_engine;
mod rooted;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use cinelake_core::{Kind, Title};
use futures::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};

pub use manifest::Manifest;
pub use spark::SparkOptions;

use manifest::{
    Extract, FileHash, FileSource, KindCounts, Output, Source, StageCounts, TmdbCounts,
};

/// Which engine runs the SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Engine {
    /// Apache DataFusion, embedded in this process.
    #[default]
    DataFusion,
    /// Apache Spark through `spark-submit`.
    Spark(SparkOptions),
}

impl Engine {
    /// The engine's name in the manifest and the run id.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::DataFusion => "datafusion",
            Engine::Spark(_) => "spark",
        }
    }
}

/// What to refine and how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefineOptions {
    /// The Raw partition day; the newest day holding both raw files when `None`.
    pub date: Option<NaiveDate>,
    pub engine: Engine,
}

/// The outcome of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefineReport {
    /// The committed manifest: this run's, or the earlier identical run's when `reused`.
    pub manifest: Manifest,
    /// True when the same inputs were already refined by the same SQL and engine: no run was
    /// made and the manifest was left as it was (only the stable extract copy is refreshed).
    pub reused: bool,
}

/// Why a run failed. A failed run never touches the committed manifest.
#[derive(Debug, thiserror::Error)]
pub enum RefineError {
    #[error(
        "run {run} was committed while prune was deleting old runs; it stopped before touching it: run `cinelake refine` again if its outputs are incomplete, then prune again"
    )]
    CommittedWhilePruning { run: String },
    #[error(
        "no raw partition holds both movies.csv and series.csv under Raw/Local/CSV: ingest first"
    )]
    NoPartition,
    #[error("raw partition {date}: {key} is missing")]
    MissingSource { date: NaiveDate, key: String },
    #[error("lake object {key}: {source}")]
    Store {
        key: String,
        #[source]
        source: object_store::Error,
    },
    #[error("reading {key}: {message}")]
    Source { key: String, message: String },
    /// A raw object whose header is not its kind's (ingest refuses such files; this one was put
    /// in the Raw zone some other way). Nothing is refined: typing rows by position under a
    /// wrong header would turn columns into one another.
    /// (The reader's message names the key and line; it is the whole message, not a cause.)
    #[error("refusing to refine {error}")]
    RawHeader {
        key: String,
        error: cinelake_core::raw::RawError,
    },
    #[error("sql/{file}: {message}")]
    Directive { file: String, message: String },
    #[error("sql/{file}: {source}")]
    Sql {
        file: String,
        #[source]
        source: Box<datafusion::error::DataFusionError>,
    },
    #[error("writing {key}: {message}")]
    Write { key: String, message: String },
    #[error("refine engine: {message}")]
    Engine { message: String },
    #[error("extract: {message}")]
    ExtractSchema { message: String },
    #[error("extract title {id:?}: {reason}")]
    ExtractRow { id: String, reason: String },
    #[error("extract: {0}")]
    Extract(#[source] cinelake_core::extract::ExtractError),
    #[error("manifest {key}: {source}")]
    Manifest {
        key: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("starting {}: {source} (install PySpark: see docs/spark.md)", program.display())]
    SparkStart {
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("spark-submit failed ({status}); the end of its log:\n{log}")]
    Spark { status: String, log: String },
}

/// One raw input of a run.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    pub kind: Kind,
    pub key: String,
    pub bytes: u64,
    pub sha256: String,
    /// A local copy, for engines that cannot read the lake (Spark).
    pub local: Option<PathBuf>,
}

impl SourceFile {
    /// The view the SQL reads this file's lines from.
    pub fn table(&self) -> &'static str {
        match self.kind {
            Kind::Movie => "raw_movies",
            Kind::Series => "raw_series",
        }
    }
}

/// The TMDB input of a run: the stored files and their records flattened ([`tmdb`]).
#[derive(Debug, Default)]
pub(crate) struct TmdbInput {
    pub files: Vec<tmdb::TmdbFile>,
    pub rows: Vec<tmdb::TmdbRow>,
}

/// What an engine hands back.
#[derive(Debug, Default)]
pub(crate) struct EngineRun {
    pub engine_version: String,
    /// `(stage, kind) → rows`, from the `@counts` SQL file.
    pub counts: BTreeMap<(String, String), u64>,
    pub outputs: BTreeMap<String, Output>,
    /// The extract's titles, in the extract's order.
    pub extract: Vec<Title>,
}

/// A scratch folder removed when dropped.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        // Best effort: a leftover temp folder is harmless.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn store_error(key: &str) -> impl Fn(object_store::Error) -> RefineError + '_ {
    move |source| RefineError::Store {
        key: key.to_string(),
        source,
    }
}

fn ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The lake's store rooted at the lake's root (its `s3://bucket/prefix` applied), as [`refine`]
/// takes it.
pub fn lake_store(lake: &cinelake_lake::Lake) -> Arc<dyn ObjectStore> {
    let prefix = lake.key("");
    if prefix.as_ref().is_empty() {
        lake.store()
    } else {
        Arc::new(rooted::RootedStore::new(lake.store(), prefix))
    }
}

/// Refines one Raw partition of the lake `store` (rooted at the lake's root) and commits it.
pub async fn refine(
    store: Arc<dyn ObjectStore>,
    options: &RefineOptions,
) -> Result<RefineReport, RefineError> {
    let started = Instant::now();
    let mut timings = BTreeMap::new();
    let stages = stages::stages()?;
    let date = match options.date {
        Some(date) => date,
        None => newest_partition(store.as_ref()).await?,
    };

    let workdir = match options.engine {
        Engine::DataFusion => None,
        Engine::Spark(_) => {
            let dir = std::env::temp_dir().join(format!(
                "cinelake-refine-{}-{}",
                std::process::id(),
                started.elapsed().as_nanos()
            ));
            std::fs::create_dir_all(&dir).map_err(|source| RefineError::Io {
                path: dir.clone(),
                source,
            })?;
            Some(WorkDir(dir))
        }
    };
    let step = Instant::now();
    let local_dir = workdir.as_ref().map(|w| w.0.join("raw"));
    let (movies, series) = tokio::try_join!(
        read_source(store.as_ref(), Kind::Movie, date, local_dir.as_deref()),
        read_source(store.as_ref(), Kind::Series, date, local_dir.as_deref()),
    )?;
    let sources = [movies, series];
    let tmdb_files = tmdb::read_files(store.as_ref()).await?;
    let mut tmdb_rows = Vec::new();
    for file in &tmdb_files {
        tmdb_rows.extend(tmdb::rows(file)?);
    }
    let tmdb_input = TmdbInput {
        files: tmdb_files,
        rows: tmdb_rows,
    };
    timings.insert("read_sources".to_string(), ms(step));

    let sql_sha256 = stages::sql_sha256();
    let run_id = run_id(
        date,
        options.engine.name(),
        &sources,
        &tmdb_input.files,
        &sql_sha256,
    );

    if let Some(current) = read_manifest(store.as_ref()).await?
        && current.run_id == run_id
        && exists(store.as_ref(), &current.extract.key).await?
    {
        publish_stable_copy(store.as_ref(), &current.extract).await?;
        return Ok(RefineReport {
            manifest: current,
            reused: true,
        });
    }
    // A failed attempt at this very run may have left objects behind: start clean.
    for prefix in layout::run_prefixes(&run_id) {
        delete_prefix(store.as_ref(), &prefix).await?;
    }

    let step = Instant::now();
    let run = match &options.engine {
        Engine::DataFusion => {
            datafusion_engine::run(store.clone(), &sources, &tmdb_input, &run_id, &stages).await?
        }
        Engine::Spark(spark) => {
            let dir =
                workdir
                    .as_ref()
                    .map(|w| w.0.as_path())
                    .ok_or_else(|| RefineError::Engine {
                        message: "spark: no work folder".to_string(),
                    })?;
            spark::run(
                store.clone(),
                &sources,
                &tmdb_input,
                &run_id,
                &stages,
                spark,
                dir,
            )
            .await?
        }
    };
    timings.insert("engine".to_string(), ms(step));

    let step = Instant::now();
    let csv = titles::extract_csv(&run.extract)?;
    let extract = Extract {
        key: layout::extract_key(&run_id),
        stable_key: layout::STABLE_EXTRACT_KEY.to_string(),
        rows: run.extract.len() as u64,
        bytes: csv.len() as u64,
        sha256: stages::sha256_hex(&csv),
    };
    put(store.as_ref(), &extract.key, csv).await?;
    timings.insert("extract".to_string(), ms(step));

    let mut manifest = Manifest {
        version: manifest::MANIFEST_VERSION,
        run_id,
        engine: options.engine.name().to_string(),
        engine_version: run.engine_version.clone(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        partition_date: date.format("%Y-%m-%d").to_string(),
        sql_sha256,
        sql_files: stages
            .iter()
            .map(|s| FileHash {
                name: s.file.to_string(),
                sha256: stages::sha256_hex(s.sql.as_bytes()),
            })
            .collect(),
        sources: sources
            .iter()
            .map(|s| Source {
                kind: s.kind.as_str().to_string(),
                key: s.key.clone(),
                bytes: s.bytes,
                sha256: s.sha256.clone(),
            })
            .collect(),
        tmdb_sources: tmdb_input
            .files
            .iter()
            .map(|f| FileSource {
                key: f.key.clone(),
                bytes: f.bytes,
                sha256: f.sha256.clone(),
            })
            .collect(),
        tmdb: tmdb_counts(&run, &tmdb_input),
        stages: stage_counts(&run),
        outputs: run.outputs.clone(),
        extract,
        timings_ms: timings,
    };
    manifest.timings_ms.insert("total".to_string(), ms(started));
    let json = serde_json::to_vec_pretty(&manifest).map_err(|source| RefineError::Manifest {
        key: layout::MANIFEST_KEY.to_string(),
        source,
    })?;
    // The commit point: one PUT, after every object it names exists.
    put(store.as_ref(), layout::MANIFEST_KEY, json).await?;
    publish_stable_copy(store.as_ref(), &manifest.extract).await?;
    Ok(RefineReport {
        manifest,
        reused: false,
    })
}

/// The manifest's stage counts from the engine's `(stage, kind)` counts.
fn stage_counts(run: &EngineRun) -> BTreeMap<String, StageCounts> {
    let get = |stage: &str, kind: &str| {
        run.counts
            .get(&(stage.to_string(), kind.to_string()))
            .copied()
            .unwrap_or(0)
    };
    let mut stages: BTreeMap<String, StageCounts> = BTreeMap::new();
    for kind in [Kind::Movie, Kind::Series] {
        let k = kind.as_str();
        stages.entry("trusted".to_string()).or_default().add(
            k,
            KindCounts {
                rows_in: get("raw", k),
                rows_out: get("trusted", k),
                rows_rejected: get("rejects", k),
            },
        );
        stages.entry("refined".to_string()).or_default().add(
            k,
            KindCounts {
                rows_in: get("trusted", k),
                rows_out: get("refined", k),
                rows_rejected: 0,
            },
        );
        let extracted = run.extract.iter().filter(|t| t.kind == kind).count() as u64;
        stages.entry("extract".to_string()).or_default().add(
            k,
            KindCounts {
                rows_in: get("refined", k),
                rows_out: extracted,
                rows_rejected: 0,
            },
        );
    }
    stages
}

/// The manifest's TMDB counts: records and ids from the files, matches from the engine.
fn tmdb_counts(run: &EngineRun, input: &TmdbInput) -> TmdbCounts {
    let ids: std::collections::BTreeSet<&str> = input
        .rows
        .iter()
        .filter_map(|r| r.imdb_id.as_deref())
        .collect();
    let matched_by_kind: BTreeMap<String, u64> = [Kind::Movie, Kind::Series]
        .iter()
        .map(|kind| {
            let key = ("tmdb_matched".to_string(), kind.as_str().to_string());
            (
                kind.as_str().to_string(),
                run.counts.get(&key).copied().unwrap_or(0),
            )
        })
        .collect();
    TmdbCounts {
        records: input.rows.len() as u64,
        ids: ids.len() as u64,
        matched: matched_by_kind.values().sum(),
        matched_by_kind,
    }
}

/// `DATE-ENGINE-HASH`: the same sources (raw and TMDB), SQL and engine always give the same id,
/// and new TMDB files give a new one, so refining after `cinelake enrich` is not "already
/// refined".
fn run_id(
    date: NaiveDate,
    engine: &str,
    sources: &[SourceFile],
    tmdb_files: &[tmdb::TmdbFile],
    sql_sha256: &str,
) -> String {
    let mut hasher = Sha256::new();
    for part in [engine, sql_sha256] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    for source in sources {
        for part in [source.kind.as_str(), &source.key, &source.sha256] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
    }
    for file in tmdb_files {
        for part in [file.key.as_str(), &file.sha256] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
    }
    let hash = stages::hex(&hasher.finalize());
    format!("{}-{engine}-{}", date.format("%Y-%m-%d"), &hash[..12])
}

/// The newest day for which both raw files exist.
async fn newest_partition(store: &dyn ObjectStore) -> Result<NaiveDate, RefineError> {
    let mut days = Vec::new();
    for kind in [Kind::Movie, Kind::Series] {
        let folder = layout::raw_folder(kind);
        let objects: Vec<_> = store
            .list(Some(&StorePath::from(folder)))
            .try_collect()
            .await
            .map_err(store_error(folder))?;
        let mut dates: Vec<NaiveDate> = objects
            .iter()
            .filter_map(|meta| layout::raw_key_date(kind, meta.location.as_ref()))
            .collect();
        dates.sort();
        days.push(dates);
    }
    let (movies, series) = (&days[0], &days[1]);
    movies
        .iter()
        .rev()
        .find(|date| series.binary_search(date).is_ok())
        .copied()
        .ok_or(RefineError::NoPartition)
}

/// Streams one raw object: its size and SHA-256, and a local copy when `local_dir` is given.
async fn read_source(
    store: &dyn ObjectStore,
    kind: Kind,
    date: NaiveDate,
    local_dir: Option<&std::path::Path>,
) -> Result<SourceFile, RefineError> {
    let key = layout::raw_key(kind, date);
    let result = match store.get(&StorePath::from(key.as_str())).await {
        Ok(result) => result,
        Err(object_store::Error::NotFound { .. }) => {
            return Err(RefineError::MissingSource { date, key });
        }
        Err(source) => return Err(RefineError::Store { key, source }),
    };
    let mut local = match local_dir {
        Some(dir) => {
            let io = |source| RefineError::Io {
                path: dir.to_path_buf(),
                source,
            };
            std::fs::create_dir_all(dir).map_err(io)?;
            let path = dir.join(format!("{}.csv", kind.as_str()));
            let file = std::fs::File::create(&path).map_err(|source| RefineError::Io {
                path: path.clone(),
                source,
            })?;
            Some((path, std::io::BufWriter::new(file)))
        }
        None => None,
    };
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    // The first line, gathered across chunks until it ends, for the header check.
    let mut head: Option<Vec<u8>> = Some(Vec::new());
    let mut stream = result.into_stream();
    while let Some(chunk) = stream.try_next().await.map_err(store_error(&key))? {
        hasher.update(&chunk);
        bytes += chunk.len() as u64;
        if let Some(first) = head.as_mut() {
            first.extend_from_slice(&chunk);
            if first.contains(&b'\n') || first.len() > HEADER_LOOKAHEAD {
                check_header(&key, kind, first)?;
                head = None;
            }
        }
        if let Some((path, file)) = local.as_mut() {
            file.write_all(&chunk).map_err(|source| RefineError::Io {
                path: path.clone(),
                source,
            })?;
        }
    }
    if let Some(first) = head {
        check_header(&key, kind, &first)?;
    }
    let local = match local {
        Some((path, mut file)) => {
            file.flush().map_err(|source| RefineError::Io {
                path: path.clone(),
                source,
            })?;
            Some(path)
        }
        None => None,
    };
    Ok(SourceFile {
        kind,
        key,
        bytes,
        sha256: stages::hex(&hasher.finalize()),
        local,
    })
}

/// How much of a raw object is read, at most, looking for the end of its header line: more than
/// the core reader's longest line, so an overlong first line is reported as such.
const HEADER_LOOKAHEAD: usize = 2 << 20;

/// Checks a raw object's header with the core reader (the check ingest makes), so a file with a
/// wrong header fails the run with the reader's message instead of being typed by position.
fn check_header(key: &str, kind: Kind, first_bytes: &[u8]) -> Result<(), RefineError> {
    use cinelake_core::raw::{RawKind, RawReader, ReaderOptions};
    let expect = match kind {
        Kind::Movie => RawKind::Movies,
        Kind::Series => RawKind::Series,
    };
    let options = ReaderOptions {
        expect: Some(expect),
    };
    RawReader::new(first_bytes, key, &options)
        .map(|_| ())
        .map_err(|error| RefineError::RawHeader {
            key: key.to_owned(),
            error,
        })
}

/// The committed manifest, if any.
pub async fn read_manifest(store: &dyn ObjectStore) -> Result<Option<Manifest>, RefineError> {
    let key = layout::MANIFEST_KEY;
    let bytes = match store.get(&StorePath::from(key)).await {
        Ok(result) => result.bytes().await.map_err(store_error(key))?,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(source) => {
            return Err(RefineError::Store {
                key: key.to_string(),
                source,
            });
        }
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| RefineError::Manifest {
            key: key.to_string(),
            source,
        })
}

async fn exists(store: &dyn ObjectStore, key: &str) -> Result<bool, RefineError> {
    match store.head(&StorePath::from(key)).await {
        Ok(_) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(source) => Err(RefineError::Store {
            key: key.to_string(),
            source,
        }),
    }
}

async fn put(store: &dyn ObjectStore, key: &str, bytes: Vec<u8>) -> Result<(), RefineError> {
    store
        .put(&StorePath::from(key), PutPayload::from(bytes))
        .await
        .map(|_| ())
        .map_err(store_error(key))
}

async fn delete_prefix(store: &dyn ObjectStore, prefix: &str) -> Result<(), RefineError> {
    let objects: Vec<_> = store
        .list(Some(&StorePath::from(prefix)))
        .try_collect()
        .await
        .map_err(store_error(prefix))?;
    for meta in objects {
        delete_object(store, &meta.location).await?;
    }
    Ok(())
}

/// Deletes one object; one already gone (a concurrent cleanup, a retried delete) is fine.
async fn delete_object(store: &dyn ObjectStore, location: &StorePath) -> Result<(), RefineError> {
    match store.delete(location).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(source) => Err(RefineError::Store {
            key: location.to_string(),
            source,
        }),
    }
}

/// Copies the committed extract to its stable key (again, on a re-run: a run may have stopped
/// between the manifest and the copy).
async fn publish_stable_copy(
    store: &dyn ObjectStore,
    extract: &Extract,
) -> Result<(), RefineError> {
    store
        .copy(
            &StorePath::from(extract.key.as_str()),
            &StorePath::from(extract.stable_key.as_str()),
        )
        .await
        .map_err(store_error(&extract.stable_key))
}
