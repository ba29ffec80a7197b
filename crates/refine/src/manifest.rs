//! `Refined/_manifest.json`: the commit point of a refine run and its lineage.
//!
//! Readers (publish, people) start here: `extract.key` is the dashboard extract of the committed
//! run, `outputs` the Parquet files, `sources` the raw objects with their SHA-256, `stages` the row
//! counts, `sql_sha256` the SQL that ran. The format is versioned; fields are only added.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The manifest's current format version.
pub const MANIFEST_VERSION: u32 = 1;

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// Derived from the partition date, the engine and a hash of the sources and the SQL, so the
    /// same inputs always give the same id.
    pub run_id: String,
    /// `datafusion` or `spark`.
    pub engine: String,
    /// The engine's version, e.g. `55.2.0` or `4.3.0`.
    pub engine_version: String,
    /// When the run was committed (RFC 3339, UTC).
    pub created_at: String,
    /// The Raw partition day, `YYYY-MM-DD`.
    pub partition_date: String,
    /// The hash of every SQL file and the Spark driver ([`crate::stages::sql_sha256`]).
    pub sql_sha256: String,
    /// Each SQL file's name and SHA-256, in run order.
    pub sql_files: Vec<FileHash>,
    pub sources: Vec<Source>,
    /// The TMDB files joined (`Raw/TMDB/JSON/**/tmdb-*.json`, every day), sorted by key; empty
    /// when there are none. Absent from manifests written before the TMDB join.
    #[serde(default)]
    pub tmdb_sources: Vec<FileSource>,
    /// What the TMDB join found. Absent (all zero) in manifests written before it.
    #[serde(default)]
    pub tmdb: TmdbCounts,
    /// Row counts per stage: `trusted` (raw lines in, typed rows out, rows rejected), `refined`
    /// (trusted rows in, titles out) and `extract` (titles in, CSV rows out).
    pub stages: BTreeMap<String, StageCounts>,
    /// The Parquet outputs by name (`trusted`, `rejects`, `refined`).
    pub outputs: BTreeMap<String, Output>,
    pub extract: Extract,
    /// Milliseconds per step: `read_sources`, `engine`, `extract`, and `total` up to the commit.
    pub timings_ms: BTreeMap<String, u64>,
}

/// A file's name and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHash {
    pub name: String,
    pub sha256: String,
}

/// One raw object the run read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `movie` or `series`.
    pub kind: String,
    pub key: String,
    pub bytes: u64,
    pub sha256: String,
}

/// One lake object a run read, without a kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSource {
    pub key: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The TMDB join of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TmdbCounts {
    /// Records in the TMDB files (an id fetched twice counts twice).
    pub records: u64,
    /// Distinct IMDb ids among them.
    pub ids: u64,
    /// Refined titles whose newest record says TMDB found them.
    pub matched: u64,
    /// `matched` per kind (`movie`, `series`).
    pub matched_by_kind: BTreeMap<String, u64>,
}

/// Rows into and out of one stage, in total and per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageCounts {
    pub rows_in: u64,
    pub rows_out: u64,
    pub rows_rejected: u64,
    pub by_kind: BTreeMap<String, KindCounts>,
}

/// Rows into and out of one stage for one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    pub rows_in: u64,
    pub rows_out: u64,
    pub rows_rejected: u64,
}

/// One Parquet output: its files and rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    pub keys: Vec<String>,
    pub rows: u64,
}

/// The dashboard extract of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extract {
    /// The run's own key, which publish presigns.
    pub key: String,
    /// Where a copy is kept for browsing; may lag the manifest by one PUT.
    pub stable_key: String,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

impl StageCounts {
    /// Adds one kind's counts and keeps the totals in step.
    pub fn add(&mut self, kind: &str, counts: KindCounts) {
        self.rows_in += counts.rows_in;
        self.rows_out += counts.rows_out;
        self.rows_rejected += counts.rows_rejected;
        let entry = self.by_kind.entry(kind.to_string()).or_default();
        entry.rows_in += counts.rows_in;
        entry.rows_out += counts.rows_out;
        entry.rows_rejected += counts.rows_rejected;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_totals_follow_the_kinds() {
        let mut stage = StageCounts::default();
        stage.add(
            "movie",
            KindCounts {
                rows_in: 10,
                rows_out: 8,
                rows_rejected: 2,
            },
        );
        stage.add(
            "series",
            KindCounts {
                rows_in: 5,
                rows_out: 5,
                rows_rejected: 0,
            },
        );
        assert_eq!(
            (stage.rows_in, stage.rows_out, stage.rows_rejected),
            (15, 13, 2)
        );
        assert_eq!(stage.by_kind["movie"].rows_rejected, 2);
        assert_eq!(stage.by_kind.len(), 2);
    }
}
