//! The resumable fetch: for each id not stored yet, `/find` then the details, buffered into files
//! of at most [`RECORDS_PER_FILE`] records.
//!
//! A title whose requests keep failing (429/5xx after every retry, a transport error, bad JSON)
//! is reported in [`EnrichReport::failed`] and not stored, so the next run tries it again. A 401
//! stops the run at once, after writing the records already fetched (they are complete).

use chrono::NaiveDate;
use cinelake_core::title::Kind;
use cinelake_lake::Lake;

use crate::client::{Client, Fetched};
use crate::error::TmdbError;
use crate::store::{self, RECORDS_PER_FILE, Record, RecordStatus};

/// What to fetch and where to write it.
#[derive(Debug, Clone)]
pub struct EnrichOptions {
    /// The day folder new files go in (normally today, UTC).
    pub date: NaiveDate,
    /// Stop after this many titles fetched in this run (`None`: all).
    pub limit: Option<usize>,
}

/// A title that could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub imdb_id: String,
    /// The error, safe to print (it never holds the token).
    pub reason: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrichReport {
    /// Titles asked for.
    pub titles: usize,
    /// Titles skipped because they were stored by an earlier run.
    pub already_stored: usize,
    /// Titles found and stored in this run.
    pub found: usize,
    /// Titles TMDB does not know (stored as `not_found` records).
    pub not_found: Vec<String>,
    /// Titles that failed; not stored, retried by the next run.
    pub failed: Vec<Failure>,
    /// Relative keys of the files written.
    pub files: Vec<String>,
    /// HTTP requests sent, retries included.
    pub requests: u64,
}

/// Progress of a run, for a progress bar or log lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// The number of titles to fetch (not stored yet).
    Start { to_fetch: usize },
    /// One title done.
    Title {
        imdb_id: &'a str,
        outcome: &'static str,
    },
    /// A file written.
    File { key: &'a str, records: usize },
}

/// Fetches every title of `titles` not stored yet and writes the records into `lake`.
/// `progress` sees each step. Errors only on a refused token or a lake failure; per-title
/// failures are in the report.
pub async fn enrich(
    lake: &Lake,
    client: &mut Client,
    titles: &[(String, Kind)],
    options: &EnrichOptions,
    progress: &mut dyn FnMut(Event<'_>),
) -> Result<EnrichReport, TmdbError> {
    let stored = store::stored(lake).await?;
    let mut last = stored.last_number(options.date);
    let mut report = EnrichReport {
        titles: titles.len(),
        ..EnrichReport::default()
    };
    let mut seen = std::collections::HashSet::new();
    let mut todo = Vec::new();
    for (id, kind) in titles {
        if stored.ids.contains(id) {
            report.already_stored += 1;
        } else if seen.insert(id.as_str()) {
            todo.push((id.as_str(), *kind));
        }
    }
    if let Some(limit) = options.limit {
        todo.truncate(limit);
    }
    progress(Event::Start {
        to_fetch: todo.len(),
    });
    let mut batch: Vec<Record> = Vec::with_capacity(RECORDS_PER_FILE);
    for (id, kind) in todo {
        let fetched = match fetch_one(client, id, kind).await {
            Ok(record) => record,
            Err(error @ TmdbError::Unauthorized { .. }) => {
                // Keep what was fetched: those records are whole and save requests next time.
                flush(
                    lake,
                    options.date,
                    &mut last,
                    &mut batch,
                    &mut report,
                    progress,
                )
                .await?;
                report.requests = client.requests();
                return Err(error);
            }
            Err(error) => {
                report.failed.push(Failure {
                    imdb_id: id.to_string(),
                    reason: error.to_string(),
                });
                progress(Event::Title {
                    imdb_id: id,
                    outcome: "failed",
                });
                continue;
            }
        };
        let outcome = match fetched.status {
            RecordStatus::Found => {
                report.found += 1;
                "found"
            }
            RecordStatus::NotFound => {
                report.not_found.push(id.to_string());
                "not found"
            }
        };
        batch.push(fetched);
        progress(Event::Title {
            imdb_id: id,
            outcome,
        });
        if batch.len() == RECORDS_PER_FILE {
            flush(
                lake,
                options.date,
                &mut last,
                &mut batch,
                &mut report,
                progress,
            )
            .await?;
        }
    }
    flush(
        lake,
        options.date,
        &mut last,
        &mut batch,
        &mut report,
        progress,
    )
    .await?;
    report.requests = client.requests();
    Ok(report)
}

async fn flush(
    lake: &Lake,
    date: NaiveDate,
    last: &mut u32,
    batch: &mut Vec<Record>,
    report: &mut EnrichReport,
    progress: &mut dyn FnMut(Event<'_>),
) -> Result<(), TmdbError> {
    if batch.is_empty() {
        return Ok(());
    }
    let (key, number) = store::write_file(lake, date, *last, batch).await?;
    *last = number;
    progress(Event::File {
        key: &key,
        records: batch.len(),
    });
    report.files.push(key);
    batch.clear();
    Ok(())
}

/// `/find`, then the details of the first result of the title's kind (or of the other kind).
async fn fetch_one(client: &mut Client, imdb_id: &str, kind: Kind) -> Result<Record, TmdbError> {
    let fetched_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let not_found = |find: serde_json::Value, fetched_at: String| Record {
        imdb_id: imdb_id.to_string(),
        status: RecordStatus::NotFound,
        kind: None,
        tmdb_id: None,
        fetched_at,
        find,
        details: serde_json::Value::Null,
    };
    let find = match client.find(imdb_id).await? {
        Fetched::Found(find) => find,
        Fetched::NotFound => return Ok(not_found(serde_json::Value::Null, fetched_at)),
    };
    // A series id may also match a movie entry (and the other way round): prefer the refined kind.
    let order: [&str; 2] = match kind {
        Kind::Series => ["tv", "movie"],
        Kind::Movie => ["movie", "tv"],
    };
    let hit = order.iter().find_map(|tmdb_kind| {
        let id = find
            .get(format!("{tmdb_kind}_results"))?
            .as_array()?
            .first()?
            .get("id")?
            .as_u64()?;
        Some((*tmdb_kind, id))
    });
    let Some((tmdb_kind, tmdb_id)) = hit else {
        return Ok(not_found(find, fetched_at));
    };
    match client.details(tmdb_kind, tmdb_id).await? {
        Fetched::Found(details) => Ok(Record {
            imdb_id: imdb_id.to_string(),
            status: RecordStatus::Found,
            kind: Some(tmdb_kind.to_string()),
            tmdb_id: Some(tmdb_id),
            fetched_at,
            find,
            details,
        }),
        Fetched::NotFound => Ok(not_found(find, fetched_at)),
    }
}
