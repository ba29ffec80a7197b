//! Typing one raw line: splitting on `|` and the per-column rules of the module docs' table.
//!
//! Each rule works on the field's bytes and returns the reason text on failure; [`parse_row`]
//! adds the file, line and column. [`row_passes`] applies the same rules without building a row
//! or any message, for a caller that only needs the verdict (ingest's validation).

use std::borrow::Cow;
use std::ops::{Index, Range, RangeFrom};
use std::sync::Arc;

use super::{ARTIST_YEAR_MAX, ARTIST_YEAR_MIN, Artist, NULL, RawKind, RawRow, RowError};
use crate::title::{Rating, Year};

/// A comma-separated list field (`genero`, `profissao`, `titulosMaisConhecidos`), borrowed from
/// the line; the empty list when the field is null. Its items were checked to be non-empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct List<'a>(&'a str);

impl<'a> List<'a> {
    /// The list as written (`Action,Adventure`), `""` when null.
    pub fn as_str(self) -> &'a str {
        self.0
    }

    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }

    /// The items, in the file's order.
    pub fn iter(self) -> impl Iterator<Item = &'a str> {
        // `split` on "" would yield one empty item.
        (!self.0.is_empty())
            .then(|| self.0.split(','))
            .into_iter()
            .flatten()
    }

    pub fn len(self) -> usize {
        if self.0.is_empty() {
            0
        } else {
            self.0.bytes().filter(|&b| b == b',').count() + 1
        }
    }

    pub fn contains(self, item: &str) -> bool {
        self.iter().any(|i| i == item)
    }

    /// The items as owned strings.
    pub fn to_vec(self) -> Vec<String> {
        self.iter().map(str::to_string).collect()
    }
}

/// Column positions within a row, for either kind (series have `anoTermino` at 4).
struct Columns {
    names: &'static [&'static str],
    /// Added to every movies index after `anoLancamento`.
    shift: usize,
}

impl Columns {
    fn of(kind: RawKind) -> Columns {
        Columns {
            names: kind.columns(),
            shift: usize::from(kind == RawKind::Series),
        }
    }

    /// The position of movies column `index`, or of `anoTermino` when `index` is `None`.
    fn at(&self, movies_index: usize) -> usize {
        if movies_index <= 3 {
            movies_index
        } else {
            movies_index + self.shift
        }
    }
}

pub(super) fn parse_row<'a>(
    bytes: &'a [u8],
    line: u64,
    kind: RawKind,
    file: &Arc<str>,
) -> Result<RawRow<'a>, RowError> {
    let columns = Columns::of(kind);
    let fail = |column: Option<&'static str>, reason: String| RowError {
        file: file.clone(),
        line,
        column,
        reason,
    };
    // simdutf8's basic check is several times faster than std's on these short, mostly ASCII lines
    // (std validates a word at a time); only a failure asks std where the bad byte is.
    let text = match simdutf8::basic::from_utf8(bytes).or_else(|_| std::str::from_utf8(bytes)) {
        Ok(text) => text,
        Err(error) => {
            let at = error.valid_up_to();
            let index = bytes[..at].iter().filter(|&&b| b == b'|').count();
            return Err(fail(
                columns.names.get(index).copied(),
                format!("invalid UTF-8 at byte {} of the line", at + 1),
            ));
        }
    };

    let mut fields = [""; 16];
    let count = split_bars(text, &mut fields);
    if count != columns.names.len() {
        return Err(fail(
            None,
            format!(
                "expected {} columns separated by | but found {count}",
                columns.names.len()
            ),
        ));
    }

    // Checks movies column `index` with `rule`, naming the column on failure, and gives the
    // rule's value.
    macro_rules! field {
        ($index:expr, $rule:expr) => {{
            let at = columns.at($index);
            $rule(fields[at].as_bytes()).map_err(|reason| fail(Some(columns.names[at]), reason))?
        }};
    }
    field!(0, title_id);
    let id = fields[0];
    field!(1, required_text);
    let title = fields[1];
    let original_title = nullable(fields[2]);
    let year = field!(3, title_year);
    let end_year = match kind {
        RawKind::Movies => None,
        RawKind::Series => {
            title_year(fields[4].as_bytes()).map_err(|reason| fail(Some("anoTermino"), reason))?
        }
    };
    let runtime_minutes = field!(4, whole::<u32>);
    field!(5, genre_list);
    let genres = List::of(fields[columns.at(5)]);
    let rating = field!(6, rating);
    let votes = field!(7, whole::<u64>);
    let category = nullable(fields[columns.at(8)]);
    let character = nullable(fields[columns.at(9)]);
    let name = nullable(fields[columns.at(10)]);
    let birth_year = field!(11, artist_year);
    let death_year = field!(12, artist_year);
    field!(13, plain_list);
    let professions = List::of(fields[columns.at(13)]);
    field!(14, title_id_list);
    let known_for = List::of(fields[columns.at(14)]);
    Ok(RawRow {
        line,
        id,
        title,
        original_title,
        year,
        end_year,
        runtime_minutes,
        genres,
        rating,
        votes,
        artist: Artist {
            category,
            character,
            name,
            birth_year,
            death_year,
            professions,
            known_for,
        },
    })
}

