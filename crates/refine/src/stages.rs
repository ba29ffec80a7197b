//! The refine SQL (`sql/*.sql`), embedded in the binary, and the directives that say how a driver
//! runs each file.
//!
//! Both drivers (DataFusion here, Spark in `jobs/spark/refine.py`) run the files in name order and
//! follow the same comment directives at the top of each file:
//!
//! | directive | meaning |
//! |---|---|
//! | `-- @view NAME` | register the result as view `NAME` (required) |
//! | `-- @cache` | materialise the result once: later stages read it more than once |
//! | `-- @output NAME` | write the result as an output of the run (see [`crate::layout`]) |
//! | `-- @counts` | the result is `(stage, kind, row_count)` rows for the manifest |
//!
//! The SQL is embedded (not read from disk at run time) so that the binary and its SQL hash always
//! agree; the Spark driver is handed the same embedded text.

use sha2::{Digest, Sha256};

use crate::RefineError;

/// The SQL files, in the order they run. A unit test checks this list against `sql/`.
pub const SQL_FILES: [(&str, &str); 7] = [
    (
        "10_raw_rows.sql",
        include_str!("../../../sql/10_raw_rows.sql"),
    ),
    (
        "20_trusted.sql",
        include_str!("../../../sql/20_trusted.sql"),
    ),
    (
        "21_rejects.sql",
        include_str!("../../../sql/21_rejects.sql"),
    ),
    ("25_tmdb.sql", include_str!("../../../sql/25_tmdb.sql")),
    (
        "30_refined.sql",
        include_str!("../../../sql/30_refined.sql"),
    ),
    (
        "40_extract.sql",
        include_str!("../../../sql/40_extract.sql"),
    ),
    ("90_counts.sql", include_str!("../../../sql/90_counts.sql")),
];

/// The Spark driver, embedded for the same reason as the SQL.
pub const SPARK_DRIVER: &str = include_str!("../../../jobs/spark/refine.py");

/// One SQL file and its directives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub file: &'static str,
    pub sql: &'static str,
    pub view: String,
    pub cache: bool,
    pub output: Option<String>,
    pub counts: bool,
}

/// Parses the directives of one SQL file.
pub fn parse_stage(file: &'static str, sql: &'static str) -> Result<Stage, RefineError> {
    let mut stage = Stage {
        file,
        sql,
        view: String::new(),
        cache: false,
        output: None,
        counts: false,
    };
    let directive = |message: String| RefineError::Directive {
        file: file.to_string(),
        message,
    };
    for (number, line) in sql.lines().enumerate() {
        let Some(rest) = line.trim().strip_prefix("--") else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix('@') else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let key = words.next().unwrap_or_default();
        let value = words.next();
        let line = number + 1;
        match (key, value) {
            ("view", Some(name)) => stage.view = name.to_string(),
            ("output", Some(name)) => stage.output = Some(name.to_string()),
            ("cache", None) => stage.cache = true,
            ("counts", None) => stage.counts = true,
            _ => return Err(directive(format!("line {line}: unknown directive @{rest}"))),
        }
        if words.next().is_some() {
            return Err(directive(format!(
                "line {line}: @{key} takes at most one word"
            )));
        }
    }
    if stage.view.is_empty() {
        return Err(directive(
            "missing the `-- @view NAME` directive".to_string(),
        ));
    }
    Ok(stage)
}

/// All stages, in run order.
pub fn stages() -> Result<Vec<Stage>, RefineError> {
    SQL_FILES
        .iter()
        .map(|(file, sql)| parse_stage(file, sql))
        .collect()
}

/// The hex SHA-256 of one text.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            // Writing to a String cannot fail.
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The hash of the whole SQL set: each file's name and text, NUL-separated, in run order.
/// The Spark driver is part of it, since it decides how the SQL is run.
pub fn sql_sha256() -> String {
    let mut hasher = Sha256::new();
    for (file, sql) in SQL_FILES.iter().chain([&("refine.py", SPARK_DRIVER)]) {
        hasher.update(file.as_bytes());
        hasher.update([0]);
        hasher.update(sql.as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_list_matches_the_sql_folder() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../sql");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("the sql folder exists")
            .map(|entry| {
                entry
                    .expect("readable entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .filter(|name| name.ends_with(".sql"))
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = SQL_FILES.iter().map(|(file, _)| *file).collect();
        assert_eq!(on_disk, embedded);
    }

    #[test]
    fn every_stage_parses_and_views_are_unique() {
        let stages = stages().expect("the embedded SQL has valid directives");
        let mut views: Vec<&str> = stages.iter().map(|s| s.view.as_str()).collect();
        views.sort();
        views.dedup();
        assert_eq!(views.len(), stages.len());
        let outputs: Vec<&str> = stages.iter().filter_map(|s| s.output.as_deref()).collect();
        assert_eq!(outputs, ["trusted", "rejects", "refined", "extract"]);
        assert_eq!(stages.iter().filter(|s| s.counts).count(), 1);
    }

    fn check(sql: &'static str, expected: Result<(&str, bool, Option<&str>, bool), &str>) {
        let got = parse_stage("x.sql", sql)
            .map(|s| (s.view, s.cache, s.output, s.counts))
            .map_err(|e| e.to_string());
        let expected = expected
            .map(|(v, c, o, n)| (v.to_string(), c, o.map(str::to_string), n))
            .map_err(str::to_string);
        assert_eq!(got, expected, "{sql:?}");
    }

    #[test]
    fn directives() {
        check("-- @view a\nSELECT 1", Ok(("a", false, None, false)));
        check(
            "--@view a\n-- @cache\n-- @output o\nSELECT 1",
            Ok(("a", true, Some("o"), false)),
        );
        check("-- @view a\n-- @counts\n", Ok(("a", false, None, true)));
        // An ordinary comment that mentions an address is not a directive.
        check(
            "-- mail me@example.com\n-- @view a\n",
            Ok(("a", false, None, false)),
        );
        check(
            "SELECT 1",
            Err("sql/x.sql: missing the `-- @view NAME` directive"),
        );
        check(
            "-- @view a\n-- @frobnicate\n",
            Err("sql/x.sql: line 2: unknown directive @frobnicate"),
        );
        check(
            "-- @view a b\n",
            Err("sql/x.sql: line 1: @view takes at most one word"),
        );
        check(
            "-- @cache yes\n-- @view a\n",
            Err("sql/x.sql: line 1: unknown directive @cache yes"),
        );
    }

    #[test]
    fn sql_hash_is_stable_hex() {
        let hash = sql_sha256();
        assert_eq!(hash.len(), 64);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(hash, sql_sha256());
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
