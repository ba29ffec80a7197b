//! The lake's key layout: where each zone's objects live, relative to the lake's prefix.
//!
//! These keys are a contract with refine (which reads them) and with anyone browsing the bucket,
//! so they are built in one place and tested byte for byte.

use chrono::{Datelike, NaiveDate};
use cinelake_core::Kind;

/// The Raw zone key of one day's raw file, relative to the lake's prefix:
/// `Raw/Local/CSV/Movies/YYYY/MM/DD/movies.csv` or `Raw/Local/CSV/Series/YYYY/MM/DD/series.csv`.
///
/// ```
/// use chrono::NaiveDate;
/// use cinelake_core::Kind;
/// let date = NaiveDate::from_ymd_opt(2024, 3, 7).unwrap();
/// assert_eq!(cinelake_lake::raw_key(Kind::Movie, date), "Raw/Local/CSV/Movies/2024/03/07/movies.csv");
/// ```
pub fn raw_key(kind: Kind, date: NaiveDate) -> String {
    let (folder, file) = match kind {
        Kind::Movie => ("Movies", "movies.csv"),
        Kind::Series => ("Series", "series.csv"),
    };
    format!(
        "Raw/Local/CSV/{folder}/{:04}/{:02}/{:02}/{file}",
        date.year(),
        date.month(),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: Kind, (y, m, d): (i32, u32, u32), expected: &str) {
        let date = NaiveDate::from_ymd_opt(y, m, d).expect("test dates are valid");
        assert_eq!(raw_key(kind, date), expected);
    }

    #[test]
    fn raw_keys() {
        check(
            Kind::Movie,
            (2024, 1, 2),
            "Raw/Local/CSV/Movies/2024/01/02/movies.csv",
        );
        check(
            Kind::Series,
            (2024, 12, 31),
            "Raw/Local/CSV/Series/2024/12/31/series.csv",
        );
        check(
            Kind::Movie,
            (999, 9, 9),
            "Raw/Local/CSV/Movies/0999/09/09/movies.csv",
        );
    }
}
