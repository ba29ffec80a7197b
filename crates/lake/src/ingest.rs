//! `cinelake ingest`: validate raw files with the core reader, then upload them to the Raw zone
//! with [`upload_file`].
//!
//! The order is the contract: every file is validated ([`validate`]) before any byte is
//! uploaded, and [`plan`] refuses the whole batch if one file fails, so a bad file uploads
//! nothing. A small file is read once for both validation and hashing (a [`HashingReader`] under
//! the core's `RawReader`); a large one is validated in parts on every core while another thread
//! hashes it ([`validate`]). For an upload to S3 that hashing pass also computes each multipart
//! part's SHA-256 ([`validate_for_upload`]); the parts are sent with those checksums, so what was
//! validated is what is stored (the server, or the upload itself, refuses changed bytes).
//!
//! Memory: the core reader holds one bounded buffer and titles are counted as a set of numeric
//! ids (about a byte each for a sorted file), not folded into full titles as `cinelake check`
//! does, so ingest stays far under 100 MB even for multi-gigabyte files.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path as FsPath, PathBuf};

use chrono::NaiveDate;
use cinelake_core::raw::{Mode, RawError, RawKind, RawReader, ReaderOptions, RowError};
use object_store::path::Path;

use crate::error::LakeError;
use crate::lake::Lake;
use crate::layout::raw_key;
use crate::upload::{
    Digest, HashingReader, PartChecksums, Progress, UploadOptions, UploadReport, UploadRequest,
    digest_file_parts, effective_part_size, upload_file,
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
    /// The upload's part checksums ([`validate_for_upload`] of a multipart-sized file).
    pub part_checksums: Option<PartChecksums>,
}

/// Files at least this large are validated in parts on several threads; below it, one thread
/// reads the file once for both validation and hashing.
pub const PARALLEL_MIN_BYTES: u64 = 32 << 20;

/// Reads `path` with the core reader, expecting `kind`: counts rows, rejects and titles, keeps
/// the first `max_errors` bad rows, hashes the bytes. Only a wrong header or an I/O error is an
/// `Err`; the verdict on bad rows is [`plan`]'s.
///
/// A large file ([`PARALLEL_MIN_BYTES`]) is split at line ends into one part per core, each read
/// by its own thread, while another thread hashes the whole file: validation must finish before
/// the upload starts, so its time is the command's. The result is the same as one sequential
/// read: errors keep their file line numbers and order, titles are counted once across parts.
pub fn validate(
    path: &FsPath,
    kind: RawKind,
    max_errors: usize,
) -> Result<Validation, IngestError> {
    validate_with(path, kind, max_errors, None)
}

/// [`validate`] for a file about to be uploaded to S3 with parts of `part_size` bytes (the
/// configured size; [`UploadOptions::part_size`]): the hashing pass also computes each part's
/// SHA-256, which the upload sends so that nothing is hashed twice.
pub fn validate_for_upload(
    path: &FsPath,
    kind: RawKind,
    max_errors: usize,
    part_size: usize,
) -> Result<Validation, IngestError> {
    validate_with(path, kind, max_errors, Some(part_size))
}

fn validate_with(
    path: &FsPath,
    kind: RawKind,
    max_errors: usize,
    part_size: Option<usize>,
) -> Result<Validation, IngestError> {
    let size = std::fs::metadata(path)
        .map_err(|source| open_error(path, source))?
        .len();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let parts = if size < PARALLEL_MIN_BYTES {
        1
    } else {
        threads
    };
    // Only a multipart upload has parts; a smaller file goes up in one PUT.
    let part_size = part_size
        .filter(|&configured| size > configured as u64)
        .map(|configured| effective_part_size(configured, size) as u64);
    validate_in_parts(path, kind, max_errors, parts, part_size)
}

