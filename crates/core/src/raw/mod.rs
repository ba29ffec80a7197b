//! The challenge's raw files, `movies.csv` and `series.csv`: a streaming reader that types every
//! row and says exactly what is wrong with the ones it rejects.
//!
//! The format is fixed by the challenge (DESIGN.md, "The raw input"): `|`-delimited, no quoting,
//! UTF-8 with an optional BOM, LF or CRLF line ends, `\N` for null, one row per (title, artist).
//! The header tells movies ([`MOVIES_HEADER`]) from series ([`SERIES_HEADER`], which adds
//! `anoTermino`). A wrong header stops reading at once ([`RawError::Header`], naming the expected
//! and the found columns); a bad row is a [`RowError`] (`movies.csv:1042: column notaMedia: "7,5"
//! is not a number`) and reading goes on, so a caller can collect them all. Whether a bad row fails
//! the file (strict) or is skipped (lenient) is the caller's choice: see [`check`] and
//! [`CheckOptions`].
//!
//! [`RawReader`] holds one buffer of at most [`MAX_LINE`] + 256 KiB whatever the file's size, and
//! lends each row ([`RawRow`]) out of that buffer without copying, which is what makes it fast.
//!
//! # Per-column rules
//!
//! Every field is checked in column order and a row is rejected at its first bad field. `\N` is
//! exactly those two bytes; "null" below means `\N`. "Year" is a whole number within
//! [`Year::MIN`]..=[`Year::MAX`] (1850–2100); "artist year" is a whole number within
//! [`ARTIST_YEAR_MIN`]..=[`ARTIST_YEAR_MAX`] (1–2100: people in the data were born as early as the
//! 1830s, and IMDb records historical figures). "Whole number" is one or more ASCII digits and
//! nothing else (no sign, no spaces, no decimal point), fitting the stated type. The refine SQL
//! (Trusted zone) mirrors this table.
//!
//! | column | type | null | rule |
//! |---|---|---|---|
//! | `id` | text | no | `tt` followed by one or more ASCII digits |
//! | `tituloPincipal` | text | no | not empty |
//! | `tituloOriginal` | text | yes | any text (may be empty) |
//! | `anoLancamento` | year | yes | year |
//! | `anoTermino` (series only) | year | yes | year |
//! | `tempoMinutos` | u32 | yes | whole number |
//! | `genero` | list | yes | 1–3 comma-separated genres, none empty |
//! | `notaMedia` | rating | yes | 1.0–10.0, digits with at most one decimal (`7`, `7.5`) |
//! | `numeroVotos` | u64 | yes | whole number |
//! | `generoArtista` | text | yes | any text |
//! | `personagem` | text | yes | any text |
//! | `nomeArtista` | text | yes | any text |
//! | `anoNascimento` | artist year | yes | artist year |
//! | `anoFalecimento` | artist year | yes | artist year |
//! | `profissao` | list | yes | comma-separated, none empty |
//! | `titulosMaisConhecidos` | list | yes | comma-separated title ids (`tt` + digits) |
//!
//! Row-level rules: the line must be valid UTF-8 and split on `|` into exactly as many fields as
//! the header has. Blank lines are skipped and counted, not rejected. A line longer than
//! [`MAX_LINE`] bytes is rejected whole.

mod check;
mod field;

pub use check::{CheckOptions, Mode, RawSummary, check};
pub use field::List;

use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;

use crate::title::{Rating, Year};

/// The columns of `movies.csv`, in order (`tituloPincipal` is the challenge's own spelling).
pub const MOVIES_HEADER: [&str; 15] = [
    "id",
    "tituloPincipal",
    "tituloOriginal",
    "anoLancamento",
    "tempoMinutos",
    "genero",
    "notaMedia",
    "numeroVotos",
    "generoArtista",
    "personagem",
    "nomeArtista",
    "anoNascimento",
    "anoFalecimento",
    "profissao",
    "titulosMaisConhecidos",
];

/// The columns of `series.csv`: the movie columns with `anoTermino` after `anoLancamento`.
pub const SERIES_HEADER: [&str; 16] = [
    "id",
    "tituloPincipal",
    "tituloOriginal",
    "anoLancamento",
    "anoTermino",
    "tempoMinutos",
    "genero",
    "notaMedia",
    "numeroVotos",
    "generoArtista",
    "personagem",
    "nomeArtista",
    "anoNascimento",
    "anoFalecimento",
    "profissao",
    "titulosMaisConhecidos",
];

