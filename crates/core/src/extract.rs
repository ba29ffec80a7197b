//! The dashboard extract: the one file the CLI writes and the dashboard reads (DESIGN.md, "The
//! dashboard extract").
//!
//! RFC 4180 CSV, comma-delimited, a header line ([`HEADER`]), UTF-8 with an optional BOM, LF or
//! CRLF line ends, an empty field meaning null, one row per [`Title`]:
//!
//! ```text
//! kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes
//! movie,tt0000574,The Story of the Kelly Gang,The Story of the Kelly Gang,1906,,70,Action;Adventure;Biography,6.0,797
//! ```
//!
//! | column | rule |
//! |---|---|
//! | `kind` | `movie` or `series` ([`Kind::parse`]), required |
//! | `id` | `tt` followed by one or more ASCII digits, required |
//! | `title` | any non-empty text, required |
//! | `original_title` | any text; empty is null |
//! | `year`, `end_year` | a whole number accepted by [`Year::new`] (1850–2100); empty is null |
//! | `runtime_minutes` | a whole number (`u32`); empty is null |
//! | `genres` | `;`-joined genre names, none of them empty; empty is no genre |
//! | `rating` | 1.0–10.0 with at most one decimal ([`Rating::parse`]); empty is null |
//! | `votes` | a whole number (`u64`); empty is null |
//!
//! Six optional trailing columns carry TMDB data ([`TMDB_HEADER`], joined by `cinelake refine`
//! from `cinelake enrich`'s files). A file has either the ten base columns or the ten followed by
//! all six ([`Columns`]); the reader accepts both, so every extract written before the TMDB
//! columns existed, and any file in the base format, still loads:
//!
//! | column | rule |
//! |---|---|
//! | `budget`, `revenue` | US dollars, a whole number (`u64`); empty is null |
//! | `popularity` | a plain decimal number (`12.5`, no exponent), not negative; empty is null |
//! | `tmdb_vote_average` | a plain decimal number from 0 to 10; empty is null |
//! | `tmdb_vote_count` | a whole number (`u64`); empty is null |
//! | `production_countries` | `;`-joined ISO 3166-1 codes, none empty; empty is none |
//!
//! A row whose six TMDB fields are all empty is a title without TMDB data ([`Title::tmdb`] is
//! `None`). Decimals are written with Rust's shortest round-trip formatting, so they read back to
//! the same `f64`.
//!
//! The reader is lenient per row (a bad row is an [`ExtractRowError`] and reading goes on) and
//! strict per file (a wrong header stops it at once), because the dashboard must load any file in
//! this format from any URL and still say which rows it skipped. The writer refuses titles that
//! would not read back the same, so what the CLI writes always round-trips.
//!
//! ```
//! use cinelake_core::extract::{ExtractReader, ExtractWriter};
//! let csv = "kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes\n\
//!            movie,tt0000574,The Story of the Kelly Gang,,1906,,70,Action;Biography,6.0,797\n";
//! let titles: Vec<_> = ExtractReader::new(csv.as_bytes()).unwrap().collect::<Result<_, _>>().unwrap();
//! assert_eq!(titles[0].genres, ["Action", "Biography"]);
//!
//! let mut writer = ExtractWriter::new(Vec::new()).unwrap();
//! writer.write(&titles[0]).unwrap();
//! assert_eq!(String::from_utf8(writer.finish().unwrap()).unwrap(), csv);
//! ```

use std::fmt;
use std::io::{self, Read, Write};

use crate::title::{Kind, Rating, Title, Tmdb, Year};

/// The extract's columns, in order.
pub const HEADER: [&str; 10] = [
    "kind",
    "id",
    "title",
    "original_title",
    "year",
    "end_year",
    "runtime_minutes",
    "genres",
    "rating",
    "votes",
];

/// The optional TMDB columns, which follow [`HEADER`] when present.
pub const TMDB_HEADER: [&str; 6] = [
    "budget",
    "revenue",
    "popularity",
    "tmdb_vote_average",
    "tmdb_vote_count",
    "production_countries",
];

/// Which columns an extract has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Columns {
    /// The ten [`HEADER`] columns: the original contract.
    #[default]
    Base,
    /// [`HEADER`] followed by [`TMDB_HEADER`].
    WithTmdb,
}

impl Columns {
    /// How many columns a row has.
    pub fn count(self) -> usize {
        match self {
            Columns::Base => HEADER.len(),
            Columns::WithTmdb => HEADER.len() + TMDB_HEADER.len(),
        }
    }

    /// The column names, in order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        let tmdb: &'static [&'static str] = match self {
            Columns::Base => &[],
            Columns::WithTmdb => &TMDB_HEADER,
        };
        HEADER.iter().chain(tmdb).copied()
    }

    /// The columns that hold `titles` without loss: the TMDB ones only when some title has TMDB
    /// data, so an extract without any stays byte for byte what it was before they existed.
    pub fn for_titles(titles: &[Title]) -> Columns {
        if titles
            .iter()
            .any(|t| t.tmdb.as_ref().is_some_and(|d| !d.is_empty()))
        {
            Columns::WithTmdb
        } else {
            Columns::Base
        }
    }
}

/// A failure that stops reading or writing an extract as a whole.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The first line is neither [`HEADER`] nor [`HEADER`] followed by [`TMDB_HEADER`].
    #[error("extract header: expected columns {expected} but found {found}")]
    Header { expected: String, found: String },
    /// The input has no header line at all.
    #[error("extract header: expected columns {expected} but the file is empty")]
    Empty { expected: String },
    /// The header line could not be read (I/O error or bad UTF-8).
    #[error("extract header: {0}")]
    HeaderRead(String),
    /// A title that the extract cannot represent so that it reads back the same.
    #[error("extract title {id:?}: {reason}")]
    InvalidTitle { id: String, reason: String },
    /// Writing or flushing the output failed.
    #[error("writing the extract: {0}")]
    Write(#[source] csv::Error),
    /// Flushing the output failed.
    #[error("writing the extract: {0}")]
    Io(#[from] std::io::Error),
}

/// One row of an extract that could not be read; reading goes on with the next row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractRowError {
    /// 1-based line where the row starts, the header being line 1.
    pub line: u64,
    /// The offending column (one of [`HEADER`] or [`TMDB_HEADER`]), or `""` when the row as a
    /// whole is bad.
    pub column: &'static str,
    pub reason: String,
}

impl fmt::Display for ExtractRowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "line {}: {}", self.line, self.reason)
        } else {
            write!(
                f,
                "line {}: column {}: {}",
                self.line, self.column, self.reason
            )
        }
    }
}

impl std::error::Error for ExtractRowError {}

/// The expected header, as header errors name it.
fn joined_header() -> String {
    format!(
        "{} (optionally followed by {})",
        HEADER.join(","),
        TMDB_HEADER.join(",")
    )
}

/// One row's outcome: the title, or why the row was skipped.
pub type ExtractRow = Result<Title, ExtractRowError>;

