//! The lake side of enrichment: which ids to look up, which are stored already, and writing the
//! records files.
//!
//! Layout: `Raw/TMDB/JSON/YYYY/MM/DD/tmdb-NNNNN.json`, a JSON array of at most
//! [`RECORDS_PER_FILE`] [`Record`]s. Each file is written once, complete, with a create-only put:
//! a file that exists is never rewritten, so a crashed run leaves only whole files behind and a
//! re-run picks the next free number.

use std::collections::HashSet;

use chrono::NaiveDate;
use cinelake_core::extract::ExtractReader;
use cinelake_core::title::Kind;
use cinelake_lake::Lake;
use futures::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use crate::error::TmdbError;

/// The Raw zone folder of TMDB responses, without a trailing `/`.
pub const TMDB_PREFIX: &str = "Raw/TMDB/JSON";

/// The most records one file holds.
pub const RECORDS_PER_FILE: usize = 100;

/// The refined manifest, which names the committed extract.
pub const MANIFEST_KEY: &str = "Refined/_manifest.json";

/// Whether TMDB knew the title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Found by `/find` and its details fetched.
    Found,
    /// `/find` had no movie or TV result, or answered 404 (stored so re-runs skip it).
    NotFound,
}

/// One title's raw TMDB responses, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The IMDb id looked up (`tt…`).
    pub imdb_id: String,
    pub status: RecordStatus,
    /// `movie` or `tv` when found.
    pub kind: Option<String>,
    /// The TMDB id when found.
    pub tmdb_id: Option<u64>,
    /// When it was fetched, RFC 3339 UTC.
    pub fetched_at: String,
    /// The raw `/find` response (`null` when it answered 404).
    pub find: serde_json::Value,
    /// The raw `/movie/{id}` or `/tv/{id}` response (`null` unless found).
    pub details: serde_json::Value,
}

/// The relative key of file number `number` (from 1) of `date`.
pub fn file_key(date: NaiveDate, number: u32) -> String {
    format!(
        "{TMDB_PREFIX}/{}/tmdb-{number:05}.json",
        date.format("%Y/%m/%d")
    )
}

/// What is stored already: the ids and the highest file number per day folder.
#[derive(Debug, Default, Clone)]
pub struct Stored {
    pub ids: HashSet<String>,
    pub files: usize,
    /// `(day folder "YYYY/MM/DD", highest number)` pairs.
    pub last_numbers: Vec<(String, u32)>,
}

impl Stored {
    /// The highest file number used in `date`'s folder, 0 if none.
    pub fn last_number(&self, date: NaiveDate) -> u32 {
        let day = date.format("%Y/%m/%d").to_string();
        self.last_numbers
            .iter()
            .filter(|(d, _)| *d == day)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0)
    }
}

fn store_error(key: &str) -> impl FnOnce(object_store::Error) -> TmdbError + '_ {
    move |source| TmdbError::Store {
        key: key.to_string(),
        source,
    }
}

/// Lists `Raw/TMDB/JSON/` and reads every records file.
pub async fn stored(lake: &Lake) -> Result<Stored, TmdbError> {
    let store = lake.store();
    let prefix = lake.key(TMDB_PREFIX);
    let prefix_text = format!("{prefix}/");
    let metas: Vec<_> = store
        .list(Some(&prefix))
        .try_collect()
        .await
        .map_err(store_error(TMDB_PREFIX))?;
    let mut found = Stored::default();
    for meta in metas {
        let key = meta.location.to_string();
        let Some(relative) = key.strip_prefix(&prefix_text) else {
            continue;
        };
        // `YYYY/MM/DD/tmdb-NNNNN.json`; anything else in the folder is not ours to read.
        let Some((day, name)) = relative.rsplit_once('/') else {
            continue;
        };
        let Some(number) = name
            .strip_prefix("tmdb-")
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let bytes = store
            .get(&meta.location)
            .await
            .map_err(store_error(&key))?
            .bytes()
            .await
            .map_err(store_error(&key))?;
        let records: Vec<StoredId> =
            serde_json::from_slice(&bytes).map_err(|e| TmdbError::StoredFile {
                key: lake.display_key(&meta.location),
                reason: e.to_string(),
            })?;
        found.ids.extend(records.into_iter().map(|r| r.imdb_id));
        found.files += 1;
        found.last_numbers.push((day.to_string(), number));
    }
    Ok(found)
}