/// [`validate`] with the number of parts chosen by the caller (1: one thread, no split), and
/// the checksums of the upload's `upload_part_size`-byte parts when given.
fn validate_in_parts(
    path: &FsPath,
    kind: RawKind,
    max_errors: usize,
    parts: usize,
    upload_part_size: Option<u64>,
) -> Result<Validation, IngestError> {
    let open = || std::fs::File::open(path).map_err(|source| open_error(path, source));
    let file = open()?;
    let size = file
        .metadata()
        .map_err(|source| open_error(path, source))?
        .len();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let max_errors = max_errors.max(1);

    let ((digest, part_checksums), parts) = if parts <= 1 {
        let mut hashing = match upload_part_size {
            Some(size) => HashingReader::with_parts(file, size),
            None => HashingReader::new(file),
        };
        let part = validate_part(&mut hashing, &name, kind, true, max_errors)?;
        (hashing.finish_with_parts(), vec![part])
    } else {
        let starts = part_starts(file, size, parts).map_err(|source| open_error(path, source))?;
        std::thread::scope(|scope| {
            let hashing = scope.spawn(|| digest_file_parts(path, upload_part_size));
            let readers: Vec<_> = starts
                .iter()
                .enumerate()
                .map(|(index, &start)| {
                    let end = starts.get(index + 1).copied().unwrap_or(size);
                    let (name, open) = (&name, &open);
                    scope.spawn(move || -> Result<Part, IngestError> {
                        let mut file = open()?;
                        file.seek(SeekFrom::Start(start))
                            .map_err(|source| open_error(path, source))?;
                        let input = BufReader::with_capacity(1 << 16, file).take(end - start);
                        validate_part(input, name, kind, index == 0, max_errors)
                    })
                })
                .collect();
            // Every thread is joined before an error is returned; a part's error wins over the
            // hash's, and the earliest part's over later ones, as in a sequential read.
            let results: Vec<_> = readers.into_iter().map(join).collect();
            let digest = join(hashing);
            let mut parts = Vec::with_capacity(results.len());
            let mut lines_before = 0;
            for result in results {
                match result {
                    Ok(part) => {
                        lines_before += part.lines;
                        parts.push(part);
                    }
                    // A read error names the part's line: make it the file's.
                    Err(IngestError::Raw(RawError::Io { file, line, source })) => {
                        return Err(IngestError::Raw(RawError::Io {
                            file,
                            line: line + lines_before,
                            source,
                        }));
                    }
                    Err(error) => return Err(error),
                }
            }
            Ok::<_, IngestError>((digest?, parts))
        })?
    };
    let mut validation = merge(path, kind, digest, parts, max_errors);
    validation.part_checksums = part_checksums;
    Ok(validation)
}

fn open_error(path: &FsPath, source: std::io::Error) -> IngestError {
    IngestError::Open {
        path: path.to_owned(),
        source,
    }
}

fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    // A validation thread panics only on a bug; carry the panic to the caller unchanged.
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Where each part of a file of `size` bytes starts: offset 0, then the first line start at or
/// after each `size * k / parts`. Parts that would start at the end of the file are dropped.
fn part_starts(file: std::fs::File, size: u64, parts: usize) -> std::io::Result<Vec<u64>> {
    let mut input = BufReader::with_capacity(1 << 16, file);
    let mut starts = vec![0];
    for k in 1..parts as u64 {
        let target = size * k / parts as u64;
        let last = *starts.last().unwrap_or(&0);
        if target <= last {
            continue;
        }
        // A line starts at `target` when the byte before it is a newline.
        input.seek(SeekFrom::Start(target - 1))?;
        let mut position = target - 1;
        let start = loop {
            let buf = input.fill_buf()?;
            if buf.is_empty() {
                break size;
            }
            if let Some(at) = memchr::memchr(b'\n', buf) {
                break position + at as u64 + 1;
            }
            let length = buf.len();
            input.consume(length);
            position += length as u64;
        };
        if start < size && start > last {
            starts.push(start);
        }
    }
    Ok(starts)
}

/// What one part of a file held.
struct Part {
    /// Lines in the part, blank ones included (and the header in the first part).
    lines: u64,
    rows: u64,
    rejected: u64,
    blank_lines: u64,
    /// The part's first rejected rows, numbered from the part's first line.
    errors: Vec<RowError>,
    ids: TitleIds,
}

