//! Reading a whole raw file: rows typed and folded into titles, rejects collected with a cap, and
//! a verdict under strict or lenient mode. `cinelake check` prints this; ingest uses its verdict.

use std::io::Read;

use super::{RawError, RawKind, RawReader, ReaderOptions, RowError};
use crate::fold::{Folded, GenreCounts, TitleFolder};

/// What a bad row does to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Any bad row fails the file.
    #[default]
    Strict,
    /// Bad rows are skipped, counted and reported; the file passes if its header is right.
    Lenient,
}

/// Options for [`check`].
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub mode: Mode,
    /// When set, a header of the other kind is an error.
    pub expect: Option<RawKind>,
    /// Row errors kept for the report (all are counted).
    pub max_errors: usize,
    /// Title disagreements kept for the report (all are counted).
    pub max_disagreements: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            mode: Mode::Strict,
            expect: None,
            max_errors: 100,
            max_disagreements: 100,
        }
    }
}

/// Everything [`check`] learned about one file.
#[derive(Debug, Clone)]
pub struct RawSummary {
    pub file: String,
    pub kind: RawKind,
    pub mode: Mode,
    /// Data rows read (blank lines excluded), accepted or not.
    pub rows: u64,
    pub rejected: u64,
    pub blank_lines: u64,
    /// The first rejected rows, up to [`CheckOptions::max_errors`].
    pub errors: Vec<RowError>,
    /// The accepted rows folded into titles.
    pub folded: Folded,
}

impl RawSummary {
    pub fn accepted(&self) -> u64 {
        self.rows - self.rejected
    }

    pub fn genre_counts(&self) -> GenreCounts {
        GenreCounts::of(&self.folded.titles)
    }

    /// Whether the file passes under its mode: lenient passes any file whose header was right;
    /// strict needs every row to be good.
    pub fn is_valid(&self) -> bool {
        self.mode == Mode::Lenient || self.rejected == 0
    }

    /// `Ok` when [`RawSummary::is_valid`], else [`RawError::Rejected`] with the first bad row.
    pub fn verdict(&self) -> Result<(), RawError> {
        match self.errors.first() {
            Some(first) if !self.is_valid() => Err(RawError::Rejected {
                file: self.file.clone(),
                rejected: self.rejected,
                first: Box::new(first.clone()),
            }),
            _ => Ok(()),
        }
    }
}

/// Reads a whole raw file: header, every row, titles. Only a wrong header or an I/O error is an
/// `Err`; bad rows are in the summary, whose [`RawSummary::verdict`] applies the mode.
///
/// Memory grows with the number of distinct titles, never with the number of rows.
pub fn check<R: Read>(
    input: R,
    file: &str,
    options: &CheckOptions,
) -> Result<RawSummary, RawError> {
    let mut reader = RawReader::new(
        input,
        file,
        &ReaderOptions {
            expect: options.expect,
        },
    )?;
    let kind = reader.kind();
    let name = reader.file().clone();
    let mut folder = TitleFolder::new(kind.title_kind(), options.max_disagreements);
    let (mut rows, mut rejected) = (0u64, 0u64);
    let mut errors = Vec::new();
    while let Some(row) = reader.next_row() {
        rows += 1;
        match row? {
            Ok(row) => folder.push(&row, &name),
            Err(error) => {
                rejected += 1;
                // The first error is always kept: strict mode's verdict names it.
                if errors.len() < options.max_errors.max(1) {
                    errors.push(error);
                }
            }
        }
    }
    Ok(RawSummary {
        file: file.to_string(),
        kind,
        mode: options.mode,
        rows,
        rejected,
        blank_lines: reader.blank_lines(),
        errors,
        folded: folder.finish(),
    })
}
