//! The TMDB input of a run: every `Raw/TMDB/JSON/**/tmdb-*.json` file that `cinelake enrich`
//! stored (all days, not only the partition's: enrichment accumulates), flattened into the rows of
//! the `tmdb_records` view that `sql/25_tmdb.sql` reads.
//!
//! The view is the drivers' half of the contract, like `raw_movies(line)`: DataFusion gets it from
//! `batch` (built here with serde), Spark from `jobs/spark/refine.py` (Spark's JSON reader with
//! an explicit schema). Both take the same few fields of each record and ignore the rest:
//!
//! | column | from the record |
//! |---|---|
//! | `source_key` | the file's lake key (`Raw/TMDB/JSON/YYYY/MM/DD/tmdb-NNNNN.json`) |
//! | `imdb_id`, `status`, `fetched_at` | the record's own fields (text) |
//! | `budget`, `revenue`, `vote_count` | `details.*`, BIGINT; null unless a JSON integer |
//! | `popularity`, `vote_average` | `details.*`, DOUBLE; null unless a JSON number |
//! | `production_countries` | `details.production_countries[].iso_3166_1`, a list of text |
//!
//! Choosing which record wins, TMDB's "unknown" zeros and the join are SQL's business.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Float64Array, Int64Array, ListBuilder, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use futures::TryStreamExt;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{RefineError, stages};

/// The Raw zone folder of `cinelake enrich`'s files (the same as `cinelake_tmdb::TMDB_PREFIX`;
/// refine does not link the TMDB client for one constant).
pub const TMDB_PREFIX: &str = "Raw/TMDB/JSON";

/// The view the SQL reads TMDB records from.
pub const TMDB_VIEW: &str = "tmdb_records";

/// One stored TMDB file.
#[derive(Debug, Clone)]
pub(crate) struct TmdbFile {
    pub key: String,
    pub bytes: u64,
    pub sha256: String,
    pub text: Vec<u8>,
}

/// One record, flattened to the view's columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TmdbRow {
    pub source_key: String,
    pub imdb_id: Option<String>,
    pub status: Option<String>,
    pub fetched_at: Option<String>,
    pub budget: Option<i64>,
    pub revenue: Option<i64>,
    pub popularity: Option<f64>,
    pub vote_average: Option<f64>,
    pub vote_count: Option<i64>,
    pub production_countries: Option<Vec<Option<String>>>,
}

/// Whether `key` is a file `cinelake enrich` writes.
fn is_tmdb_file(key: &str) -> bool {
    key.strip_prefix(TMDB_PREFIX)
        .and_then(|rest| rest.rsplit('/').next())
        .is_some_and(|name| name.starts_with("tmdb-") && name.ends_with(".json"))
}

/// Every TMDB file of the lake, sorted by key, with its bytes and SHA-256.
pub(crate) async fn read_files(store: &dyn ObjectStore) -> Result<Vec<TmdbFile>, RefineError> {
    let store_error = |key: &str| {
        let key = key.to_string();
        move |source| RefineError::Store {
            key: key.clone(),
            source,
        }
    };
    let mut keys: Vec<String> = store
        .list(Some(&StorePath::from(TMDB_PREFIX)))
        .map_ok(|meta| meta.location.to_string())
        .try_collect()
        .await
        .map_err(store_error(TMDB_PREFIX))?;
    keys.retain(|key| is_tmdb_file(key));
    keys.sort();
    let mut files = Vec::with_capacity(keys.len());
    for key in keys {
        let text = store
            .get(&StorePath::from(key.as_str()))
            .await
            .map_err(store_error(&key))?
            .bytes()
            .await
            .map_err(store_error(&key))?
            .to_vec();
        files.push(TmdbFile {
            bytes: text.len() as u64,
            sha256: stages::hex(&Sha256::digest(&text)),
            key,
            text,
        });
    }
    Ok(files)
}

/// The records of one file: a JSON array of objects. Fields of the wrong JSON type become null,
/// as Spark's reader makes them; a file that is not a JSON array of objects fails the run.
pub(crate) fn rows(file: &TmdbFile) -> Result<Vec<TmdbRow>, RefineError> {
    let bad = |message: String| RefineError::Source {
        key: file.key.clone(),
        message,
    };
    let value: Value = serde_json::from_slice(&file.text).map_err(|e| bad(e.to_string()))?;
    let Value::Array(records) = value else {
        return Err(bad("expected a JSON array of records".to_string()));
    };
    let mut rows = Vec::with_capacity(records.len());
    for (index, record) in records.iter().enumerate() {
        if !record.is_object() {
            return Err(bad(format!("record {index} is not a JSON object")));
        }
        let text = |v: &Value| v.as_str().map(str::to_string);
        let details = &record["details"];
        rows.push(TmdbRow {
            source_key: file.key.clone(),
            imdb_id: text(&record["imdb_id"]),
            status: text(&record["status"]),
            fetched_at: text(&record["fetched_at"]),
            budget: details["budget"].as_i64(),
            revenue: details["revenue"].as_i64(),
            popularity: details["popularity"].as_f64(),
            vote_average: details["vote_average"].as_f64(),
            vote_count: details["vote_count"].as_i64(),
            production_countries: details["production_countries"].as_array().map(|list| {
                list.iter()
                    .map(|country| text(&country["iso_3166_1"]))
                    .collect()
            }),
        });
    }
    Ok(rows)
}