/// The earliest birth or death year accepted for an artist.
pub const ARTIST_YEAR_MIN: u16 = 1;
/// The latest birth or death year accepted for an artist.
pub const ARTIST_YEAR_MAX: u16 = 2100;

/// The longest line accepted, in bytes (the longest real rows are under 1 KiB).
pub const MAX_LINE: usize = 1 << 20;

/// The null marker.
pub const NULL: &str = "\\N";

/// Which of the two raw files this is, as its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RawKind {
    Movies,
    Series,
}

impl RawKind {
    /// The header's columns.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            RawKind::Movies => &MOVIES_HEADER,
            RawKind::Series => &SERIES_HEADER,
        }
    }

    /// `movies` or `series`, as the CLI's `--kind` and the lake's paths spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            RawKind::Movies => "movies",
            RawKind::Series => "series",
        }
    }

    /// The title kind each row of this file describes.
    pub fn title_kind(self) -> crate::Kind {
        match self {
            RawKind::Movies => crate::Kind::Movie,
            RawKind::Series => crate::Kind::Series,
        }
    }
}

impl fmt::Display for RawKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure that stops reading a raw file as a whole.
#[derive(Debug, thiserror::Error)]
pub enum RawError {
    /// Not even a header line.
    #[error("{file}: the file is empty; expected a header line with {expected}")]
    Empty { file: String, expected: String },
    /// The first line is not the expected header.
    #[error("{file}:1: wrong header: expected {expected} but found {found}{hint}")]
    Header {
        file: String,
        expected: String,
        found: String,
        hint: &'static str,
    },
    /// Reading the input failed.
    #[error("{file}:{line}: read error")]
    Io {
        file: String,
        /// The last line read completely before the error.
        line: u64,
        #[source]
        source: io::Error,
    },
    /// Strict mode found bad rows.
    #[error("{file}: {rejected} rows rejected (strict mode); the first: {first}")]
    Rejected {
        file: String,
        rejected: u64,
        first: Box<RowError>,
    },
}

/// A row that was rejected: where and why. Displays as `movies.csv:1042: column notaMedia: "7,5"
/// is not a number`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: Arc<str>,
    /// 1-based line number, the header being line 1.
    pub line: u64,
    /// The offending column, or `None` when the line as a whole is bad (column count, UTF-8).
    pub column: Option<&'static str>,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => {
                write!(
                    f,
                    "{}:{}: column {column}: {}",
                    self.file, self.line, self.reason
                )
            }
            None => write!(f, "{}:{}: {}", self.file, self.line, self.reason),
        }
    }
}

impl std::error::Error for RowError {}

/// One typed row, borrowed from the reader's buffer. See the module docs for each field's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawRow<'a> {
    /// 1-based line number, the header being line 1.
    pub line: u64,
    /// `id`: the IMDb title id.
    pub id: &'a str,
    /// `tituloPincipal`.
    pub title: &'a str,
    /// `tituloOriginal`.
    pub original_title: Option<&'a str>,
    /// `anoLancamento`.
    pub year: Option<Year>,
    /// `anoTermino` (always `None` in movies.csv).
    pub end_year: Option<Year>,
    /// `tempoMinutos`.
    pub runtime_minutes: Option<u32>,
    /// `genero`; empty when null.
    pub genres: List<'a>,
    /// `notaMedia`.
    pub rating: Option<Rating>,
    /// `numeroVotos`.
    pub votes: Option<u64>,
    /// The artist's columns.
    pub artist: Artist<'a>,
}

/// The artist half of a raw row (`generoArtista` … `titulosMaisConhecidos`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Artist<'a> {
    /// `generoArtista`: `actor` or `actress` in the real data.
    pub category: Option<&'a str>,
    /// `personagem`: the character played.
    pub character: Option<&'a str>,
    /// `nomeArtista`.
    pub name: Option<&'a str>,
    /// `anoNascimento`.
    pub birth_year: Option<u16>,
    /// `anoFalecimento`.
    pub death_year: Option<u16>,
    /// `profissao`; empty when null.
    pub professions: List<'a>,
    /// `titulosMaisConhecidos`; empty when null.
    pub known_for: List<'a>,
}

