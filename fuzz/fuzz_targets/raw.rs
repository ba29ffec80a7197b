//! Fuzzes the raw reader (`cinelake_core::raw::check`) on both kinds, strict and lenient.
//!
//! The first input byte picks the set-up, the rest is the file:
//! - bits 0–1: prepend nothing, the movies header + LF, the series header + CRLF, or nothing, so
//!   most inputs get past the header and exercise the row parser;
//! - bit 2: strict or lenient;
//! - bits 3–4: expect any kind, movies, series, or any kind;
//! - bits 5–7: the size of the reads the input hands out (1, 2, 3, 7, 64, 4096 bytes or all at
//!   once), to exercise the buffer's refills and line joins.
//!
//! Invariants, besides "never panics": reading in small pieces gives exactly what reading at once
//! gives; the counts add up (rows = accepted + rejected, errors kept = min(rejected, cap), titles
//! ≤ accepted rows, rows + blank lines ≤ lines); error lines are increasing and within the file;
//! the verdict follows the mode; every folded title either round-trips through the dashboard
//! extract or is refused by its writer with a reason; `RawReader::next_checked` (ingest's
//! verdict-only path) accepts and rejects exactly the rows `next_row` does, with the same errors.
#![no_main]

use std::io::{self, Read};

use cinelake_core::extract::{ExtractError, ExtractReader, ExtractWriter};
use cinelake_core::raw::{
    CheckOptions, MOVIES_HEADER, Mode, RawError, RawKind, RawReader, RawSummary, ReaderOptions,
    SERIES_HEADER, check,
};
use libfuzzer_sys::fuzz_target;

/// Hands out the input `piece` bytes at a time.
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

/// Reads the input twice, typing every row and asking only for verdicts, and asserts they agree.
fn assert_checked_agrees(input: &[u8], piece: usize, expect: Option<RawKind>) {
    let open = || {
        RawReader::new(
            Pieces { data: input, piece },
            "fuzz.csv",
            &ReaderOptions { expect },
        )
    };
    let (Ok(mut typed), Ok(mut checked)) = (open(), open()) else {
        return;
    };
    loop {
        match (typed.next_row(), checked.next_checked()) {
            (None, None) => break,
            (Some(Ok(Ok(row))), Some(Ok(Ok(id)))) => assert_eq!(row.id.as_bytes(), id),
            (Some(Ok(Err(a))), Some(Ok(Err(b)))) => assert_eq!(a, b),
            (a, b) => panic!(
                "next_row and next_checked disagree: {:?} vs {:?}",
                a.map(|r| r.map(|r| r.map(|row| row.line))),
                b.map(|r| r.map(|r| r.map(<[u8]>::to_vec)))
            ),
        }
    }
    assert_eq!(typed.line(), checked.line());
    assert_eq!(typed.blank_lines(), checked.blank_lines());
}

/// Everything a summary says, as comparable text.
fn describe(result: &Result<RawSummary, RawError>) -> String {
    match result {
        Err(error) => format!("error: {error}"),
        Ok(s) => format!(
            "{:?} rows {} rejected {} blank {} errors {:?} titles {:?} disagreements {} {:?}",
            s.kind,
            s.rows,
            s.rejected,
            s.blank_lines,
            s.errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            s.folded.titles,
            s.folded.disagreement_count,
            s.folded
                .disagreements
                .iter()
                .map(|d| format!("{d:?}"))
                .collect::<Vec<_>>(),
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, body)) = data.split_first() else {
        return;
    };
    let mut input = Vec::with_capacity(body.len() + 200);
    match control & 0b11 {
        1 => {
            input.extend_from_slice(MOVIES_HEADER.join("|").as_bytes());
            input.push(b'\n');
        }
        2 => {
            input.extend_from_slice(SERIES_HEADER.join("|").as_bytes());
            input.extend_from_slice(b"\r\n");
        }
        _ => {}
    }
    input.extend_from_slice(body);
    let mode = if control & 0b100 == 0 {
        Mode::Strict
    } else {
        Mode::Lenient
    };
    let expect = match (control >> 3) & 0b11 {
        1 => Some(RawKind::Movies),
        2 => Some(RawKind::Series),
        _ => None,
    };
    let piece = [1, 2, 3, 7, 64, 4096, usize::MAX, usize::MAX][usize::from(control >> 5)];
    let options = CheckOptions {
        mode,
        expect,
        max_errors: 3,
        max_disagreements: 3,
    };

    let at_once = check(&input[..], "fuzz.csv", &options);
    let in_pieces = check(
        Pieces {
            data: &input,
            piece,
        },
        "fuzz.csv",
        &options,
    );
    assert_eq!(describe(&at_once), describe(&in_pieces), "piece {piece}");
    assert_checked_agrees(&input, piece, expect);

    let summary = match at_once {
        Ok(summary) => summary,
        Err(RawError::Io { .. }) => panic!("reading a slice cannot fail"),
        Err(error) => {
            assert!(!error.to_string().is_empty());
            return;
        }
    };
    if let Some(kind) = expect {
        assert_eq!(summary.kind, kind);
    }
    let lines = input.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    assert!(summary.rejected <= summary.rows);
    assert!(1 + summary.rows + summary.blank_lines <= lines);
    assert_eq!(
        summary.errors.len() as u64,
        summary.rejected.min(options.max_errors as u64)
    );
    assert!(summary.folded.titles.len() as u64 <= summary.accepted());
    assert!(summary.folded.disagreements.len() as u64 <= summary.folded.disagreement_count);
    let mut previous = 1;
    for error in &summary.errors {
        assert!(error.line > previous && error.line <= lines, "{error}");
        previous = error.line;
        assert!(error.to_string().starts_with("fuzz.csv:"));
    }
    match mode {
        Mode::Lenient => assert!(summary.verdict().is_ok()),
        Mode::Strict => assert_eq!(summary.verdict().is_ok(), summary.rejected == 0),
    }

    for title in &summary.folded.titles {
        assert!(title.id.starts_with("tt"));
        assert!(!title.title.is_empty());
        assert!(title.genres.len() <= 3);
        let mut writer = ExtractWriter::new(Vec::new()).expect("writing to memory");
        match writer.write(title) {
            Err(ExtractError::InvalidTitle { .. }) => continue,
            Err(error) => panic!("writing to memory failed: {error}"),
            Ok(()) => {}
        }
        let bytes = writer.finish().expect("flushing to memory");
        let (read, errors) = ExtractReader::new(&bytes[..])
            .expect("the writer's header")
            .read_all();
        assert_eq!(errors, [], "{title:?}");
        assert_eq!(read, [title.clone()]);
    }
});