/// Whether `line`, known to be valid UTF-8, passes every rule [`parse_row`] applies, and if so
/// its title id: the same rules, without building the row or any message. A caller that gets
/// `None` asks [`parse_row`] for the reason.
pub(super) fn row_passes(line: &[u8], kind: RawKind) -> Option<&[u8]> {
    let columns = Columns::of(kind);
    let mut fields: [&[u8]; 16] = [&[]; 16];
    if split_bars(line, &mut fields) != columns.names.len() {
        return None;
    }
    let field = |index: usize| fields[columns.at(index)];
    let passes = title_id(field(0)).is_ok()
        && required_text(field(1)).is_ok()
        && title_year(field(3)).is_ok()
        && (kind == RawKind::Movies || title_year(fields[4]).is_ok())
        && whole::<u32>(field(4)).is_ok()
        && genre_list(field(5)).is_ok()
        && rating(field(6)).is_ok()
        && whole::<u64>(field(7)).is_ok()
        && artist_year(field(11)).is_ok()
        && artist_year(field(12)).is_ok()
        && plain_list(field(13)).is_ok()
        && title_id_list(field(14)).is_ok();
    passes.then_some(fields[0])
}

/// Splits `line` on `|` into `fields` (the first 16 fields; the rest are only counted) and
/// returns the number of fields.
///
/// Eight bytes at a time (SWAR): a line has about fifteen short fields, and a `memchr` call per
/// field (a dispatched SIMD routine) cost a quarter of the reader's time; `str::split` was slower
/// still. A `|` is ASCII, so every cut of a `str` is a char boundary. Generic so that
/// [`parse_row`] splits text and [`row_passes`] bytes with the same code.
fn split_bars<'a, T>(line: &'a T, fields: &mut [&'a T; 16]) -> usize
where
    T: AsRef<[u8]> + Index<Range<usize>, Output = T> + Index<RangeFrom<usize>, Output = T> + ?Sized,
{
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let bytes = line.as_ref();
    let mut count = 0;
    let mut from = 0;
    let mut cut = |at: usize, count: &mut usize| {
        if let Some(slot) = fields.get_mut(*count) {
            *slot = &line[from..at];
        }
        *count += 1;
        from = at + 1;
    };
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    for (index, word) in words.enumerate() {
        let mut word_bytes = [0u8; 8];
        word_bytes.copy_from_slice(word);
        let x = u64::from_le_bytes(word_bytes) ^ (ONES * u64::from(b'|'));
        // The high bit of each byte of `bars` is set exactly where `x` has a zero byte, i.e.
        // where the line has a `|` (no false positives: no carry crosses a byte).
        let mut bars = !(((x & LOW7) + LOW7) | x | LOW7);
        while bars != 0 {
            cut(index * 8 + (bars.trailing_zeros() / 8) as usize, &mut count);
            bars &= bars - 1;
        }
    }
    let tail_start = bytes.len() - tail.len();
    for (offset, &byte) in tail.iter().enumerate() {
        if byte == b'|' {
            cut(tail_start + offset, &mut count);
        }
    }
    if let Some(slot) = fields.get_mut(count) {
        *slot = &line[from..];
    }
    count + 1
}

fn nullable(field: &str) -> Option<&str> {
    (field != NULL).then_some(field)
}

impl<'a> List<'a> {
    /// A list field that passed its rule: empty when null.
    fn of(field: &'a str) -> List<'a> {
        List(if field == NULL { "" } else { field })
    }
}

/// Builds a rejection's reason off the hot path: the rules run on every field of every row and
/// stay small enough to inline, and the formatting code sits apart from them.
#[cold]
#[inline(never)]
fn cold(reason: impl FnOnce() -> String) -> String {
    reason()
}

/// The field as text for a message: every field [`parse_row`] reports was checked to be UTF-8,
/// so this copies nothing and replaces nothing there.
fn text(field: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(field)
}

#[inline]
fn is_null(field: &[u8]) -> bool {
    field == NULL.as_bytes()
}

/// `tt` followed by one or more ASCII digits (as [`crate::extract::is_title_id`] on text).
#[inline]
fn is_title_id(field: &[u8]) -> bool {
    field
        .strip_prefix(b"tt")
        .is_some_and(|digits| !digits.is_empty() && digits.iter().all(u8::is_ascii_digit))
}

#[inline]
fn title_id(field: &[u8]) -> Result<(), String> {
    if is_title_id(field) {
        Ok(())
    } else {
        Err(cold(|| {
            format!(
                "{:?} is not an IMDb title id (tt followed by digits)",
                text(field)
            )
        }))
    }
}

#[inline]
fn required_text(field: &[u8]) -> Result<(), String> {
    if field.is_empty() {
        Err(cold(|| "is empty but a title is required".to_string()))
    } else if is_null(field) {
        Err(cold(|| "is null (\\N) but a title is required".to_string()))
    } else {
        Ok(())
    }
}

/// One or more ASCII digits fitting `T`.
#[inline]
pub(super) fn whole<T: TryFrom<u64>>(field: &[u8]) -> Result<Option<T>, String> {
    if is_null(field) {
        return Ok(None);
    }
    // One pass accumulating the value; `str::parse` would scan the digits a second time.
    let mut value: u64 = 0;
    let mut overflow = false;
    for &b in field {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return Err(cold(|| format!("{:?} is not a whole number", text(field))));
        }
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
    }
    if field.is_empty() {
        return Err(cold(|| format!("{:?} is not a whole number", text(field))));
    }
    match T::try_from(value) {
        Ok(value) if !overflow => Ok(Some(value)),
        _ => Err(cold(|| format!("{:?} is too large", text(field)))),
    }
}

#[inline]
fn title_year(field: &[u8]) -> Result<Option<Year>, String> {
    match whole::<u32>(field)? {
        None => Ok(None),
        Some(value) => u16::try_from(value)
            .ok()
            .and_then(Year::new)
            .map(Some)
            .ok_or_else(|| {
                cold(|| {
                    format!(
                        "{:?} is not a year between {} and {}",
                        text(field),
                        Year::MIN,
                        Year::MAX
                    )
                })
            }),
    }
}

#[inline]
fn artist_year(field: &[u8]) -> Result<Option<u16>, String> {
    match whole::<u32>(field)? {
        None => Ok(None),
        Some(value) => u16::try_from(value)
            .ok()
            .filter(|y| (ARTIST_YEAR_MIN..=ARTIST_YEAR_MAX).contains(y))
            .map(Some)
            .ok_or_else(|| {
                cold(|| {
                    format!(
                        "{:?} is not a year between {ARTIST_YEAR_MIN} and {ARTIST_YEAR_MAX}",
                        text(field)
                    )
                })
            }),
    }
}

#[inline]
fn rating(field: &[u8]) -> Result<Option<Rating>, String> {
    if is_null(field) {
        return Ok(None);
    }
    if let Some(rating) = Rating::parse_ascii(field) {
        return Ok(Some(rating));
    }
    let numeric = !field.is_empty()
        && field.iter().all(|&b| b.is_ascii_digit() || b == b'.')
        && field.iter().filter(|&&b| b == b'.').count() <= 1
        && !field.starts_with(b".")
        && !field.ends_with(b".");
    if numeric {
        Err(cold(|| {
            format!(
                "{:?} is not a rating between 1.0 and 10.0 with at most one decimal",
                text(field)
            )
        }))
    } else {
        Err(cold(|| format!("{:?} is not a number", text(field))))
    }
}

/// The number of items of a comma-separated list, or `None` when an item is empty. One pass over
/// the bytes without a branch per byte (the lists are short, and a branch on each comma was
/// mispredicted on every item): an item is empty exactly when the list is empty, starts or ends
/// with a comma, or has two commas in a row.
#[inline]
fn count_items(field: &[u8]) -> Option<usize> {
    let (Some(&first), Some(&last)) = (field.first(), field.last()) else {
        return None;
    };
    let mut commas = 0usize;
    let mut adjacent = false;
    let mut previous_comma = false;
    for &b in field {
        let comma = b == b',';
        commas += usize::from(comma);
        adjacent |= comma & previous_comma;
        previous_comma = comma;
    }
    (first != b',' && last != b',' && !adjacent).then_some(commas + 1)
}

/// A checked list's item count (0 when null).
#[inline]
fn list_items(field: &[u8], what: &str) -> Result<usize, String> {
    if is_null(field) {
        return Ok(0);
    }
    count_items(field).ok_or_else(|| cold(|| format!("{:?} has an empty {what}", text(field))))
}

#[inline]
fn genre_list(field: &[u8]) -> Result<(), String> {
    let count = list_items(field, "genre")?;
    if count > 3 {
        return Err(cold(|| {
            format!(
                "{:?} has {count} genres; at most 3 are allowed",
                text(field)
            )
        }));
    }
    Ok(())
}

#[inline]
fn plain_list(field: &[u8]) -> Result<(), String> {
    list_items(field, "item").map(|_| ())
}

#[inline]
fn title_id_list(field: &[u8]) -> Result<(), String> {
    if is_null(field) {
        return Ok(());
    }
    // One pass: an empty item fails `all_title_ids` too, so the list needs no separate count.
    if all_title_ids(field) {
        return Ok(());
    }
    // The slow path only names the culprit, with the same words as the other lists.
    list_items(field, "title id")?;
    let bad = field
        .split(|&b| b == b',')
        .find(|id| !is_title_id(id))
        .unwrap_or(field);
    Err(cold(|| {
        format!(
            "{:?} lists {:?}, not an IMDb title id",
            text(field),
            text(bad)
        )
    }))
}

/// Whether a non-empty comma-separated list holds only `tt` + digits items, in one pass.
#[inline]
fn all_title_ids(bytes: &[u8]) -> bool {
    let mut at = 0;
    loop {
        if bytes.get(at) != Some(&b't') || bytes.get(at + 1) != Some(&b't') {
            return false;
        }
        at += 2;
        let digits = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if digits == 0 {
            return false;
        }
        at += digits;
        match bytes.get(at) {
            None => return true,
            Some(b',') => at += 1,
            Some(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::split_bars;

    fn reference(line: &str) -> (usize, Vec<&str>) {
        let all: Vec<&str> = line.split('|').collect();
        (all.len(), all.into_iter().take(16).collect())
    }

    #[test]
    fn split_bars_cuts_at_every_bar_in_and_across_words() {
        for line in [
            "",
            "|",
            "||||||||",
            "a|b",
            "abcdefg|",
            "abcdefgh|ijklmnop|",
            "ção|日本|🎬|x",
            "tt1|a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q|r",
        ] {
            let mut fields = [""; 16];
            let count = split_bars(line, &mut fields);
            let (expected_count, expected) = reference(line);
            assert_eq!(count, expected_count, "{line:?}");
            assert_eq!(&fields[..expected.len()], &expected[..], "{line:?}");
        }
    }

    proptest! {
        #[test]
        fn count_items_counts_like_split_and_refuses_empty_items(field in "[a,]{0,12}") {
            let items: Vec<&str> = field.split(',').collect();
            let expected = (!items.iter().any(|item| item.is_empty())).then_some(items.len());
            prop_assert_eq!(super::count_items(field.as_bytes()), expected);
        }

        #[test]
        fn split_bars_equals_str_split(line in "[a-z|\\\\N,.0-9çã日🎬 ]{0,120}") {
            let mut fields = [""; 16];
            let count = split_bars(line.as_str(), &mut fields);
            let (expected_count, expected) = reference(&line);
            prop_assert_eq!(count, expected_count);
            prop_assert_eq!(&fields[..expected.len()], &expected[..]);
        }
    }
}