/// Options for [`RawReader::new`].
#[derive(Debug, Clone, Default)]
pub struct ReaderOptions {
    /// When set, a header of the other kind is an error (a series file given as movies).
    pub expect: Option<RawKind>,
}

/// What the reader yields per non-blank line.
pub type RowResult<'a> = Result<RawRow<'a>, RowError>;

/// What [`RawReader::next_checked`] yields per non-blank line: the title id of a row that passes
/// every rule (ASCII `tt` + digits, borrowed from the reader's buffer), or why it does not.
pub type CheckedRow<'a> = Result<&'a [u8], RowError>;

const CHUNK: usize = 256 * 1024;

/// Streams the rows of one raw file out of any [`Read`], with bounded memory.
///
/// Rows are lent (`next_row`), not iterated, because each one borrows the reader's buffer.
///
/// ```
/// use cinelake_core::raw::{RawKind, RawReader, ReaderOptions};
/// let file = "id|tituloPincipal|tituloOriginal|anoLancamento|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos\r\n\
///             tt0000009|Miss Jerry|Miss Jerry|1894|45|Romance|5.3|200|actress|\\N|Blanche Bayliss|1878|1951|actress|tt0000009\r\n\
///             tt0000009|Miss Jerry|Miss Jerry|1894|45|Romance|7,5|200|actor|\\N|W. C.|1875|1933|actor|tt0000009\r\n";
/// let mut reader = RawReader::new(file.as_bytes(), "movies.csv", &ReaderOptions::default()).unwrap();
/// assert_eq!(reader.kind(), RawKind::Movies);
/// // `next_row` gives `Some` until the end, then `Ok` unless reading failed, then the row or
/// // its error.
/// let row = reader.next_row().unwrap().unwrap();
/// assert_eq!(row.unwrap().votes, Some(200));
/// let error = reader.next_row().unwrap().unwrap().unwrap_err();
/// assert_eq!(error.to_string(), r#"movies.csv:3: column notaMedia: "7,5" is not a number"#);
/// assert!(reader.next_row().is_none());
/// ```
pub struct RawReader<R: Read> {
    input: R,
    file: Arc<str>,
    kind: RawKind,
    buf: Vec<u8>,
    /// The unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// No newline lies in `buf[start..scanned]`: a refill need not search it again.
    scanned: usize,
    eof: bool,
    /// The number of the last line handed out.
    line: u64,
    blank_lines: u64,
    /// Set after an I/O error: nothing more is read.
    failed: bool,
    /// `buf[..utf8_valid_to]` from the current line on is known to be valid UTF-8
    /// ([`RawReader::next_checked`] checks whole buffers at once, not line by line).
    utf8_valid_to: usize,
}

enum Line {
    Bytes(usize, usize),
    TooLong(usize),
}

/// The next non-blank line, as [`RawReader::next_nonblank`] finds it.
enum Nonblank {
    /// `buf[start..end]`, without its line end.
    Line(usize, usize),
    TooLong(RowError),
    Failed(RawError),
    End,
}

