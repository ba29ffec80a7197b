//! `cinelake ingest`: validate raw files with the core reader, then upload them to the Raw zone
//! with [`upload_file`].
//!
//! The order is the contract: every file is validated ([`validate`]) before any byte is
//! uploaded, and [`plan`] refuses the whole batch if one file fails, so a bad file uploads
//! nothing. Validation and hashing share one read of each file (a [`HashingReader`] under the
//! core's `RawReader`), and the upload re-hashes what it sends, so what was validated is what is
//! stored.
//!
//! Memory: the core reader holds one bounded buffer and titles are counted as a set of numeric
//! ids (16 bytes each), not folded into full titles as `cinelake check` does, so ingest stays far
//! under 100 MB even for multi-gigabyte files.

use std::collections::HashSet;
use std::path::{Path as FsPath, PathBuf};

use chrono::NaiveDate;
use cinelake_core::raw::{Mode, RawError, RawKind, RawReader, ReaderOptions, RowError};
use object_store::path::Path;

use crate::error::LakeError;
use crate::lake::Lake;
use crate::layout::raw_key;
use crate::upload::{
    Digest, HashingReader, Progress, UploadOptions, UploadReport, UploadRequest, upload_file,
};

/// Why an ingest stopped before uploading.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The local file could not be opened.
    #[error("{}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A wrong or missing header, or a read error: the core reader's message.
    #[error(transparent)]
    Raw(#[from] RawError),
    /// Strict mode and bad rows.
    #[error(
        "{file}: {rejected} of {rows} rows rejected (strict mode), the first: {first}; nothing was uploaded"
    )]
    Rejected {
        /// The file.
        file: String,
        /// Rows rejected.
        rejected: u64,
        /// Data rows read.
        rows: u64,
        /// The first bad row.
        first: Box<RowError>,
    },
    /// Two files would go to the same key (e.g. `--movies` given a series file twice).
    #[error("{key}: two files map to this key")]
    DuplicateKey {
        /// The key.
        key: String,
    },
    /// The upload failed.
    #[error(transparent)]
    Lake(#[from] LakeError),
}

/// What one raw file turned out to be.
#[derive(Debug, Clone)]
pub struct Validation {
    /// The local file.
    pub path: PathBuf,
    /// Movies or series, as its header says (and as the caller expected).
    pub kind: RawKind,
    /// Size and SHA-256.
    pub digest: Digest,
    /// Data rows read (blank lines excluded), accepted or not.
    pub rows: u64,
    /// Rows the reader rejected.
    pub rejected: u64,
    /// Blank lines skipped.
    pub blank_lines: u64,
    /// Distinct title ids among accepted rows.
    pub titles: u64,
    /// The first rejected rows (up to `max_errors`).
    pub errors: Vec<RowError>,
}

/// Reads `path` with the core reader, expecting `kind`: counts rows, rejects and titles, keeps
/// the first `max_errors` bad rows, hashes the bytes. Only a wrong header or an I/O error is an
/// `Err`; the verdict on bad rows is [`plan`]'s.
pub fn validate(
    path: &FsPath,
    kind: RawKind,
    max_errors: usize,
) -> Result<Validation, IngestError> {
    let file = std::fs::File::open(path).map_err(|source| IngestError::Open {
        path: path.to_owned(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let mut hashing = HashingReader::new(file);
    let mut reader = RawReader::new(&mut hashing, &name, &ReaderOptions { expect: Some(kind) })?;
    let (mut rows, mut rejected) = (0u64, 0u64);
    let mut errors = Vec::new();
    let mut ids = TitleIds::default();
    while let Some(row) = reader.next_row() {
        rows += 1;
        match row? {
            Ok(row) => ids.insert(row.id),
            Err(error) => {
                rejected += 1;
                if errors.len() < max_errors.max(1) {
                    errors.push(error);
                }
            }
        }
    }
    let blank_lines = reader.blank_lines();
    drop(reader);
    Ok(Validation {
        path: path.to_owned(),
        kind,
        digest: hashing.finish(),
        rows,
        rejected,
        blank_lines,
        titles: ids.len(),
        errors,
    })
}

/// Distinct title ids. Ids are `tt` + digits: stored as (digit count, value) packed in a `u128`
/// (16 bytes) so tens of millions of rows cost little memory; unusually long ids fall back to text.
#[derive(Default)]
struct TitleIds {
    numeric: HashSet<u128>,
    text: HashSet<Box<str>>,
}

impl TitleIds {
    fn insert(&mut self, id: &str) {
        let digits = id.strip_prefix("tt").unwrap_or(id);
        match digits.parse::<u128>() {
            // 10^36 < 2^120: the digit count fits in the top 8 bits, so "tt01" and "tt1" differ.
            Ok(value) if digits.len() <= 36 && digits.bytes().all(|b| b.is_ascii_digit()) => {
                self.numeric.insert(((digits.len() as u128) << 120) | value);
            }
            _ => {
                self.text.insert(id.into());
            }
        }
    }

    fn len(&self) -> u64 {
        (self.numeric.len() + self.text.len()) as u64
    }
}

/// One validated file and where it goes.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The validation.
    pub validation: Validation,
    /// The full key in the lake.
    pub key: Path,
}

impl Planned {
    /// The upload request, with the counts as object metadata.
    pub fn request(&self) -> UploadRequest {
        let v = &self.validation;
        UploadRequest {
            key: self.key.clone(),
            file: v.path.clone(),
            digest: v.digest.clone(),
            metadata: vec![
                ("rows".into(), v.rows.to_string()),
                ("rejected".into(), v.rejected.to_string()),
                ("titles".into(), v.titles.to_string()),
            ],
        }
    }
}

/// Applies the mode's verdict to every validation and maps each file to its Raw zone key for
/// `date`. In strict mode one bad row anywhere refuses the whole batch.
pub fn plan(
    lake: &Lake,
    validations: Vec<Validation>,
    date: NaiveDate,
    mode: Mode,
) -> Result<Vec<Planned>, IngestError> {
    let mut planned: Vec<Planned> = Vec::with_capacity(validations.len());
    for validation in validations {
        if mode == Mode::Strict
            && let Some(first) = validation.errors.first()
        {
            return Err(IngestError::Rejected {
                file: validation.path.display().to_string(),
                rejected: validation.rejected,
                rows: validation.rows,
                first: Box::new(first.clone()),
            });
        }
        let key = lake.key(&raw_key(validation.kind.title_kind(), date));
        if planned.iter().any(|p| p.key == key) {
            return Err(IngestError::DuplicateKey {
                key: key.to_string(),
            });
        }
        planned.push(Planned { validation, key });
    }
    Ok(planned)
}

/// Uploads one planned file (see [`upload_file`]).
pub async fn upload(
    lake: &Lake,
    planned: &Planned,
    options: &UploadOptions,
    progress: &dyn Progress,
) -> Result<UploadReport, IngestError> {
    Ok(upload_file(lake, &planned.request(), options, progress).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_ids_count_distinct_ids_exactly() {
        let check = |ids: &[&str], expected: u64| {
            let mut set = TitleIds::default();
            ids.iter().for_each(|id| set.insert(id));
            assert_eq!(set.len(), expected, "{ids:?}");
        };
        check(&[], 0);
        check(&["tt0000009", "tt0000009", "tt0000574"], 2);
        check(&["tt1", "tt01", "tt001"], 3);
        check(
            &[
                "tt99999999999999999999999999999999999999999",
                "tt99999999999999999999999999999999999999999",
                "tt1",
            ],
            2,
        );
    }
}