/// The view's schema.
pub(crate) fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("source_key", DataType::Utf8, false),
        Field::new("imdb_id", DataType::Utf8, true),
        Field::new("status", DataType::Utf8, true),
        Field::new("fetched_at", DataType::Utf8, true),
        Field::new("budget", DataType::Int64, true),
        Field::new("revenue", DataType::Int64, true),
        Field::new("popularity", DataType::Float64, true),
        Field::new("vote_average", DataType::Float64, true),
        Field::new("vote_count", DataType::Int64, true),
        Field::new(
            "production_countries",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        ),
    ]))
}

/// The rows as one Arrow batch of [`schema`].
pub(crate) fn batch(rows: &[TmdbRow]) -> Result<RecordBatch, RefineError> {
    let text = |f: fn(&TmdbRow) -> Option<&str>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<StringArray>())
    };
    let int = |f: fn(&TmdbRow) -> Option<i64>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<Int64Array>())
    };
    let float = |f: fn(&TmdbRow) -> Option<f64>| -> ArrayRef {
        Arc::new(rows.iter().map(f).collect::<Float64Array>())
    };
    let mut countries = ListBuilder::new(StringBuilder::new());
    for row in rows {
        match &row.production_countries {
            Some(list) => {
                for country in list {
                    countries.values().append_option(country.as_deref());
                }
                countries.append(true);
            }
            None => countries.append(false),
        }
    }
    RecordBatch::try_new(
        schema(),
        vec![
            text(|r| Some(r.source_key.as_str())),
            text(|r| r.imdb_id.as_deref()),
            text(|r| r.status.as_deref()),
            text(|r| r.fetched_at.as_deref()),
            int(|r| r.budget),
            int(|r| r.revenue),
            float(|r| r.popularity),
            float(|r| r.vote_average),
            int(|r| r.vote_count),
            Arc::new(countries.finish()),
        ],
    )
    .map_err(|e| RefineError::Engine {
        message: format!("tmdb records: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_enrich_files_are_read() {
        assert!(is_tmdb_file("Raw/TMDB/JSON/2026/11/25/tmdb-00001.json"));
        assert!(!is_tmdb_file("Raw/TMDB/JSON/2026/11/25/notes.json"));
        assert!(!is_tmdb_file(
            "Raw/TMDB/JSON/2026/11/25/tmdb-00001.json.tmp"
        ));
        assert!(!is_tmdb_file("Raw/Local/CSV/Movies/tmdb-00001.json"));
    }

    #[test]
    fn records_flatten_and_wrong_types_are_null() {
        let file = TmdbFile {
            key: "Raw/TMDB/JSON/2026/11/25/tmdb-00001.json".to_string(),
            bytes: 0,
            sha256: String::new(),
            text: br#"[
              {"imdb_id":"tt1","status":"found","kind":"movie","tmdb_id":5,"fetched_at":"2026-11-25T10:00:00Z",
               "find":{},"details":{"budget":1000,"revenue":"lots","popularity":3,"vote_average":7.25,
               "vote_count":12,"production_countries":[{"iso_3166_1":"US","name":"United States"},{"name":"?"}]}},
              {"imdb_id":"tt2","status":"not_found","kind":null,"tmdb_id":null,"fetched_at":"2026-11-25T10:00:01Z",
               "find":null,"details":null}
            ]"#
            .to_vec(),
        };
        let rows = rows(&file).unwrap();
        assert_eq!(
            rows[0],
            TmdbRow {
                source_key: file.key.clone(),
                imdb_id: Some("tt1".into()),
                status: Some("found".into()),
                fetched_at: Some("2026-11-25T10:00:00Z".into()),
                budget: Some(1000),
                revenue: None,
                popularity: Some(3.0),
                vote_average: Some(7.25),
                vote_count: Some(12),
                production_countries: Some(vec![Some("US".into()), None]),
            }
        );
        assert_eq!(rows[1].status.as_deref(), Some("not_found"));
        assert_eq!(rows[1].budget, None);
        let batch = batch(&rows).unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.schema(), schema());

        let not_array = TmdbFile {
            text: b"{}".to_vec(),
            ..file
        };
        assert_eq!(
            super::rows(&not_array).unwrap_err().to_string(),
            "reading Raw/TMDB/JSON/2026/11/25/tmdb-00001.json: expected a JSON array of records"
        );
    }
}