impl<R: Read> RawReader<R> {
    /// Reads and checks the header. `file` names the input in every message.
    pub fn new(input: R, file: &str, options: &ReaderOptions) -> Result<Self, RawError> {
        let mut reader = RawReader::headerless(input, file, RawKind::Movies);
        let expected_text = || match options.expect {
            Some(kind) => format!("{kind} columns {}", kind.columns().join("|")),
            None => format!(
                "movies columns {} or series columns {}",
                MOVIES_HEADER.join("|"),
                SERIES_HEADER.join("|")
            ),
        };
        let line = reader.next_line().map_err(|source| RawError::Io {
            file: file.to_string(),
            line: 0,
            source,
        })?;
        let header: &[u8] = match line {
            None => {
                return Err(RawError::Empty {
                    file: file.to_string(),
                    expected: expected_text(),
                });
            }
            Some(Line::TooLong(_)) => b"(a line longer than 1 MiB)",
            Some(Line::Bytes(start, end)) => {
                let bytes = &reader.buf[start..end];
                let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                bytes.strip_suffix(b"\r").unwrap_or(bytes)
            }
        };
        let columns: Vec<&[u8]> = header.split(|&b| b == b'|').collect();
        let is = |expected: &[&str]| {
            columns.len() == expected.len()
                && columns
                    .iter()
                    .zip(expected)
                    .all(|(c, e)| *c == e.as_bytes())
        };
        let found = if is(&MOVIES_HEADER) {
            Some(RawKind::Movies)
        } else if is(&SERIES_HEADER) {
            Some(RawKind::Series)
        } else {
            None
        };
        match (found, options.expect) {
            (Some(found), None) => reader.kind = found,
            (Some(found), Some(expected)) if found == expected => reader.kind = found,
            _ => {
                let text = String::from_utf8_lossy(header);
                let hint = if found.is_some() {
                    // The header is right, for the other file.
                    match found {
                        Some(RawKind::Series) => " (a series header)",
                        _ => " (a movies header)",
                    }
                } else if std::str::from_utf8(header).is_err() {
                    " (not valid UTF-8)"
                } else if !header.contains(&b'|') && header.contains(&b',') {
                    " (the file looks comma-delimited; the raw format uses |)"
                } else if !header.contains(&b'|') && header.contains(&b';') {
                    " (the file looks semicolon-delimited; the raw format uses |)"
                } else if !header.contains(&b'|') && header.contains(&b'\t') {
                    " (the file looks tab-delimited; the raw format uses |)"
                } else {
                    ""
                };
                return Err(RawError::Header {
                    file: file.to_string(),
                    expected: expected_text(),
                    found: if header.is_empty() {
                        "an empty line".to_string()
                    } else {
                        truncate(&text, 400)
                    },
                    hint,
                });
            }
        }
        Ok(reader)
    }

    /// A reader for a part of a file that starts at the beginning of a line after the header,
    /// whose kind the header (read elsewhere) gave: what lets several threads validate one large
    /// file in parts. Line numbers count from the part's first line (line 1); a caller that knows
    /// how many lines came before adds them to each [`RowError::line`].
    pub fn headerless(input: R, file: &str, kind: RawKind) -> Self {
        RawReader {
            input,
            file: Arc::from(file),
            kind,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            scanned: 0,
            eof: false,
            line: 0,
            blank_lines: 0,
            failed: false,
            utf8_valid_to: 0,
        }
    }

    /// The file's kind, as its header says.
    pub fn kind(&self) -> RawKind {
        self.kind
    }

    /// The name given to [`RawReader::new`].
    pub fn file(&self) -> &Arc<str> {
        &self.file
    }

    /// Blank lines skipped so far.
    pub fn blank_lines(&self) -> u64 {
        self.blank_lines
    }