/// Parses an extract pushed in chunks of any size, as they arrive from a network stream: each
/// [`push`](ExtractParser::push) returns the rows whose records the chunk completed, and
/// [`finish`](ExtractParser::finish) the last one. The format and the rows are exactly
/// [`ExtractReader`]'s, which is this parser fed from a [`Read`]; where the chunks split the
/// input (inside a quoted field, between a CR and its LF, inside a UTF-8 BOM) changes nothing.
///
/// ```
/// use cinelake_core::extract::ExtractParser;
/// let csv = "kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes\n\
///            movie,tt1,\"Two\nlines\",,1906,,70,Action,6.0,797\nmovie,tt2,x,,1900,,,,,\n";
/// let (first, rest) = csv.as_bytes().split_at(100);
/// let mut parser = ExtractParser::new();
/// assert!(parser.push(first).unwrap().is_empty()); // the first row is not complete yet
/// let rows = parser.push(rest).unwrap();
/// assert_eq!(rows.len(), 2);
/// assert_eq!(rows[0].as_ref().unwrap().title, "Two\nlines");
/// assert!(parser.finish().unwrap().is_empty());
/// ```
#[derive(Debug)]
pub struct ExtractParser {
    core: csv_core::Reader,
    /// The current record's fields, back to back, and where each one ends in `fields`; csv-core
    /// fills them across as many pushes as the record spans.
    fields: Vec<u8>,
    ends: Vec<usize>,
    fields_len: usize,
    ends_len: usize,
    /// csv-core's line count where the current record starts.
    record_line: u64,
    /// Bytes held back until the first read: csv-core strips a leading UTF-8 BOM only when its
    /// first read holds all three bytes, and takes a first read of exactly the BOM for the end
    /// of the input, so the first read gets at least four bytes (or the whole, shorter, input).
    head: Vec<u8>,
    started: bool,
    /// The columns the header announced, once it is read.
    columns: Option<Columns>,
    /// Added to csv-core's line numbers (see `check_header`).
    line_offset: u64,
    /// The input has ended (or the header was refused): nothing more is parsed.
    ended: bool,
}

impl Default for ExtractParser {
    fn default() -> Self {
        ExtractParser::new()
    }
}

impl ExtractParser {
    /// Bytes held back before the first read (see the `head` field).
    const HEAD: usize = 4;

    /// A parser waiting for the header line.
    pub fn new() -> Self {
        ExtractParser {
            // RFC 4180 with csv-core's defaults: comma, `"` quoting with `""` escapes, CR, LF
            // or CRLF record ends. The csv crate's reader uses the same.
            core: csv_core::Reader::new(),
            fields: vec![0; 1024],
            ends: vec![0; 32],
            fields_len: 0,
            ends_len: 0,
            record_line: 1,
            head: Vec::with_capacity(Self::HEAD),
            started: false,
            columns: None,
            line_offset: 0,
            ended: false,
        }
    }

    /// The columns the header announced, once the header line is complete.
    pub fn columns(&self) -> Option<Columns> {
        self.columns
    }

    /// The 1-based line the parser has reached (the header being line 1): where the next
    /// unfinished record starts, for messages about input that ended badly.
    pub fn line(&self) -> u64 {
        self.record_line + self.line_offset
    }

    /// Parses `chunk`, the input's next bytes, and returns the rows it completed. A wrong header
    /// is an [`ExtractError::Header`] as soon as the header line is complete; nothing is parsed
    /// after it.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<ExtractRow>, ExtractError> {
        let mut rows = Vec::new();
        self.push_with(chunk, &mut |row| rows.push(row))?;
        Ok(rows)
    }

    /// [`push`](ExtractParser::push), handing each completed row to `row` instead of
    /// collecting them.
    pub fn push_with(
        &mut self,
        chunk: &[u8],
        row: &mut dyn FnMut(ExtractRow),
    ) -> Result<(), ExtractError> {
        if self.ended || chunk.is_empty() {
            return Ok(());
        }
        if !self.started {
            if self.head.len() + chunk.len() < Self::HEAD {
                self.head.extend_from_slice(chunk);
                return Ok(());
            }
            self.started = true;
            if !self.head.is_empty() {
                let mut head = std::mem::take(&mut self.head);
                head.extend_from_slice(chunk);
                return self.read(&head, false, row);
            }
        }
        self.read(chunk, false, row)
    }

    /// Ends the input and returns the last rows (a last line without a line break). An input
    /// without a header line is an [`ExtractError::Empty`], one with a wrong header an
    /// [`ExtractError::Header`].
    pub fn finish(&mut self) -> Result<Vec<ExtractRow>, ExtractError> {
        let mut rows = Vec::new();
        self.finish_with(&mut |row| rows.push(row))?;
        Ok(rows)
    }

    /// [`finish`](ExtractParser::finish), handing each row to `row`.
    pub fn finish_with(&mut self, row: &mut dyn FnMut(ExtractRow)) -> Result<(), ExtractError> {
        if !self.ended {
            if !self.started {
                self.started = true;
                let head = std::mem::take(&mut self.head);
                if !head.is_empty() {
                    self.read(&head, false, row)?;
                }
            }
            // An empty input is how csv-core is told the input has ended.
            self.read(&[], true, row)?;
            self.ended = true;
        }
        if self.columns.is_none() {
            return Err(ExtractError::Empty {
                expected: joined_header(),
            });
        }
        Ok(())
    }

    /// Runs csv-core over `input` (all of it, or the end of the input when `at_end`), as the
    /// csv crate's `read_byte_record` does, so lines and records are the same as its.
    fn read(
        &mut self,
        mut input: &[u8],
        at_end: bool,
        row: &mut dyn FnMut(ExtractRow),
    ) -> Result<(), ExtractError> {
        use csv_core::ReadRecordResult;
        // Never hand csv-core an empty slice before the end: it would take it for the end.
        while !self.ended && (at_end || !input.is_empty()) {
            let (result, read, written, ended) = self.core.read_record(
                input,
                &mut self.fields[self.fields_len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[read..];
            self.fields_len += written;
            self.ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty => {
                    if at_end {
                        // csv-core always ends with End; this only guards against a loop.
                        self.ended = true;
                    }
                }
                ReadRecordResult::OutputFull => {
                    let len = self.fields.len().max(1) * 2;
                    self.fields.resize(len, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len().max(1) * 2;
                    self.ends.resize(len, 0);
                }
                ReadRecordResult::Record => {
                    let line = self.record_line;
                    self.record_line = self.core.line();
                    let record = Fields {
                        bytes: &self.fields[..self.fields_len],
                        ends: &self.ends[..self.ends_len],
                    };
                    match self.columns {
                        Some(columns) => row(parse_row(record, line + self.line_offset, columns)),
                        None => match check_header(record) {
                            Ok(columns) => {
                                self.columns = Some(columns);
                                // csv-core counts a line when it consumes a `\n`, and it ends a
                                // CRLF record at the `\r`: the `\n` is consumed with the next
                                // record, so in a CRLF file every record's start is one line
                                // short. The header's own ending tells which kind of file this is.
                                self.line_offset = u64::from(self.core.line() == 1);
                            }
                            Err(error) => {
                                self.ended = true;
                                return Err(error);
                            }
                        },
                    }
                    self.fields_len = 0;
                    self.ends_len = 0;
                }
                ReadRecordResult::End => self.ended = true,
            }
        }
        Ok(())
    }
}

/// One record's fields as csv-core leaves them: the bytes back to back and each field's end.
#[derive(Clone, Copy)]
struct Fields<'a> {
    bytes: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Fields<'a> {
    fn len(self) -> usize {
        self.ends.len()
    }

    fn iter(self) -> impl Iterator<Item = &'a [u8]> {
        let bytes = self.bytes;
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(move |(start, end)| &bytes[start..end])
    }
}