/// Reads one part: the header first when `with_header`, else rows from the part's first line.
fn validate_part<R: Read>(
    input: R,
    name: &str,
    kind: RawKind,
    with_header: bool,
    max_errors: usize,
) -> Result<Part, IngestError> {
    let mut reader = if with_header {
        RawReader::new(input, name, &ReaderOptions { expect: Some(kind) })?
    } else {
        RawReader::headerless(input, name, kind)
    };
    let (mut rows, mut rejected) = (0u64, 0u64);
    let mut errors = Vec::new();
    let mut ids = TitleIds::default();
    // A title's rows (one per artist) come together: the set is asked only when the id changes,
    // which spares about four in five hash-set inserts.
    let mut previous_id = Vec::new();
    // Only the verdict and the id are needed here: `next_checked` applies every rule of
    // `next_row` without typing a good row's fields (a third less work per row).
    while let Some(row) = reader.next_checked() {
        rows += 1;
        match row? {
            Ok(id) => {
                if id != previous_id {
                    ids.insert(id);
                    previous_id.clear();
                    previous_id.extend_from_slice(id);
                }
            }
            Err(error) => {
                rejected += 1;
                if errors.len() < max_errors {
                    errors.push(error);
                }
            }
        }
    }
    Ok(Part {
        lines: reader.line(),
        rows,
        rejected,
        blank_lines: reader.blank_lines(),
        errors,
        ids,
    })
}

/// The parts' counts added up, their errors renumbered to file lines and kept in file order.
fn merge(
    path: &FsPath,
    kind: RawKind,
    digest: Digest,
    parts: Vec<Part>,
    max_errors: usize,
) -> Validation {
    let mut validation = Validation {
        path: path.to_owned(),
        kind,
        digest,
        rows: 0,
        rejected: 0,
        blank_lines: 0,
        titles: 0,
        errors: Vec::new(),
        part_checksums: None,
    };
    let mut lines_before = 0;
    let mut ids = TitleIds::default();
    for part in parts {
        validation.rows += part.rows;
        validation.rejected += part.rejected;
        validation.blank_lines += part.blank_lines;
        for mut error in part.errors {
            if validation.errors.len() < max_errors {
                error.line += lines_before;
                validation.errors.push(error);
            }
        }
        lines_before += part.lines;
        ids.extend(part.ids);
    }
    validation.titles = ids.count();
    validation
}

/// Distinct title ids. Ids are `tt` + digits, packed as (digit count, value) in a `u64` so that
/// their order is the ids' numeric order. A title's rows are contiguous and the files come sorted
/// by id (IMDb's exports and `cinelake gen` both are), so almost every new id is larger than the
/// last: those are kept as varint gaps (one byte per title for gaps under 128), the rest in a
/// vector sorted and deduplicated whenever it doubles. Counting merges the two. Memory is about a
/// byte per title for sorted input and at most 8–32 for shuffled input, where a hash set took ~35
/// (and its inserts, random accesses into a table bigger than the cache, 9 % of ingest's CPU).
/// Ids with more than 15 digits fall back to text.
struct TitleIds {
    /// Strictly increasing ids as varint gaps, the first one from zero.
    ascending: Vec<u8>,
    /// The first and the last id in `ascending`.
    first: Option<u64>,
    last: u64,
    /// Ids that came out of order (possibly repeating `ascending`'s).
    others: Vec<u64>,
    /// `others` is compacted when its length reaches this.
    compact_at: usize,
    text: HashSet<Box<[u8]>>,
}

/// The first compaction's length (8 MiB of ids); later ones at twice the compacted length.
const TITLE_IDS_FIRST_COMPACTION: usize = 1 << 20;

impl Default for TitleIds {
    fn default() -> Self {
        TitleIds::compacting_at(TITLE_IDS_FIRST_COMPACTION)
    }
}

