//! Regression tests for what `cargo fuzz` found (fuzz/, docs/fuzzing.md): each test holds the
//! input bytes the fuzzer reported, minimised, and asserts the invariant that broke.

use std::io::{self, Read};

use cinelake_core::extract::ExtractReader;

/// Hands out its bytes `piece` at a time, as a pipe or a network stream may.
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

/// The extract reader refused a BOM-prefixed header when its input handed out fewer than three
/// bytes in the first read: csv-core strips the BOM only when it sees all of it at once.
#[test]
fn extract_bom_is_stripped_whatever_the_read_sizes() {
    let input = b"\xef\xbb\xbfkind,id,title,original_title,year,end_year,runtime_minutes,genres,rating,votes\r\nmovie,tt1,x,,1990,,,,7.5,\r\n";
    let at_once = ExtractReader::new(&input[..])
        .expect("the header")
        .read_all();
    assert_eq!(at_once.0.len(), 1);
    assert_eq!(at_once.1, []);
    for piece in 1..=8 {
        let in_pieces = ExtractReader::new(Pieces { data: input, piece })
            .unwrap_or_else(|e| panic!("pieces of {piece}: {e}"))
            .read_all();
        assert_eq!(in_pieces, at_once, "pieces of {piece}");
    }
}

/// A file holding only a BOM is empty however it is read (csv-core took a first read of exactly
/// the BOM for the end of the input, so short reads made longer files look empty too).
#[test]
fn extract_of_only_a_bom_is_empty_whatever_the_read_sizes() {
    for piece in 1..=4 {
        let error = ExtractReader::new(Pieces {
            data: b"\xef\xbb\xbf",
            piece,
        })
        .err()
        .expect("an error");
        assert!(
            error.to_string().ends_with("but the file is empty"),
            "pieces of {piece}: {error}"
        );
    }
}
