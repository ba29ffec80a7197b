//! Where a refine run reads and writes, relative to the lake's root.
//!
//! ```text
//! Raw/Local/CSV/Movies/YYYY/MM/DD/movies.csv       input (cinelake ingest)
//! Raw/Local/CSV/Series/YYYY/MM/DD/series.csv       input
//! Trusted/runs/RUN/trusted/part-NNNNN.parquet      typed rows, both kinds
//! Trusted/runs/RUN/rejects/part-NNNNN.parquet      rejected rows: kind, reason, line
//! Refined/runs/RUN/titles/part-NNNNN.parquet       one row per Comedy/Animation title
//! Refined/runs/RUN/dashboard/titles.csv            the dashboard extract of this run
//! Refined/_manifest.json                           the commit point: names the run above
//! Refined/dashboard/titles.csv                     a copy of the committed run's extract
//! ```
//!
//! A run writes only under its own `runs/RUN/` prefixes until it writes the manifest, which is a
//! single PUT (atomic on S3 and, through object_store's temp-file-and-rename, on a folder). So a
//! reader that starts from the manifest sees either the previous run or the new one, complete. The
//! stable `Refined/dashboard/titles.csv` is copied after the commit, for people browsing the
//! bucket; programs (publish) take the extract key from the manifest.

use chrono::{Datelike, NaiveDate};
use cinelake_core::Kind;

/// The manifest: the commit point of the Refined zone.
pub const MANIFEST_KEY: &str = "Refined/_manifest.json";
/// The stable copy of the committed extract.
pub const STABLE_EXTRACT_KEY: &str = "Refined/dashboard/titles.csv";

/// The Raw zone folder of one kind, without a trailing `/`.
pub fn raw_folder(kind: Kind) -> &'static str {
    match kind {
        Kind::Movie => "Raw/Local/CSV/Movies",
        Kind::Series => "Raw/Local/CSV/Series",
    }
}

/// The raw file of one kind and day (the same layout as `cinelake_lake::raw_key`).
pub fn raw_key(kind: Kind, date: NaiveDate) -> String {
    let file = match kind {
        Kind::Movie => "movies.csv",
        Kind::Series => "series.csv",
    };
    format!(
        "{}/{:04}/{:02}/{:02}/{file}",
        raw_folder(kind),
        date.year(),
        date.month(),
        date.day()
    )
}

/// The day of a raw key of `kind`, or `None` when `key` is not exactly such a key.
pub fn raw_key_date(kind: Kind, key: &str) -> Option<NaiveDate> {
    let rest = key.strip_prefix(raw_folder(kind))?.strip_prefix('/')?;
    let mut parts = rest.split('/');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(year, 4) || !digits(month, 2) || !digits(day, 2) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)?;
    // Round-tripping rejects a wrong file name and anything after it.
    (raw_key(kind, date) == key).then_some(date)
}

/// The folder (no trailing `/`) of one output of a run: `trusted` and `rejects` go to the Trusted
/// zone, `refined` is Refined's `titles`, anything else is a folder of that name under Refined.
pub fn output_folder(run_id: &str, output: &str) -> String {
    match output {
        "trusted" | "rejects" => format!("Trusted/runs/{run_id}/{output}"),
        "refined" => format!("Refined/runs/{run_id}/titles"),
        other => format!("Refined/runs/{run_id}/{other}"),
    }
}

/// The key of the `index`th Parquet file of an output.
pub fn output_part_key(run_id: &str, output: &str, index: usize) -> String {
    format!("{}/part-{index:05}.parquet", output_folder(run_id, output))
}

/// The run's own extract.
pub fn extract_key(run_id: &str) -> String {
    format!("Refined/runs/{run_id}/dashboard/titles.csv")
}

/// The prefixes a run writes under (deleted before a retry of the same run id).
pub fn run_prefixes(run_id: &str) -> [String; 2] {
    [
        format!("Trusted/runs/{run_id}"),
        format!("Refined/runs/{run_id}"),
    ]
}

/// The run a key or URL belongs to: the `RUN` of `…Trusted/runs/RUN/…` or `…Refined/runs/RUN/…`,
/// found anywhere in it, so a presigned URL (`http://host/bucket/prefix/Refined/runs/RUN/…?X-Amz-…`)
/// names its run too. `None` for anything else, including an object directly under `runs/`.
pub fn run_of_key(key: &str) -> Option<&str> {
    let path = key.split(['?', '#']).next().unwrap_or(key);
    ["Trusted/runs/", "Refined/runs/"]
        .iter()
        .find_map(|folder| {
            let start = path
                .match_indices(folder)
                .find(|(at, _)| *at == 0 || path.as_bytes()[at - 1] == b'/')?
                .0
                + folder.len();
            let (id, _rest) = path[start..].split_once('/')?;
            (!id.is_empty()).then_some(id)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn raw_keys_round_trip() {
        let check = |kind, key: &str, expected: Option<NaiveDate>| {
            assert_eq!(raw_key_date(kind, key), expected, "{key}");
        };
        check(
            Kind::Movie,
            "Raw/Local/CSV/Movies/2024/07/10/movies.csv",
            Some(date(2024, 7, 10)),
        );
        check(
            Kind::Series,
            "Raw/Local/CSV/Series/2024/12/31/series.csv",
            Some(date(2024, 12, 31)),
        );
        check(
            Kind::Movie,
            "Raw/Local/CSV/Movies/2024/07/10/series.csv",
            None,
        );
        check(
            Kind::Series,
            "Raw/Local/CSV/Movies/2024/07/10/movies.csv",
            None,
        );
        check(
            Kind::Movie,
            "Raw/Local/CSV/Movies/2024/7/10/movies.csv",
            None,
        );
        check(
            Kind::Movie,
            "Raw/Local/CSV/Movies/2024/02/30/movies.csv",
            None,
        );
        check(
            Kind::Movie,
            "Raw/Local/CSV/Movies/2024/07/10/movies.csv.tmp",
            None,
        );
        check(
            Kind::Movie,
            "Raw/Local/CSV/Movies/2024/07/10/x/movies.csv",
            None,
        );
    }

    #[test]
    fn output_keys() {
        assert_eq!(
            output_part_key("r1", "trusted", 0),
            "Trusted/runs/r1/trusted/part-00000.parquet"
        );
        assert_eq!(
            output_part_key("r1", "rejects", 2),
            "Trusted/runs/r1/rejects/part-00002.parquet"
        );
        assert_eq!(
            output_part_key("r1", "refined", 0),
            "Refined/runs/r1/titles/part-00000.parquet"
        );
        assert_eq!(extract_key("r1"), "Refined/runs/r1/dashboard/titles.csv");
    }

    #[test]
    fn run_of_key_finds_the_run_in_keys_and_urls() {
        let run = "2024-07-10-datafusion-3f1c0a9b2e4d";
        assert_eq!(run_of_key(&extract_key(run)), Some(run));
        assert_eq!(run_of_key(&output_part_key(run, "rejects", 0)), Some(run));
        assert_eq!(
            run_of_key(&format!(
                "http://127.0.0.1:8333/lake/prefix/{}.gz?X-Amz-Signature=00ff",
                extract_key(run)
            )),
            Some(run)
        );
        for other in [
            MANIFEST_KEY,
            STABLE_EXTRACT_KEY,
            "Refined/runs/stray.txt",
            "Refined/runs//titles/part-00000.parquet",
            "XRefined/runs/abc/titles.csv",
            "http://host/bucket/titles.csv?k=Refined/runs/abc/x",
        ] {
            assert_eq!(run_of_key(other), None, "{other}");
        }
    }
}