/// The columns a header record announces, or the error naming what it holds instead.
fn check_header(header: Fields<'_>) -> Result<Columns, ExtractError> {
    let is = |columns: Columns| {
        header.len() == columns.count()
            && header
                .iter()
                .zip(columns.names())
                .all(|(f, h)| f == h.as_bytes())
    };
    if is(Columns::Base) {
        return Ok(Columns::Base);
    }
    if is(Columns::WithTmdb) {
        return Ok(Columns::WithTmdb);
    }
    let mut found = header
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect::<Vec<_>>()
        .join(",");
    // A file that is not CSV at all (an unclosed quote in binary data) can make its first
    // record megabytes long: the message, shown whole by the dashboard, keeps 400 chars.
    if let Some((at, _)) = found.char_indices().nth(400) {
        found = format!("{}… ({} bytes)", &found[..at], found.len());
    }
    Err(ExtractError::Header {
        expected: joined_header(),
        found,
    })
}

/// Reads an extract (RFC 4180 CSV, comma, header line, UTF-8, optional BOM, LF/CRLF, empty
/// field = null), one [`Title`] or [`ExtractRowError`] per data row: an [`ExtractParser`] fed
/// from `input` in reads of up to 64 KiB.
pub struct ExtractReader<R: Read> {
    input: R,
    parser: ExtractParser,
    buffer: Box<[u8]>,
    /// Rows parsed but not yet handed out.
    rows: std::collections::VecDeque<ExtractRow>,
    /// The input has ended or failed: nothing more is read.
    done: bool,
}

impl<R: Read> ExtractReader<R> {
    /// How much is read from the input at a time.
    const READ: usize = 64 * 1024;

    /// Reads and checks the header ([`HEADER`], optionally followed by [`TMDB_HEADER`]); a wrong
    /// header is an [`ExtractError`] naming the expected and the found columns.
    pub fn new(input: R) -> Result<Self, ExtractError> {
        let mut reader = ExtractReader {
            input,
            parser: ExtractParser::new(),
            buffer: vec![0; Self::READ].into_boxed_slice(),
            rows: std::collections::VecDeque::new(),
            done: false,
        };
        while reader.parser.columns().is_none() {
            let rows = &mut reader.rows;
            match reader.input.read(&mut reader.buffer) {
                Ok(0) => {
                    reader.done = true;
                    reader.parser.finish_with(&mut |row| rows.push_back(row))?;
                }
                Ok(n) => reader
                    .parser
                    .push_with(&reader.buffer[..n], &mut |row| rows.push_back(row))?,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(ExtractError::HeaderRead(error.to_string())),
            }
        }
        Ok(reader)
    }

    /// The columns the header announced.
    pub fn columns(&self) -> Columns {
        // `new` returns only once the header is read.
        self.parser.columns().unwrap_or_default()
    }

    /// Reads every row: the titles that parsed and the errors of those that did not.
    pub fn read_all(self) -> (Vec<Title>, Vec<ExtractRowError>) {
        let mut titles = Vec::new();
        let mut errors = Vec::new();
        for row in self {
            match row {
                Ok(title) => titles.push(title),
                Err(error) => errors.push(error),
            }
        }
        (titles, errors)
    }
}

impl<R: Read> Iterator for ExtractReader<R> {
    type Item = ExtractRow;

    fn next(&mut self) -> Option<Self::Item> {
        while self.rows.is_empty() && !self.done {
            let rows = &mut self.rows;
            let mut push = |row| rows.push_back(row);
            // The header is read, so these can only hand out rows.
            let _ = match self.input.read(&mut self.buffer) {
                Ok(0) => {
                    self.done = true;
                    self.parser.finish_with(&mut push)
                }
                Ok(n) => self.parser.push_with(&self.buffer[..n], &mut push),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => Ok(()),
                Err(error) => {
                    // The stream's position is unknown after an I/O error: stop there.
                    self.done = true;
                    push(Err(ExtractRowError {
                        line: self.parser.line(),
                        column: "",
                        reason: error.to_string(),
                    }));
                    Ok(())
                }
            };
        }
        self.rows.pop_front()
    }
}

fn parse_row(record: Fields<'_>, line: u64, columns: Columns) -> ExtractRow {
    let error = |column: &'static str, reason: String| ExtractRowError {
        line,
        column,
        reason,
    };
    if record.len() != columns.count() {
        return Err(error(
            "",
            format!(
                "expected {} columns but found {}",
                columns.count(),
                record.len()
            ),
        ));
    }
    let mut all = [""; HEADER.len() + TMDB_HEADER.len()];
    // One UTF-8 check for the whole record, then each field is a slice of it (a slice fails
    // only where a field's end splits a character): ten checks of a few bytes each cost more
    // than the check itself (measured: 12% of parsing). Otherwise the fields are checked one
    // by one, to name the bad one.
    let whole = std::str::from_utf8(record.bytes).ok().and_then(|text| {
        let mut start = 0;
        for (end, slot) in record.ends.iter().zip(all.iter_mut()) {
            *slot = text.get(start..*end)?;
            start = *end;
        }
        Some(())
    });
    if whole.is_none() {
        for ((field, name), slot) in record.iter().zip(columns.names()).zip(all.iter_mut()) {
            *slot = std::str::from_utf8(field).map_err(|_| {
                error(
                    name,
                    format!("{:?} is not valid UTF-8", String::from_utf8_lossy(field)),
                )
            })?;
        }
    }
    let (fields, tmdb_fields) = all.split_at(HEADER.len());
    // Both lengths are fixed by the split above, so these conversions cannot fail.
    let fields: [&str; 10] = fields.try_into().unwrap_or([""; 10]);
    let tmdb_fields: [&str; 6] = tmdb_fields.try_into().unwrap_or([""; 6]);
    let [
        kind,
        id,
        title,
        original_title,
        year,
        end_year,
        runtime,
        genres,
        rating,
        votes,
    ] = fields;

    let kind = Kind::parse(kind)
        .ok_or_else(|| error("kind", format!("{kind:?} is not movie or series")))?;
    if !is_title_id(id) {
        return Err(error("id", format!("{id:?} is not tt followed by digits")));
    }
    if title.is_empty() {
        return Err(error("title", "is empty".to_string()));
    }
    let year_of = |column: &'static str, text: &str| -> Result<Option<Year>, ExtractRowError> {
        if text.is_empty() {
            return Ok(None);
        }
        text.parse::<u16>()
            .ok()
            .and_then(Year::new)
            .map(Some)
            .ok_or_else(|| {
                error(
                    column,
                    format!(
                        "{text:?} is not a year between {} and {}",
                        Year::MIN,
                        Year::MAX
                    ),
                )
            })
    };
    let year = year_of("year", year)?;
    let end_year = year_of("end_year", end_year)?;
    let runtime_minutes = if runtime.is_empty() {
        None
    } else {
        Some(parse_whole::<u32>(runtime).ok_or_else(|| {
            error(
                "runtime_minutes",
                format!("{runtime:?} is not a whole number of minutes"),
            )
        })?)
    };
    let genres = if genres.is_empty() {
        Vec::new()
    } else {
        // Sized exactly: collecting from `split` starts at room for four, twice the usual one
        // or two genres, and the dashboard keeps hundreds of thousands of these lists.
        let mut list = Vec::with_capacity(genres.bytes().filter(|&b| b == b';').count() + 1);
        list.extend(genres.split(';').map(str::to_string));
        if list.iter().any(String::is_empty) {
            return Err(error("genres", format!("{genres:?} has an empty genre")));
        }
        list
    };
    let rating = if rating.is_empty() {
        None
    } else {
        Some(Rating::parse(rating).ok_or_else(|| {
            error(
                "rating",
                format!("{rating:?} is not a rating between 1.0 and 10.0"),
            )
        })?)
    };
    let votes = if votes.is_empty() {
        None
    } else {
        Some(
            parse_whole::<u64>(votes)
                .ok_or_else(|| error("votes", format!("{votes:?} is not a whole number")))?,
        )
    };
    let tmdb = parse_tmdb(tmdb_fields, &error)?;
    Ok(Title {
        kind,
        id: id.to_string(),
        title: title.to_string(),
        original_title: (!original_title.is_empty()).then(|| original_title.to_string()),
        year,
        end_year,
        runtime_minutes,
        genres,
        rating,
        votes,
        tmdb,
    })
}

