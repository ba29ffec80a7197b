//! Runs the refine stages on Apache DataFusion, embedded, reading and writing the lake through
//! its object store.
//!
//! The lake's store is registered under the URL `cinelake://lake/`, so every table path is the
//! lake key itself and any store (a folder, S3, a prefixed bucket) works the same way.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, Int64Array, RecordBatch, StringArray, UInt64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::config::TableParquetOptions;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::prelude::{CsvReadOptions, DataFrame, SessionConfig, SessionContext};
use object_store::ObjectStore;

use crate::manifest::Output;
use crate::stages::Stage;
use crate::{EngineRun, RefineError, SourceFile, TmdbInput, layout, titles, tmdb};

const LAKE_URL: &str = "cinelake://lake/";

/// The delimiter and quote used to read a raw file as whole lines: bytes that a text line does
/// not contain. (A raw line holding byte 0x1F or NUL fails the read instead of being rejected.)
const LINE_DELIMITER: u8 = 0x1f;
const NO_QUOTE: u8 = 0x00;

fn sql_error(stage: &Stage) -> impl Fn(DataFusionError) -> RefineError + '_ {
    |source| RefineError::Sql {
        file: stage.file.to_string(),
        source: Box::new(source),
    }
}

/// A session with the lake registered; shared with the Spark path, which reads Spark's Parquet
/// back through it.
pub(crate) fn session() -> SessionContext {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    SessionContext::new_with_config(SessionConfig::new().with_target_partitions(threads))
}

/// Runs every stage: outputs are written under `run_id`'s prefixes, the extract rows and the
/// counts are returned.
pub(crate) async fn run(
    store: Arc<dyn ObjectStore>,
    sources: &[SourceFile],
    tmdb_input: &TmdbInput,
    run_id: &str,
    stages: &[Stage],
) -> Result<EngineRun, RefineError> {
    let ctx = session();
    let url = ObjectStoreUrl::parse(LAKE_URL).map_err(|e| RefineError::Engine {
        message: format!("lake url: {e}"),
    })?;
    ctx.register_object_store(url.as_ref(), store);

    let line_schema = Schema::new(vec![Field::new("line", DataType::Utf8, true)]);
    for source in sources {
        let options = CsvReadOptions::new()
            .has_header(true)
            .delimiter(LINE_DELIMITER)
            .quote(NO_QUOTE)
            .schema(&line_schema)
            .file_extension(".csv");
        ctx.register_csv(source.table(), format!("{LAKE_URL}{}", source.key), options)
            .await
            .map_err(|e| RefineError::Source {
                key: source.key.clone(),
                message: e.to_string(),
            })?;
    }

    // The TMDB records are few (one per title at most, plus re-fetches): an in-memory table.
    let records = MemTable::try_new(tmdb::schema(), vec![vec![tmdb::batch(&tmdb_input.rows)?]])
        .map_err(|e| RefineError::Engine {
            message: format!("tmdb records: {e}"),
        })?;
    ctx.register_table(tmdb::TMDB_VIEW, Arc::new(records))
        .map_err(|e| RefineError::Engine {
            message: format!("tmdb records: {e}"),
        })?;

    let mut parquet = TableParquetOptions::default();
    // Snappy: what Spark writes by default, and cheaper to write than zstd.
    parquet.global.compression = Some("snappy".to_string());

    let mut run = EngineRun {
        engine_version: datafusion::DATAFUSION_VERSION.to_string(),
        ..EngineRun::default()
    };
    for stage in stages {
        let mut frame = ctx.sql(stage.sql).await.map_err(sql_error(stage))?;
        if stage.cache {
            frame = frame.cache().await.map_err(sql_error(stage))?;
        }
        ctx.register_table(stage.view.as_str(), frame.clone().into_view())
            .map_err(sql_error(stage))?;
        match stage.output.as_deref() {
            None => {}
            Some("extract") => {
                let batches = frame.clone().collect().await.map_err(sql_error(stage))?;
                run.extract = titles::titles_from_batches(&batches)?;
            }
            Some(output) => {
                let key = layout::output_part_key(run_id, output, 0);
                let rows = write_parquet(frame.clone(), &key, &parquet).await?;
                run.outputs.insert(
                    output.to_string(),
                    Output {
                        keys: vec![key],
                        rows,
                    },
                );
            }
        }
        if stage.counts {
            let batches = frame.collect().await.map_err(sql_error(stage))?;
            run.counts = counts_from_batches(&batches)?;
        }
    }
    Ok(run)
}

async fn write_parquet(
    frame: DataFrame,
    key: &str,
    parquet: &TableParquetOptions,
) -> Result<u64, RefineError> {
    let write_error = |e: DataFusionError| RefineError::Write {
        key: key.to_string(),
        message: e.to_string(),
    };
    let options = DataFrameWriteOptions::new().with_single_file_output(true);
    let result = frame
        .write_parquet(&format!("{LAKE_URL}{key}"), options, Some(parquet.clone()))
        .await
        .map_err(write_error)?;
    // The writer answers with one `count` row per file written.
    let mut rows = 0;
    for batch in &result {
        if let Some(counts) = batch.column(0).as_any().downcast_ref::<UInt64Array>() {
            rows += counts.iter().flatten().sum::<u64>();
        }
    }
    Ok(rows)
}

/// `(stage, kind, row_count)` rows into a map.
pub(crate) fn counts_from_batches(
    batches: &[RecordBatch],
) -> Result<BTreeMap<(String, String), u64>, RefineError> {
    let schema_error = |message: String| RefineError::Engine { message };
    let mut counts = BTreeMap::new();
    for batch in batches {
        let text = |i: usize| -> Result<StringArray, RefineError> {
            let array = cast(batch.column(i), &DataType::Utf8)
                .map_err(|e| schema_error(format!("counts column {i}: {e}")))?;
            array
                .as_any()
                .downcast_ref::<StringArray>()
                .cloned()
                .ok_or_else(|| schema_error(format!("counts column {i}: not text")))
        };
        if batch.num_columns() != 3 {
            return Err(schema_error(
                "counts: expected stage, kind, row_count".to_string(),
            ));
        }
        let (stage, kind) = (text(0)?, text(1)?);
        let rows = cast(batch.column(2), &DataType::Int64)
            .map_err(|e| schema_error(format!("counts row_count: {e}")))?;
        let rows = rows
            .as_any()
            .downcast_ref::<Int64Array>()
            .cloned()
            .ok_or_else(|| schema_error("counts row_count: not an integer".to_string()))?;
        for row in 0..batch.num_rows() {
            if stage.is_null(row) || kind.is_null(row) || rows.is_null(row) {
                continue;
            }
            let n = u64::try_from(rows.value(row)).unwrap_or(0);
            counts.insert(
                (stage.value(row).to_string(), kind.value(row).to_string()),
                n,
            );
        }
    }
    Ok(counts)
}