    /// The number of the last line read.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The next non-blank row, typed or rejected; `None` at the end of the input. An I/O error
    /// ends the stream: it is returned as `Some(Err(RawError::Io))` once, then `None`.
    #[allow(clippy::should_implement_trait)] // A lending iterator: `Iterator` cannot borrow self.
    pub fn next_row(&mut self) -> Option<Result<RowResult<'_>, RawError>> {
        match self.next_nonblank() {
            Nonblank::End => None,
            Nonblank::Failed(error) => Some(Err(error)),
            Nonblank::TooLong(error) => Some(Ok(Err(error))),
            Nonblank::Line(start, end) => Some(Ok(field::parse_row(
                &self.buf[start..end],
                self.line,
                self.kind,
                &self.file,
            ))),
        }
    }

    /// The next non-blank row's verdict: exactly what [`RawReader::next_row`] would accept or
    /// reject, with the same [`RowError`], but without typing the fields of a good row. About a
    /// third less work per row, which is what a caller that only validates (`cinelake ingest`)
    /// wants: UTF-8 is checked a buffer (256 KiB) at a time instead of per line, and no
    /// [`RawRow`] is built. A rejected row goes through [`RawReader::next_row`]'s own parsing to
    /// name the reason, so both agree by construction on every bad row.
    pub fn next_checked(&mut self) -> Option<Result<CheckedRow<'_>, RawError>> {
        let (start, end) = match self.next_nonblank() {
            Nonblank::End => return None,
            Nonblank::Failed(error) => return Some(Err(error)),
            Nonblank::TooLong(error) => return Some(Ok(Err(error))),
            Nonblank::Line(start, end) => (start, end),
        };
        if end > self.utf8_valid_to {
            self.check_utf8_from(start);
        }
        if end <= self.utf8_valid_to
            && let Some(id) = field::row_passes(&self.buf[start..end], self.kind)
        {
            return Some(Ok(Ok(id)));
        }
        Some(Ok(
            match field::parse_row(&self.buf[start..end], self.line, self.kind, &self.file) {
                Err(error) => Err(error),
                // Not reached while `row_passes` mirrors `parse_row`; the full parse decides.
                Ok(row) => Ok(row.id.as_bytes()),
            },
        ))
    }

    /// Checks UTF-8 from `start` (a line start) to the last line end in the buffer, or to the
    /// buffer's end at the end of the input, and records how far it is valid.
    fn check_utf8_from(&mut self, start: usize) {
        let unread = &self.buf[start..self.end];
        let to = match memchr::memrchr(b'\n', unread) {
            Some(at) if !self.eof => start + at,
            _ => self.end,
        };
        self.utf8_valid_to = match simdutf8::compat::from_utf8(&self.buf[start..to]) {
            Ok(_) => to,
            Err(error) => start + error.valid_up_to(),
        };
    }

    /// The next non-blank line, a line too long to keep, the end, or a read failure (once).
    fn next_nonblank(&mut self) -> Nonblank {
        loop {
            if self.failed {
                return Nonblank::End;
            }
            let line = match self.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => return Nonblank::End,
                Err(source) => {
                    self.failed = true;
                    return Nonblank::Failed(RawError::Io {
                        file: self.file.to_string(),
                        line: self.line,
                        source,
                    });
                }
            };
            match line {
                Line::TooLong(length) => {
                    return Nonblank::TooLong(RowError {
                        file: self.file.clone(),
                        line: self.line,
                        column: None,
                        reason: format!(
                            "the line is longer than {MAX_LINE} bytes ({length} bytes read)"
                        ),
                    });
                }
                Line::Bytes(start, end) => {
                    let end = if self.buf[start..end].ends_with(b"\r") {
                        end - 1
                    } else {
                        end
                    };
                    if start == end {
                        self.blank_lines += 1;
                        continue;
                    }
                    return Nonblank::Line(start, end);
                }
            }
        }
    }

    /// The next line without its `\n`, as indices into `buf`, refilling as needed.
    fn next_line(&mut self) -> io::Result<Option<Line>> {
        let mut skipped: Option<usize> = None;
        loop {
            if let Some(at) = memchr::memchr(b'\n', &self.buf[self.scanned..self.end]) {
                let newline = self.scanned + at;
                let start = self.start;
                self.start = newline + 1;
                self.scanned = self.start;
                self.line += 1;
                let length = skipped.unwrap_or(0) + newline - start;
                return Ok(Some(if length > MAX_LINE {
                    Line::TooLong(length)
                } else {
                    Line::Bytes(start, newline)
                }));
            }
            self.scanned = self.end;
            if self.eof {
                if self.start == self.end && skipped.is_none() {
                    return Ok(None);
                }
                let start = self.start;
                self.start = self.end;
                self.line += 1;
                let length = skipped.unwrap_or(0) + self.end - start;
                return Ok(Some(if length > MAX_LINE {
                    Line::TooLong(length)
                } else {
                    Line::Bytes(start, self.end)
                }));
            }
            if self.end - self.start > MAX_LINE {
                // Drop the line's bytes read so far and keep reading to its end, so memory stays
                // bounded whatever the input.
                *skipped.get_or_insert(0) += self.end - self.start;
                self.start = self.end;
                self.scanned = self.end;
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.scanned -= self.start;
                self.utf8_valid_to = self.utf8_valid_to.saturating_sub(self.start);
                self.start = 0;
            }
            if self.end == self.buf.len() {
                // Only a line of at most MAX_LINE bytes fills the buffer here, so this grows it.
                let grown = (self.buf.len() * 2).min(MAX_LINE + CHUNK);
                self.buf.resize(grown, 0);
            }
            let read = loop {
                match self.input.read(&mut self.buf[self.end..]) {
                    Ok(read) => break read,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            if read == 0 {
                self.eof = true;
            } else {
                self.end += read;
            }
        }
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}… ({} bytes)", &text[..at], text.len()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests;