/// Only the id: reading the stored files to resume needs nothing else.
#[derive(Deserialize)]
struct StoredId {
    imdb_id: String,
}

/// Writes `records` (at most [`RECORDS_PER_FILE`]) as a new file of `date`, numbered after
/// `last` (the highest number known to be used). Returns the relative key and its number. A
/// number taken meanwhile (another run) is skipped: the put is create-only.
pub async fn write_file(
    lake: &Lake,
    date: NaiveDate,
    last: u32,
    records: &[Record],
) -> Result<(String, u32), TmdbError> {
    debug_assert!(records.len() <= RECORDS_PER_FILE);
    let body = serde_json::to_vec_pretty(records).map_err(|e| TmdbError::Json {
        path: "records".to_string(),
        reason: e.to_string(),
    })?;
    let store = lake.store();
    let mut number = last + 1;
    loop {
        let relative = file_key(date, number);
        let key = lake.key(&relative);
        let options = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match store
            .put_opts(&key, PutPayload::from(body.clone()), options)
            .await
        {
            Ok(_) => return Ok((relative, number)),
            Err(object_store::Error::AlreadyExists { .. }) => number += 1,
            Err(source) => {
                return Err(TmdbError::Store {
                    key: lake.display_key(&key),
                    source,
                });
            }
        }
    }
}

/// The minimal part of the refined manifest this crate needs (refine owns the full type; this
/// crate does not link refine, which links DataFusion).
#[derive(Deserialize)]
struct ManifestExtract {
    extract: ExtractKey,
}

#[derive(Deserialize)]
struct ExtractKey {
    key: String,
}

/// The titles of the committed refined extract, as `(imdb id, kind)`, in extract order. Rows
/// that do not parse are skipped; their count is returned beside.
pub async fn refined_titles(lake: &Lake) -> Result<(Vec<(String, Kind)>, usize), TmdbError> {
    let store = lake.store();
    let manifest_key = lake.key(MANIFEST_KEY);
    let bytes = match store.get(&manifest_key).await {
        Ok(got) => got.bytes().await.map_err(store_error(MANIFEST_KEY))?,
        Err(object_store::Error::NotFound { .. }) => {
            return Err(TmdbError::Manifest {
                key: lake.display_key(&manifest_key),
                reason: "not found: run `cinelake refine` first".to_string(),
            });
        }
        Err(source) => return Err(store_error(MANIFEST_KEY)(source)),
    };
    let manifest: ManifestExtract =
        serde_json::from_slice(&bytes).map_err(|e| TmdbError::Manifest {
            key: lake.display_key(&manifest_key),
            reason: e.to_string(),
        })?;
    let extract_key = lake.key(&manifest.extract.key);
    let shown = lake.display_key(&extract_key);
    let csv = store
        .get(&extract_key)
        .await
        .map_err(store_error(&shown))?
        .bytes()
        .await
        .map_err(store_error(&shown))?;
    let reader = ExtractReader::new(csv.as_ref()).map_err(|source| TmdbError::Extract {
        key: shown.clone(),
        source,
    })?;
    let (titles, errors) = reader.read_all();
    let ids = titles.into_iter().map(|t| (t.id, t.kind)).collect();
    Ok((ids, errors.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 7).expect("date");
        assert_eq!(
            file_key(date, 1),
            "Raw/TMDB/JSON/2026/03/07/tmdb-00001.json"
        );
        assert_eq!(
            file_key(date, 123),
            "Raw/TMDB/JSON/2026/03/07/tmdb-00123.json"
        );
    }
}