impl TitleIds {
    fn compacting_at(first: usize) -> Self {
        TitleIds {
            ascending: Vec::new(),
            first: None,
            last: 0,
            others: Vec::new(),
            compact_at: first.max(1),
            text: HashSet::new(),
        }
    }

    fn insert(&mut self, id: &[u8]) {
        let digits = id.strip_prefix(b"tt").unwrap_or(id);
        // 10^15 < 2^50: the digit count fits above the value, so "tt01" and "tt1" differ.
        if (1..=15).contains(&digits.len()) && digits.iter().all(u8::is_ascii_digit) {
            let value = digits
                .iter()
                .fold(0u64, |value, &d| value * 10 + u64::from(d - b'0'));
            self.insert_packed(((digits.len() as u64) << 56) | value);
        } else {
            self.text.insert(id.into());
        }
    }

    fn insert_packed(&mut self, id: u64) {
        match self.first {
            None => {
                self.first = Some(id);
                push_varint(&mut self.ascending, id);
                self.last = id;
            }
            Some(_) if id > self.last => {
                push_varint(&mut self.ascending, id - self.last);
                self.last = id;
            }
            Some(_) if id == self.last => {}
            Some(_) => {
                self.others.push(id);
                if self.others.len() >= self.compact_at {
                    self.compact();
                }
            }
        }
    }

    fn compact(&mut self) {
        self.others.sort_unstable();
        self.others.dedup();
        self.compact_at = self.compact_at.max(self.others.len() * 2);
    }

    /// The ascending ids, decoded.
    fn ascending(&self) -> impl Iterator<Item = u64> + '_ {
        let mut bytes = self.ascending.as_slice();
        let mut id = 0u64;
        std::iter::from_fn(move || {
            let gap = pop_varint(&mut bytes)?;
            id += gap;
            Some(id)
        })
    }

    /// The number of distinct ids.
    fn count(mut self) -> u64 {
        self.compact();
        // Both lists are sorted and duplicate-free: count their union in one merge.
        let mut others = self.others.iter().peekable();
        let mut union = 0u64;
        for id in self.ascending() {
            while others.next_if(|&&other| other < id).is_some() {
                union += 1;
            }
            others.next_if(|&&other| other == id);
            union += 1;
        }
        union + others.count() as u64 + self.text.len() as u64
    }

    /// Adds the ids of the part that follows this one in the file.
    fn extend(&mut self, other: TitleIds) {
        match (self.first, other.first) {
            // The usual case: the next part's ids continue the ascending run (its first id may be
            // this part's last, a title whose rows straddle the split).
            (Some(_), Some(first)) if first >= self.last => {
                let mut ids = other.ascending();
                if let Some(head) = ids.next() {
                    self.insert_packed(head);
                }
                // The rest of the gaps are unchanged: copy them as they are.
                let head_bytes = varint_len(first);
                self.ascending
                    .extend_from_slice(&other.ascending[head_bytes..]);
                self.last = self.last.max(other.last);
            }
            (None, Some(_)) => {
                self.ascending = other.ascending;
                self.first = other.first;
                self.last = other.last;
            }
            (Some(_), Some(_)) => {
                let ids: Vec<u64> = other.ascending().collect();
                ids.into_iter().for_each(|id| self.others.push(id));
            }
            (_, None) => {}
        }
        self.others.extend(other.others);
        self.text.extend(other.text);
        if self.others.len() >= self.compact_at {
            self.compact();
        }
    }
}

fn push_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn pop_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (index, &byte) in bytes.iter().enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * index);
        if byte < 0x80 {
            *bytes = &bytes[index + 1..];
            return Some(value);
        }
    }
    None
}

