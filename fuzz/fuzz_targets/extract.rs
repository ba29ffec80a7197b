//! Fuzzes the dashboard extract reader (`cinelake_core::extract`), the parser the dashboard runs
//! on any file a `?data=` URL or a drop hands it.
//!
//! The first input byte picks how the input is handed out (bits 0–2: 1, 2, 3, 7, 64, 4096 bytes a
//! read or all at once) and whether the extract's header is prepended (bit 3), so most inputs
//! reach the row parser; the rest is the file.
//!
//! Invariants, besides "never panics": reading in small pieces gives exactly what reading at once
//! gives; row errors come with lines ≥ 2 in order; every title the reader accepts is accepted by
//! the writer, and what the writer writes reads back as the same titles with no error and
//! re-writes to the same bytes.
#![no_main]

use std::io::{self, Read};

use cinelake_core::Title;
use cinelake_core::extract::{ExtractReader, ExtractRowError, ExtractWriter, HEADER};
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

fn read(input: impl Read) -> Result<(Vec<Title>, Vec<ExtractRowError>), String> {
    ExtractReader::new(input)
        .map(ExtractReader::read_all)
        .map_err(|e| e.to_string())
}

fn write(titles: &[Title]) -> Vec<u8> {
    let mut writer = ExtractWriter::new(Vec::new()).expect("writing to memory");
    for title in titles {
        writer
            .write(title)
            .unwrap_or_else(|e| panic!("the writer refused a title the reader accepted: {e}"));
    }
    writer.finish().expect("flushing to memory")
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, body)) = data.split_first() else {
        return;
    };
    let piece = [1, 2, 3, 7, 64, 4096, usize::MAX, usize::MAX][usize::from(control & 0b111)];
    let mut input = Vec::with_capacity(body.len() + 100);
    if control & 0b1000 != 0 {
        input.extend_from_slice(HEADER.join(",").as_bytes());
        input.push(b'\n');
    }
    input.extend_from_slice(body);

    let at_once = read(&input[..]);
    let in_pieces = read(Pieces {
        data: &input,
        piece,
    });
    assert_eq!(at_once, in_pieces, "piece {piece}");
    let Ok((titles, errors)) = at_once else {
        return;
    };

    let mut previous = 0;
    for error in &errors {
        assert!(error.line >= 2 && error.line >= previous, "{error}");
        previous = error.line;
        assert!(error.to_string().starts_with("line "));
    }
    for title in &titles {
        assert!(
            title.id.starts_with("tt") && !title.title.is_empty(),
            "{title:?}"
        );
    }

    let written = write(&titles);
    let (reread, reread_errors) = read(&written[..]).expect("the writer's header");
    assert_eq!(reread_errors, []);
    assert_eq!(reread, titles);
    assert_eq!(write(&reread), written);
});