/// The six TMDB fields (all empty in a base-format row): `None` when all are empty.
fn parse_tmdb(
    fields: [&str; 6],
    error: &impl Fn(&'static str, String) -> ExtractRowError,
) -> Result<Option<Tmdb>, ExtractRowError> {
    if fields.iter().all(|f| f.is_empty()) {
        return Ok(None);
    }
    let [
        budget,
        revenue,
        popularity,
        vote_average,
        vote_count,
        countries,
    ] = fields;
    let whole = |column: &'static str, text: &str| -> Result<Option<u64>, ExtractRowError> {
        if text.is_empty() {
            return Ok(None);
        }
        parse_whole::<u64>(text)
            .map(Some)
            .ok_or_else(|| error(column, format!("{text:?} is not a whole number")))
    };
    let decimal =
        |column: &'static str, text: &str, max: f64| -> Result<Option<f64>, ExtractRowError> {
            if text.is_empty() {
                return Ok(None);
            }
            parse_decimal(text)
                .filter(|v| *v <= max)
                .map(Some)
                .ok_or_else(|| {
                    let range = if max.is_finite() {
                        format!("from 0 to {max}")
                    } else {
                        "of at least 0".to_string()
                    };
                    error(column, format!("{text:?} is not a decimal number {range}"))
                })
        };
    let production_countries = if countries.is_empty() {
        Vec::new()
    } else {
        let list: Vec<String> = countries.split(';').map(str::to_string).collect();
        if list.iter().any(String::is_empty) {
            return Err(error(
                "production_countries",
                format!("{countries:?} has an empty country"),
            ));
        }
        list
    };
    Ok(Some(Tmdb {
        budget: whole("budget", budget)?,
        revenue: whole("revenue", revenue)?,
        popularity: decimal("popularity", popularity, f64::INFINITY)?,
        vote_average: decimal("tmdb_vote_average", vote_average, 10.0)?,
        vote_count: whole("tmdb_vote_count", vote_count)?,
        production_countries,
    }))
}