fn varint_len(mut value: u64) -> usize {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
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
            part_checksums: v.part_checksums.clone(),
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

    /// The real sample's rows, repeated, with bad rows, blank lines and CRLF endings mixed in.
    fn messy_movies() -> Vec<u8> {
        let sample = include_str!("../../../testdata/samples/movies_sample_100.csv");
        let mut lines = sample.lines();
        let mut out = format!("{}\n", lines.next().unwrap_or_default()).into_bytes();
        let rows: Vec<&str> = lines.collect();
        for round in 0..40 {
            for (index, row) in rows.iter().enumerate() {
                let line = match (round * 7 + index) % 53 {
                    0 => row.replacen('|', ",", 1), // too few columns
                    1 => row.replace(".", ","),     // a rating that is not a number
                    2 => String::new(),             // a blank line
                    _ => (*row).to_string(),
                };
                out.extend_from_slice(line.as_bytes());
                out.extend_from_slice(if index % 3 == 0 { b"\r\n" } else { b"\n" });
            }
        }
        out.extend_from_slice(rows[0].as_bytes()); // a last line without its newline
        out
    }

    /// A file holding `bytes` in a folder of its own, removed when the returned guard drops.
    struct TempFile {
        dir: PathBuf,
        path: PathBuf,
    }

    impl TempFile {
        fn new(test: &str, name: &str, bytes: &[u8]) -> TempFile {
            let dir = std::env::temp_dir().join(format!("cinelake-{test}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            TempFile { dir, path }
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    #[test]
    fn validation_in_parts_equals_one_sequential_read() {
        let file = TempFile::new("parts", "movies.csv", &messy_movies());
        let path = &file.path;
        let one = validate_in_parts(path, RawKind::Movies, 1000, 1, None).unwrap();
        assert!(one.rejected > 50 && one.blank_lines > 20, "{one:?}");
        assert_eq!(one.titles, 25);
        for parts in [2, 3, 5, 8, 64] {
            let split = validate_in_parts(path, RawKind::Movies, 1000, parts, None).unwrap();
            assert_eq!(split.digest, one.digest, "{parts} parts");
            assert_eq!(
                (split.rows, split.rejected, split.blank_lines, split.titles),
                (one.rows, one.rejected, one.blank_lines, one.titles),
                "{parts} parts"
            );
            assert_eq!(
                split.errors, one.errors,
                "{parts} parts: same lines, same order"
            );
        }
        // The cap keeps the file's first errors, whichever part they were found in.
        let capped = validate_in_parts(path, RawKind::Movies, 7, 5, None).unwrap();
        assert_eq!(capped.errors, one.errors[..7]);
        assert_eq!(capped.rejected, one.rejected);
    }

    #[test]
    fn validation_computes_the_upload_parts_checksums() {
        use sha2::{Digest as _, Sha256};
        let bytes = messy_movies();
        let file = TempFile::new("part-sums", "movies.csv", &bytes);
        // Parts of 1000 bytes: many, the last one shorter.
        let expected: Vec<[u8; 32]> = bytes
            .chunks(1000)
            .map(|chunk| Sha256::digest(chunk).into())
            .collect();
        assert!(!bytes.len().is_multiple_of(1000) && expected.len() > 10);
        for parts in [1, 3] {
            let validation =
                validate_in_parts(&file.path, RawKind::Movies, 10, parts, Some(1000)).unwrap();
            let sums = validation.part_checksums.expect("asked for");
            assert_eq!(
                (sums.part_size, &sums.sha256),
                (1000, &expected),
                "{parts} parts"
            );
        }
        // Not asked for, or a file that fits in one PUT: none.
        let plain = validate(&file.path, RawKind::Movies, 10).unwrap();
        assert_eq!(plain.part_checksums, None);
        let single = validate_for_upload(&file.path, RawKind::Movies, 10, 5 << 20).unwrap();
        assert_eq!(single.part_checksums, None);
        assert_eq!(single.digest, plain.digest);
    }

    #[test]
    fn validation_in_parts_reports_a_wrong_header_like_one_read() {
        let file = TempFile::new("parts-header", "series.csv", &messy_movies());
        for parts in [1, 4] {
            let error =
                validate_in_parts(&file.path, RawKind::Series, 10, parts, None).unwrap_err();
            assert!(
                error.to_string().contains("wrong header")
                    && error.to_string().contains("(a movies header)"),
                "{parts} parts: {error}"
            );
        }
    }

    #[test]
    fn part_starts_are_line_starts() {
        // Lines start at 0, 7, 10 (an empty line), 11 and 18 (the last, with no newline).
        let bytes = b"header\nab\n\ncdefgh\ni";
        let file = TempFile::new("starts", "lines.txt", bytes);
        let size = bytes.len() as u64;
        let starts =
            |parts| part_starts(std::fs::File::open(&file.path).unwrap(), size, parts).unwrap();
        assert_eq!(starts(1), vec![0]);
        // 19 / 2 = 9 is inside "ab\n": the next line starts at 10.
        assert_eq!(starts(2), vec![0, 10]);
        // 6 → the header's newline is byte 6, so 7; 12 → the line after "cdefgh", 18.
        assert_eq!(starts(3), vec![0, 7, 18]);
        // More parts than lines: every line start at most once, in order.
        assert_eq!(starts(19), vec![0, 7, 10, 11, 18]);
    }

    #[test]
    fn title_ids_count_distinct_ids_exactly() {
        let check = |ids: &[&str], expected: u64| {
            // Compacting at every size, never, and every few ids: the same count.
            for first in [1, 3, usize::MAX] {
                let mut set = TitleIds::compacting_at(first);
                ids.iter().for_each(|id| set.insert(id.as_bytes()));
                assert_eq!(
                    set.count(),
                    expected,
                    "{ids:?}, first compaction at {first}"
                );
            }
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
        // The longest packed id, and the shortest that falls back to text.
        check(
            &[
                "tt999999999999999",
                "tt0999999999999999",
                "tt999999999999999",
            ],
            2,
        );
        // Interleaved repeats across compactions, and parts merged.
        let ids: Vec<String> = (0..1000)
            .map(|i| format!("tt{:07}", (i * 7) % 300))
            .collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        check(&refs, 300);
        let (mut first, mut second) = (TitleIds::compacting_at(50), TitleIds::compacting_at(7));
        refs[..600]
            .iter()
            .for_each(|id| first.insert(id.as_bytes()));
        refs[400..]
            .iter()
            .for_each(|id| second.insert(id.as_bytes()));
        first.extend(second);
        assert_eq!(first.count(), 300);
    }

    #[test]
    fn sorted_title_ids_take_about_a_byte_each() {
        let mut ids = TitleIds::default();
        for i in 0..100_000u32 {
            // Each title's rows together, ids ascending with gaps of 3, as in IMDb's exports.
            for _ in 0..4 {
                ids.insert(format!("tt{:07}", i * 3).as_bytes());
            }
        }
        // One byte per gap, and nine for the first id (its digit count sits in the top bits).
        assert_eq!(ids.ascending.len(), 99_999 + 9);
        assert!(ids.others.is_empty());
        assert_eq!(ids.count(), 100_000);
    }

    proptest::proptest! {
        /// Any ids, in any order, split into consecutive parts at any points: the count is the
        /// number of distinct ids.
        #[test]
        fn title_ids_count_like_a_set(
            ids in proptest::collection::vec(0u64..400, 0..600),
            sorted in proptest::bool::ANY,
            cuts in proptest::collection::vec(0usize..600, 0..4),
            first_compaction in 1usize..40,
        ) {
            let mut ids: Vec<String> = ids.iter().map(|i| format!("tt{i:04}")).collect();
            if sorted {
                ids.sort();
            }
            let expected = ids.iter().collect::<HashSet<_>>().len() as u64;
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(ids.len())).collect();
            cuts.sort_unstable();
            let mut bounds = vec![0];
            bounds.extend(cuts);
            bounds.push(ids.len());
            let mut whole = TitleIds::compacting_at(first_compaction);
            for range in bounds.windows(2) {
                let mut part = TitleIds::compacting_at(first_compaction);
                ids[range[0]..range[1]].iter().for_each(|id| part.insert(id.as_bytes()));
                whole.extend(part);
            }
            proptest::prop_assert_eq!(whole.count(), expected);
        }
    }
}