/// A plain, non-negative decimal (`12`, `12.5`; no sign, exponent, `inf` or `NaN`), as the
/// writer formats finite non-negative `f64`s.
fn parse_decimal(text: &str) -> Option<f64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `tt` followed by one or more ASCII digits, the IMDb title id form.
pub fn is_title_id(id: &str) -> bool {
    id.strip_prefix("tt")
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Digits only: `str::parse` alone would also accept a leading `+`.
fn parse_whole<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Why `tmdb` cannot be written so that it reads back the same, if it cannot.
fn check_tmdb(tmdb: &Tmdb) -> Result<(), String> {
    for (name, value, max) in [
        ("popularity", tmdb.popularity, f64::INFINITY),
        ("tmdb_vote_average", tmdb.vote_average, 10.0),
    ] {
        if let Some(v) = value
            && !(v.is_finite() && (0.0..=max).contains(&v))
        {
            return Err(format!("{name} {v} is not finite or out of range"));
        }
    }
    if let Some(country) = tmdb
        .production_countries
        .iter()
        .find(|c| c.is_empty() || c.contains(';'))
    {
        return Err(format!(
            "production country {country:?} is empty or contains ';'"
        ));
    }
    Ok(())
}

/// Writes an extract: the header on creation, then one line per [`Title`].
pub struct ExtractWriter<W: Write> {
    csv: csv::Writer<W>,
    columns: Columns,
}

impl<W: Write> ExtractWriter<W> {
    /// Starts an extract with the ten base columns on `output` and writes the header.
    pub fn new(output: W) -> Result<Self, ExtractError> {
        Self::with_columns(output, Columns::Base)
    }

    /// Starts an extract with `columns` on `output` and writes the header
    /// ([`Columns::for_titles`] picks the columns a set of titles needs).
    pub fn with_columns(output: W, columns: Columns) -> Result<Self, ExtractError> {
        let mut csv = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(output);
        csv.write_record(columns.names())
            .map_err(ExtractError::Write)?;
        Ok(ExtractWriter { csv, columns })
    }

    /// Writes one title. A title the extract cannot hold so that it reads back the same (a bad
    /// id, an empty title, an empty genre or one containing `;`, a year outside [`Year`]'s range,
    /// TMDB data in an extract without the TMDB columns, a TMDB number that is not finite or out
    /// of its range, an empty country or one containing `;`) is refused; an original title of
    /// `Some("")` and an empty [`Tmdb`] are written as null.
    pub fn write(&mut self, title: &Title) -> Result<(), ExtractError> {
        let invalid = |reason: String| ExtractError::InvalidTitle {
            id: title.id.clone(),
            reason,
        };
        if !is_title_id(&title.id) {
            return Err(invalid("the id is not tt followed by digits".to_string()));
        }
        if title.title.is_empty() {
            return Err(invalid("the title is empty".to_string()));
        }
        if let Some(genre) = title
            .genres
            .iter()
            .find(|g| g.is_empty() || g.contains(';'))
        {
            return Err(invalid(format!("genre {genre:?} is empty or contains ';'")));
        }
        for year in [title.year, title.end_year].into_iter().flatten() {
            if Year::new(year.get()).is_none() {
                return Err(invalid(format!(
                    "year {year} is outside {}..={}",
                    Year::MIN,
                    Year::MAX
                )));
            }
        }
        let tmdb = title.tmdb.as_ref().filter(|d| !d.is_empty());
        if let Some(tmdb) = tmdb {
            if self.columns == Columns::Base {
                return Err(invalid(
                    "has TMDB data but the extract has no TMDB columns".to_string(),
                ));
            }
            check_tmdb(tmdb).map_err(invalid)?;
        }
        let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
        let mut record: Vec<String> = vec![
            title.kind.as_str().to_string(),
            title.id.clone(),
            title.title.clone(),
            title.original_title.clone().unwrap_or_default(),
            number(title.year.map(|y| u64::from(y.get()))),
            number(title.end_year.map(|y| u64::from(y.get()))),
            number(title.runtime_minutes.map(u64::from)),
            title.genres.join(";"),
            title.rating.map(|r| r.to_string()).unwrap_or_default(),
            number(title.votes),
        ];
        if self.columns == Columns::WithTmdb {
            // -0.0 would print as "-0", which the reader refuses as signed: write it as 0.
            let decimal = |n: Option<f64>| {
                n.map(|n| if n == 0.0 { 0.0 } else { n }.to_string())
                    .unwrap_or_default()
            };
            let empty = Tmdb::default();
            let tmdb = tmdb.unwrap_or(&empty);
            record.extend([
                number(tmdb.budget),
                number(tmdb.revenue),
                decimal(tmdb.popularity),
                decimal(tmdb.vote_average),
                number(tmdb.vote_count),
                tmdb.production_countries.join(";"),
            ]);
        }
        self.csv.write_record(&record).map_err(ExtractError::Write)
    }

    /// Flushes and returns the output.
    pub fn finish(self) -> Result<W, ExtractError> {
        self.csv
            .into_inner()
            .map_err(|e| ExtractError::Io(e.into_error()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes\n";

    fn movie(id: &str, title: &str) -> Title {
        Title {
            kind: Kind::Movie,
            id: id.to_string(),
            title: title.to_string(),
            original_title: None,
            year: None,
            end_year: None,
            runtime_minutes: None,
            genres: Vec::new(),
            rating: None,
            votes: None,
            tmdb: None,
        }
    }

    /// Reads one data row after a correct header: the title or the error's display.
    fn check(row: &str, expected: Result<Title, &str>) {
        let input = format!("{HEAD}{row}\n");
        let mut reader = ExtractReader::new(input.as_bytes()).expect("header");
        let got = reader.next().expect("one row").map_err(|e| e.to_string());
        assert_eq!(got, expected.map_err(str::to_string), "{row:?}");
        assert!(reader.next().is_none(), "{row:?}: more than one row");
    }

    #[test]
    fn rows_parse_or_fail_with_the_column_and_reason() {
        let full = Title {
            kind: Kind::Movie,
            id: "tt0000574".into(),
            title: "The Story of the Kelly Gang".into(),
            original_title: Some("The Story of the Kelly Gang".into()),
            year: Year::new(1906),
            end_year: None,
            runtime_minutes: Some(70),
            genres: vec!["Action".into(), "Adventure".into(), "Biography".into()],
            rating: Rating::parse("6.0"),
            votes: Some(797),
            tmdb: None,
        };
        check(
            "movie,tt0000574,The Story of the Kelly Gang,The Story of the Kelly Gang,1906,,70,Action;Adventure;Biography,6.0,797",
            Ok(full),
        );
        check("movie,tt1,x,,,,,,,", Ok(movie("tt1", "x")));
        check(
            "series,tt2,\"a, \"\"b\"\"\nc\",,1990,1995,,,7,",
            Ok(Title {
                kind: Kind::Series,
                year: Year::new(1990),
                end_year: Year::new(1995),
                rating: Rating::parse("7.0"),
                ..movie("tt2", "a, \"b\"\nc")
            }),
        );
        check(
            "Movie,tt1,x,,,,,,,",
            Err("line 2: column kind: \"Movie\" is not movie or series"),
        );
        check(
            ",tt1,x,,,,,,,",
            Err("line 2: column kind: \"\" is not movie or series"),
        );
        check(
            "movie,nm1,x,,,,,,,",
            Err("line 2: column id: \"nm1\" is not tt followed by digits"),
        );
        check(
            "movie,tt,x,,,,,,,",
            Err("line 2: column id: \"tt\" is not tt followed by digits"),
        );
        check("movie,tt1,,,,,,,,", Err("line 2: column title: is empty"));
        check(
            "movie,tt1,x,,1849,,,,,",
            Err("line 2: column year: \"1849\" is not a year between 1850 and 2100"),
        );
        check(
            "movie,tt1,x,,,abc,,,,",
            Err("line 2: column end_year: \"abc\" is not a year between 1850 and 2100"),
        );
        check(
            "movie,tt1,x,,,,-5,,,",
            Err("line 2: column runtime_minutes: \"-5\" is not a whole number of minutes"),
        );
        check(
            "movie,tt1,x,,,,,Drama;;War,,",
            Err("line 2: column genres: \"Drama;;War\" has an empty genre"),
        );
        check(
            "movie,tt1,x,,,,,,11.0,",
            Err("line 2: column rating: \"11.0\" is not a rating between 1.0 and 10.0"),
        );
        check(
            "movie,tt1,x,,,,,,\"7,5\",",
            Err("line 2: column rating: \"7,5\" is not a rating between 1.0 and 10.0"),
        );
        check(
            "movie,tt1,x,,,,,,,+3",
            Err("line 2: column votes: \"+3\" is not a whole number"),
        );
        check(
            "movie,tt1,x,,,,,,,1e3",
            Err("line 2: column votes: \"1e3\" is not a whole number"),
        );
        check(
            "movie,tt1,x",
            Err("line 2: expected 10 columns but found 3"),
        );
        check(
            "movie,tt1,x,,,,,,,,",
            Err("line 2: expected 10 columns but found 11"),
        );
    }

    const TMDB_HEAD: &str = "kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes,\
         budget,revenue,popularity,tmdb_vote_average,tmdb_vote_count,production_countries\n";

    /// Reads one data row after the header with the TMDB columns.
    fn check_tmdb(row: &str, expected: Result<Option<Tmdb>, &str>) {
        let input = format!("{TMDB_HEAD}{row}\n");
        let mut reader = ExtractReader::new(input.as_bytes()).expect("header");
        assert_eq!(reader.columns(), Columns::WithTmdb);
        let got = reader
            .next()
            .expect("one row")
            .map(|t| t.tmdb)
            .map_err(|e| e.to_string());
        assert_eq!(got, expected.map_err(str::to_string), "{row:?}");
    }

    #[test]
    fn tmdb_columns_parse_or_fail_with_the_column_and_reason() {
        check_tmdb(
            "movie,tt1,x,,,,,,,,237000000,2923706026,35.2,7.587,31034,US;GB",
            Ok(Some(Tmdb {
                budget: Some(237_000_000),
                revenue: Some(2_923_706_026),
                popularity: Some(35.2),
                vote_average: Some(7.587),
                vote_count: Some(31034),
                production_countries: vec!["US".into(), "GB".into()],
            })),
        );
        // A series: no budget or revenue.
        check_tmdb(
            "series,tt2,x,,,,,,,,,,3,8,12,",
            Ok(Some(Tmdb {
                popularity: Some(3.0),
                vote_average: Some(8.0),
                vote_count: Some(12),
                ..Tmdb::default()
            })),
        );
        // All six empty: no TMDB data.
        check_tmdb("movie,tt1,x,,,,,,,,,,,,,", Ok(None));
        check_tmdb(
            "movie,tt1,x,,,,,,,,-1,,,,,",
            Err("line 2: column budget: \"-1\" is not a whole number"),
        );
        check_tmdb(
            "movie,tt1,x,,,,,,,,,1.5,,,,",
            Err("line 2: column revenue: \"1.5\" is not a whole number"),
        );
        check_tmdb(
            "movie,tt1,x,,,,,,,,,,1e3,,,",
            Err("line 2: column popularity: \"1e3\" is not a decimal number of at least 0"),
        );
        check_tmdb(
            "movie,tt1,x,,,,,,,,,,NaN,,,",
            Err("line 2: column popularity: \"NaN\" is not a decimal number of at least 0"),
        );
        check_tmdb(
            "movie,tt1,x,,,,,,,,,,,10.5,,",
            Err("line 2: column tmdb_vote_average: \"10.5\" is not a decimal number from 0 to 10"),
        );
        check_tmdb(
            "movie,tt1,x,,,,,,,,,,,,7.0,",
            Err("line 2: column tmdb_vote_count: \"7.0\" is not a whole number"),
        );
        check_tmdb(
            "movie,tt1,x,,,,,,,,,,,,,US;;FR",
            Err("line 2: column production_countries: \"US;;FR\" has an empty country"),
        );
        // A TMDB-format file still needs all sixteen fields per row.
        check_tmdb(
            "movie,tt1,x,,,,,,,",
            Err("line 2: expected 16 columns but found 10"),
        );
        // And a base-format file reads as before, without TMDB data.
        let mut reader = ExtractReader::new(format!("{HEAD}movie,tt1,x,,,,,,,\n").as_bytes())
            .expect("header")
            .collect::<Vec<_>>()
            .into_iter();
        assert_eq!(reader.next(), Some(Ok(movie("tt1", "x"))));
    }

    #[test]
    fn writer_writes_tmdb_columns_only_when_asked_and_refuses_what_would_not_read_back() {
        let tmdb = Tmdb {
            budget: Some(1000),
            popularity: Some(0.1 + 0.2),
            vote_average: Some(-0.0),
            production_countries: vec!["FR".into()],
            ..Tmdb::default()
        };
        let with = Title {
            tmdb: Some(tmdb.clone()),
            ..movie("tt1", "x")
        };
        let titles = [with.clone(), movie("tt2", "y")];
        assert_eq!(Columns::for_titles(&titles), Columns::WithTmdb);
        assert_eq!(Columns::for_titles(&titles[1..]), Columns::Base);
        let mut writer = ExtractWriter::with_columns(Vec::new(), Columns::WithTmdb).unwrap();
        for title in &titles {
            writer.write(title).unwrap();
        }
        let text = String::from_utf8(writer.finish().unwrap()).unwrap();
        // Shortest round-trip decimals; -0 is written as 0.
        assert_eq!(
            text,
            format!(
                "{TMDB_HEAD}movie,tt1,x,,,,,,,,1000,,0.30000000000000004,0,,FR\nmovie,tt2,y,,,,,,,,,,,,,\n"
            )
        );
        let (read, errors) = ExtractReader::new(text.as_bytes()).unwrap().read_all();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(read, titles);

        let refuse = |columns: Columns, tmdb: Tmdb, expected: &str| {
            let mut writer = ExtractWriter::with_columns(Vec::new(), columns).unwrap();
            let title = Title {
                tmdb: Some(tmdb),
                ..movie("tt1", "x")
            };
            assert_eq!(writer.write(&title).unwrap_err().to_string(), expected);
        };
        refuse(
            Columns::Base,
            tmdb.clone(),
            "extract title \"tt1\": has TMDB data but the extract has no TMDB columns",
        );
        refuse(
            Columns::WithTmdb,
            Tmdb {
                popularity: Some(f64::NAN),
                ..Tmdb::default()
            },
            "extract title \"tt1\": popularity NaN is not finite or out of range",
        );
        refuse(
            Columns::WithTmdb,
            Tmdb {
                vote_average: Some(10.01),
                ..Tmdb::default()
            },
            "extract title \"tt1\": tmdb_vote_average 10.01 is not finite or out of range",
        );
        refuse(
            Columns::WithTmdb,
            Tmdb {
                production_countries: vec!["US;GB".into()],
                ..Tmdb::default()
            },
            "extract title \"tt1\": production country \"US;GB\" is empty or contains ';'",
        );
        // An empty Tmdb is no data: accepted without the TMDB columns, read back as None.
        let mut writer = ExtractWriter::new(Vec::new()).unwrap();
        writer
            .write(&Title {
                tmdb: Some(Tmdb::default()),
                ..movie("tt1", "x")
            })
            .unwrap();
        let bytes = writer.finish().unwrap();
        let (read, _) = ExtractReader::new(&bytes[..]).unwrap().read_all();
        assert_eq!(read, [movie("tt1", "x")]);
    }

    #[test]
    fn header_errors_name_expected_and_found_columns() {
        let check = |input: &[u8], expected: &str| {
            let error = ExtractReader::new(input).err().expect("a header error");
            assert_eq!(error.to_string(), expected, "{input:?}");
        };
        let expected = "kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes \
             (optionally followed by budget,revenue,popularity,tmdb_vote_average,tmdb_vote_count,production_countries)";
        // Some but not all TMDB columns, or the right ones in another order, is not the contract.
        check(
            b"kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes,budget\n",
            &format!(
                "extract header: expected columns {expected} but found kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes,budget"
            ),
        );
        check(
            b"kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes,revenue,budget,popularity,tmdb_vote_average,tmdb_vote_count,production_countries\n",
            &format!(
                "extract header: expected columns {expected} but found kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes,revenue,budget,popularity,tmdb_vote_average,tmdb_vote_count,production_countries"
            ),
        );
        check(
            b"",
            &format!("extract header: expected columns {expected} but the file is empty"),
        );
        check(
            b"kind;id;title\n",
            &format!("extract header: expected columns {expected} but found kind;id;title"),
        );
        check(
            b"kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating\n",
            &format!(
                "extract header: expected columns {expected} but found kind,id,title,original_title,year,end_year,runtime_minutes,genres,rating"
            ),
        );
        check(
            b"KIND,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes\n",
            &format!(
                "extract header: expected columns {expected} but found KIND,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes"
            ),
        );
    }

    #[test]
    fn bom_crlf_and_line_numbers_are_handled() {
        let input = format!(
            "\u{feff}{}\r\nmovie,tt1,\"two\r\nlines\",,,,,,,\r\nmovie,tt2,y,,,,,,0.5,\r\nseries,tt3,z,,,,,,,\r\n",
            HEAD.trim_end()
        );
        let rows: Vec<_> = ExtractReader::new(input.as_bytes()).unwrap().collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].as_ref().unwrap().title, "two\r\nlines");
        // The second row starts on line 4: the quoted line break in row one counts.
        assert_eq!(
            rows[1].as_ref().unwrap_err().to_string(),
            "line 4: column rating: \"0.5\" is not a rating between 1.0 and 10.0"
        );
        assert_eq!(rows[2].as_ref().unwrap().kind, Kind::Series);
        // The same rows with LF endings report the same lines.
        let lf = input
            .replace("\r\n", "\n")
            .replace("two\nlines", "two\r\nlines");
        let rows: Vec<_> = ExtractReader::new(lf.as_bytes()).unwrap().collect();
        assert_eq!(
            rows[1].as_ref().unwrap_err().to_string(),
            "line 4: column rating: \"0.5\" is not a rating between 1.0 and 10.0"
        );
    }

    #[test]
    fn bad_utf8_in_a_row_is_a_row_error_and_reading_goes_on() {
        let mut input = HEAD.as_bytes().to_vec();
        input.extend_from_slice(b"movie,tt1,caf\xe9,,,,,,,\nmovie,tt2,ok,,,,,,,\n");
        let (titles, errors) = ExtractReader::new(&input[..]).unwrap().read_all();
        assert_eq!(titles, [movie("tt2", "ok")]);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "line 2: column title: \"caf\u{fffd}\" is not valid UTF-8"
        );
        // A character split between two fields: the record as a whole is valid UTF-8, but
        // neither field is.
        let mut input = HEAD.as_bytes().to_vec();
        input.extend_from_slice(b"movie,tt1,x\xc3,\xa9,,,,,,\nmovie,tt2,\xc3\xa9,,,,,,,\n");
        let (titles, errors) = ExtractReader::new(&input[..]).unwrap().read_all();
        assert_eq!(titles, [movie("tt2", "é")]);
        assert_eq!(
            errors[0].to_string(),
            "line 2: column title: \"x\u{fffd}\" is not valid UTF-8"
        );
    }

    #[test]
    fn writer_refuses_titles_that_would_not_read_back() {
        let check = |title: Title, expected: &str| {
            let mut writer = ExtractWriter::new(Vec::new()).unwrap();
            assert_eq!(writer.write(&title).unwrap_err().to_string(), expected);
        };
        check(
            movie("nm1", "x"),
            "extract title \"nm1\": the id is not tt followed by digits",
        );
        check(
            movie("tt1", ""),
            "extract title \"tt1\": the title is empty",
        );
        check(
            Title {
                genres: vec!["A;B".into()],
                ..movie("tt1", "x")
            },
            "extract title \"tt1\": genre \"A;B\" is empty or contains ';'",
        );
        check(
            Title {
                genres: vec![String::new()],
                ..movie("tt1", "x")
            },
            "extract title \"tt1\": genre \"\" is empty or contains ';'",
        );
        check(
            Title {
                year: Some(Year(1200)),
                ..movie("tt1", "x")
            },
            "extract title \"tt1\": year 1200 is outside 1850..=2100",
        );
    }

    #[test]
    fn writer_writes_the_contract_example() {
        let title = Title {
            kind: Kind::Movie,
            id: "tt0000574".into(),
            title: "The Story of the Kelly Gang".into(),
            original_title: Some("The Story of the Kelly Gang".into()),
            year: Year::new(1906),
            end_year: None,
            runtime_minutes: Some(70),
            genres: vec!["Action".into(), "Adventure".into(), "Biography".into()],
            rating: Rating::parse("6"),
            votes: Some(797),
            tmdb: None,
        };
        let mut writer = ExtractWriter::new(Vec::new()).unwrap();
        writer.write(&title).unwrap();
        writer
            .write(&Title {
                title: "a,\"b\"".into(),
                ..movie("tt9", "")
            })
            .unwrap();
        let text = String::from_utf8(writer.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            format!(
                "{HEAD}movie,tt0000574,The Story of the Kelly Gang,The Story of the Kelly Gang,1906,,70,Action;Adventure;Biography,6.0,797\nmovie,tt9,\"a,\"\"b\"\"\",,,,,,,\n"
            )
        );
    }

    /// The reader as it was before [`ExtractParser`]: the csv crate's own reader over the whole
    /// input (its first read being the first four bytes, as that reader arranged), the
    /// reference the parser is checked against. The rows, or the header error's message.
    fn csv_crate_rows(input: &[u8]) -> Result<Vec<ExtractRow>, String> {
        let (head, rest) = input.split_at(input.len().min(4));
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(io::Cursor::new(head.to_vec()).chain(rest));
        let ends = |record: &csv::ByteRecord| {
            record
                .iter()
                .scan(0, |end, field| {
                    *end += field.len();
                    Some(*end)
                })
                .collect::<Vec<_>>()
        };
        let mut record = csv::ByteRecord::new();
        if !csv
            .read_byte_record(&mut record)
            .map_err(|e| e.to_string())?
        {
            return Err(ExtractError::Empty {
                expected: joined_header(),
            }
            .to_string());
        }
        let header_ends = ends(&record);
        let columns = check_header(Fields {
            bytes: record.as_slice(),
            ends: &header_ends,
        })
        .map_err(|e| e.to_string())?;
        let offset = u64::from(csv.position().line() == 1);
        let mut rows = Vec::new();
        while csv
            .read_byte_record(&mut record)
            .map_err(|e| e.to_string())?
        {
            let line = record.position().map_or(0, |p| p.line()) + offset;
            let record_ends = ends(&record);
            let fields = Fields {
                bytes: record.as_slice(),
                ends: &record_ends,
            };
            rows.push(parse_row(fields, line, columns));
        }
        Ok(rows)
    }

    /// Pushes `input` to an [`ExtractParser`] cut at `cuts` (offsets, in any order, clamped).
    fn pushed_rows(input: &[u8], cuts: &[usize]) -> Result<Vec<ExtractRow>, String> {
        let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
        cuts.sort_unstable();
        let mut parser = ExtractParser::new();
        let mut rows = Vec::new();
        let mut start = 0;
        for end in cuts.into_iter().chain([input.len()]) {
            rows.extend(parser.push(&input[start..end]).map_err(|e| e.to_string())?);
            start = end;
        }
        rows.extend(parser.finish().map_err(|e| e.to_string())?);
        Ok(rows)
    }

    /// Hands out `data` `piece` bytes at a time, as a pipe or a network stream may.
    struct Pieces<'a> {
        data: &'a [u8],
        piece: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.piece.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_parser_reads_byte_by_byte_what_the_csv_crate_reads_at_once() {
        let input = format!(
            "\u{feff}{}\r\nmovie,tt1,\"two\r\nlines\",,,,,,,\r\nmovie,tt2,y,,,,,,0.5,\r\nseries,tt3,\"a \"\"quote\"\"\",,,,,,,\r\nmovie,tt4",
            HEAD.trim_end()
        );
        let expected = csv_crate_rows(input.as_bytes());
        assert_eq!(expected.as_ref().map(Vec::len), Ok(4));
        // Every cut: inside the BOM, between CR and LF, inside quotes and a doubled quote.
        let every: Vec<usize> = (0..input.len()).collect();
        assert_eq!(pushed_rows(input.as_bytes(), &every), expected);
        for cut in 0..input.len() {
            assert_eq!(
                pushed_rows(input.as_bytes(), &[cut]),
                expected,
                "cut at {cut}"
            );
        }
        let rows = expected.unwrap();
        assert_eq!(rows[0].as_ref().unwrap().title, "two\r\nlines");
        assert_eq!(
            rows[1].as_ref().unwrap_err().to_string(),
            "line 4: column rating: \"0.5\" is not a rating between 1.0 and 10.0"
        );
        assert_eq!(rows[2].as_ref().unwrap().title, "a \"quote\"");
        assert_eq!(
            rows[3].as_ref().unwrap_err().to_string(),
            "line 6: expected 10 columns but found 2"
        );
    }

    #[test]
    fn the_parser_reports_header_errors_when_the_header_line_ends() {
        let mut parser = ExtractParser::new();
        assert_eq!(parser.push(b"kind,id,ti").unwrap(), []);
        assert_eq!(parser.columns(), None);
        let error = parser.push(b"tle\nmovie,tt1,x\n").unwrap_err();
        assert!(
            error.to_string().ends_with("but found kind,id,title"),
            "{error}"
        );
        // Nothing is parsed after a refused header.
        assert_eq!(parser.push(b"movie,tt2,y\n").unwrap(), []);
        let mut empty = ExtractParser::new();
        assert_eq!(empty.push(b"\xef\xbb").unwrap(), []);
        assert_eq!(empty.push(b"\xbf").unwrap(), []);
        assert!(
            empty
                .finish()
                .unwrap_err()
                .to_string()
                .ends_with("but the file is empty")
        );
        let mut good = ExtractParser::new();
        assert_eq!(good.push(HEAD.as_bytes()).unwrap(), []);
        assert_eq!(good.columns(), Some(Columns::Base));
        assert_eq!(good.line(), 2);
        assert_eq!(good.finish().unwrap(), []);
    }

    #[test]
    fn the_reader_stops_at_an_io_error_with_the_line_it_reached() {
        struct Failing<'a>(&'a [u8]);
        impl Read for Failing<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::other("the disk went away"));
                }
                let n = buf.len().min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let input = format!("{HEAD}movie,tt1,x,,,,,,,\nmovie,tt2,y,,");
        let rows: Vec<_> = ExtractReader::new(Failing(input.as_bytes()))
            .unwrap()
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], Ok(movie("tt1", "x")));
        assert_eq!(
            rows[1].as_ref().unwrap_err().to_string(),
            "line 3: the disk went away"
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Any title the writer accepts: text with commas, quotes, line breaks and non-ASCII.
        pub(crate) fn any_title() -> impl Strategy<Value = Title> {
            let text = "[a-zA-Z0-9 ,\"\r\n'éü漢🎬\t;|\\\\]{1,20}";
            (
                (
                    prop_oneof![Just(Kind::Movie), Just(Kind::Series)],
                    0u64..100_000_000,
                    text,
                ),
                (
                    proptest::option::of(text),
                    proptest::option::of(Year::MIN..=Year::MAX),
                ),
                proptest::option::of(Year::MIN..=Year::MAX),
                proptest::option::of(any::<u32>()),
                proptest::collection::vec("[A-Za-z\\-, \"é]{1,12}", 0..4),
                proptest::option::of(10u8..=100),
                proptest::option::of(any::<u64>()),
            )
                .prop_map(
                    |(
                        (kind, id, title),
                        (original_title, year),
                        end_year,
                        runtime_minutes,
                        genres,
                        rating,
                        votes,
                    )| Title {
                        kind,
                        id: format!("tt{id:07}"),
                        title,
                        original_title,
                        year: year.and_then(Year::new),
                        end_year: end_year.and_then(Year::new),
                        runtime_minutes,
                        genres,
                        rating: rating.and_then(Rating::from_tenths),
                        votes,
                        tmdb: None,
                    },
                )
        }

        /// Any TMDB data the writer accepts, or `None` (never `Some` of an empty [`Tmdb`], which
        /// reads back as `None`). Decimals cover whole, tiny, huge and many-digit values.
        fn any_tmdb() -> impl Strategy<Value = Option<Tmdb>> {
            let decimal = prop_oneof![
                (0u32..1_000_000).prop_map(f64::from),
                (0.0f64..1e-3),
                (0.0f64..1e12),
                Just(0.0),
                Just(-0.0),
            ];
            let average = prop_oneof![
                (0.0f64..=10.0),
                (0u8..=100).prop_map(|t| f64::from(t) / 10.0)
            ];
            proptest::option::of(
                (
                    proptest::option::of(any::<u64>()),
                    proptest::option::of(any::<u64>()),
                    proptest::option::of(decimal),
                    proptest::option::of(average),
                    proptest::option::of(any::<u64>()),
                    proptest::collection::vec("[A-Z]{2}|[a-z é,\"]{1,4}", 0..4),
                )
                    .prop_map(
                        |(
                            budget,
                            revenue,
                            popularity,
                            vote_average,
                            vote_count,
                            production_countries,
                        )| Tmdb {
                            budget,
                            revenue,
                            popularity,
                            vote_average,
                            vote_count,
                            production_countries,
                        },
                    ),
            )
            .prop_map(|tmdb| tmdb.filter(|t| !t.is_empty()))
        }

        /// Any title with or without TMDB data.
        fn any_title_with_tmdb() -> impl Strategy<Value = Title> {
            (any_title(), any_tmdb()).prop_map(|(title, tmdb)| Title { tmdb, ..title })
        }

        /// Extract-like inputs: written titles (with TMDB columns or not) made CRLF or given a
        /// BOM, a good header followed by CSV-ish noise, or arbitrary bytes.
        fn any_extract_bytes() -> impl Strategy<Value = Vec<u8>> {
            let written = (
                proptest::collection::vec(any_title_with_tmdb(), 0..12),
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(|(titles, crlf, bom, last_newline)| {
                    let mut writer =
                        ExtractWriter::with_columns(Vec::new(), Columns::for_titles(&titles))
                            .unwrap();
                    for title in &titles {
                        writer.write(title).unwrap();
                    }
                    let mut text = String::from_utf8(writer.finish().unwrap()).unwrap();
                    if crlf {
                        text = text.replace('\n', "\r\n");
                    }
                    if bom {
                        text.insert(0, '\u{feff}');
                    }
                    if !last_newline {
                        text.truncate(text.trim_end_matches(['\r', '\n']).len());
                    }
                    text.into_bytes()
                });
            let noisy = "[a-z0-9,\"\r\n;.é\u{feff}]{0,300}"
                .prop_map(|body| format!("{HEAD}{body}").into_bytes());
            let bytes = proptest::collection::vec(any::<u8>(), 0..200);
            prop_oneof![written, noisy, bytes]
        }

        proptest! {
            #[test]
            fn pushed_in_any_chunks_the_parser_reads_what_the_csv_crate_reads(
                input in any_extract_bytes(),
                cuts in proptest::collection::vec(any::<usize>(), 0..12),
                piece in 1usize..9,
            ) {
                let cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
                let expected = csv_crate_rows(&input);
                prop_assert_eq!(&pushed_rows(&input, &cuts), &expected);
                // The reader (the parser fed by reads) too, whatever the read sizes.
                let read = |piece| ExtractReader::new(Pieces { data: &input, piece })
                    .map(|reader| reader.collect::<Vec<_>>())
                    .map_err(|e| e.to_string());
                prop_assert_eq!(&read(piece), &expected);
                prop_assert_eq!(&read(usize::MAX), &expected);
            }
        }

        proptest! {
            #[test]
            fn write_then_read_gives_the_same_titles(titles in proptest::collection::vec(any_title(), 0..20)) {
                let mut writer = ExtractWriter::new(Vec::new()).unwrap();
                for title in &titles {
                    writer.write(title).unwrap();
                }
                let bytes = writer.finish().unwrap();
                let (read, errors) = ExtractReader::new(&bytes[..]).unwrap().read_all();
                prop_assert_eq!(errors, Vec::new());
                prop_assert_eq!(read, titles);
            }

            #[test]
            fn write_then_read_keeps_tmdb_data_and_picks_the_columns(titles in proptest::collection::vec(any_title_with_tmdb(), 0..20)) {
                let columns = Columns::for_titles(&titles);
                let mut writer = ExtractWriter::with_columns(Vec::new(), columns).unwrap();
                for title in &titles {
                    writer.write(title).unwrap();
                }
                let bytes = writer.finish().unwrap();
                let reader = ExtractReader::new(&bytes[..]).unwrap();
                prop_assert_eq!(reader.columns(), columns);
                prop_assert_eq!(
                    columns == Columns::WithTmdb,
                    titles.iter().any(|t| t.tmdb.is_some())
                );
                let (read, errors) = reader.read_all();
                prop_assert_eq!(errors, Vec::new());
                prop_assert_eq!(read, titles);
            }

            #[test]
            fn titles_without_tmdb_data_write_the_same_bytes_either_way(titles in proptest::collection::vec(any_title(), 0..10)) {
                // The base-format bytes are the TMDB-format bytes minus the six trailing columns.
                let write = |columns| {
                    let mut writer = ExtractWriter::with_columns(Vec::new(), columns).unwrap();
                    for title in &titles {
                        writer.write(title).unwrap();
                    }
                    String::from_utf8(writer.finish().unwrap()).unwrap()
                };
                let base = write(Columns::Base);
                let (read, _) = ExtractReader::new(base.as_bytes()).unwrap().read_all();
                let (read_tmdb, errors) = ExtractReader::new(write(Columns::WithTmdb).as_bytes()).unwrap().read_all();
                prop_assert_eq!(errors, Vec::new());
                prop_assert_eq!(&read, &read_tmdb);
                prop_assert_eq!(read, titles);
            }

            #[test]
            fn reading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
                if let Ok(reader) = ExtractReader::new(&bytes[..]) {
                    let rows = reader.count();
                    // Every row is a title or an error; a 400-byte input cannot hold more rows than bytes.
                    prop_assert!(rows <= bytes.len());
                }
            }

            #[test]
            fn arbitrary_rows_after_a_good_header_never_panic(body in "[a-z0-9,\"\r\n;.é\u{feff}]{0,300}") {
                let input = format!("{HEAD}{body}");
                let (titles, errors) = ExtractReader::new(input.as_bytes()).unwrap().read_all();
                for error in &errors {
                    prop_assert!(error.line >= 2, "{error}");
                }
                prop_assert!(titles.len() + errors.len() <= body.len());
            }
        }
    }
}
