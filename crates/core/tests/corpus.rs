//! The malformed-input corpus: every file in `tests/corpus/raw/` (at the workspace root) is read
//! strictly, and what the reader says must equal the file's `.expected` neighbour exactly. Files
//! named `*_ok.*` are edge cases that must pass (a BOM, CRLF, a header alone); every other file
//! must fail. Two more inputs are made at test time (`tests/corpus/generated.rs`): a 10 MiB field
//! and 50 MiB of random bytes.
//!
//! A file named `NAME.movies.csv` is read expecting a movies header, `NAME.series.csv` a series
//! header. The `.expected` file holds either the one error that stopped reading, or a line
//! `rows R, rejected J, titles T` followed by each rejected row's message. To add a case, add the
//! input, run `BLESS=1 cargo test -p cinelake-core --test corpus`, and review the new `.expected`
//! file by hand before committing it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use cinelake_core::raw::{CheckOptions, RawKind, check};

#[path = "../../../tests/corpus/generated.rs"]
mod generated;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/raw")
}

/// What the reader reports for one corpus file, in the `.expected` format.
fn report(path: &Path) -> String {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a UTF-8 file name");
    let expect = if name.ends_with(".series.csv") {
        RawKind::Series
    } else {
        RawKind::Movies
    };
    let bytes = std::fs::read(path).expect("a readable corpus file");
    report_bytes(&bytes, name, expect)
}

/// What the reader reports for `bytes` read strictly as `name`, expecting `expect`.
fn report_bytes(bytes: &[u8], name: &str, expect: RawKind) -> String {
    let options = CheckOptions {
        expect: Some(expect),
        max_errors: 1000,
        ..CheckOptions::default()
    };
    match check(bytes, name, &options) {
        Err(error) => format!("{error}\n"),
        Ok(s) => {
            let mut out = format!(
                "rows {}, rejected {}, titles {}\n",
                s.rows,
                s.rejected,
                s.folded.titles.len()
            );
            for error in &s.errors {
                writeln!(out, "{error}").expect("writing to a String");
            }
            out
        }
    }
}

#[test]
fn every_malformed_file_fails_with_its_exact_error() {
    let bless = std::env::var_os("BLESS").is_some();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the corpus folder")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    inputs.sort();
    assert!(
        inputs.len() >= 20,
        "the corpus has only {} inputs",
        inputs.len()
    );
    let mut failures = Vec::new();
    for input in &inputs {
        let got = report(input);
        let expected_path = input.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &got).expect("writing the expected file");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{} has no .expected file", input.display()));
        if got != expected {
            failures.push(format!(
                "{}:\n  expected: {expected:?}\n  got:      {got:?}",
                input.display()
            ));
        }
        // Strict mode must refuse every corpus file but the `_ok` edge cases, which must pass.
        let passed = got.starts_with("rows") && got.contains("rejected 0,");
        let should_pass = input.to_string_lossy().contains("_ok.");
        assert_eq!(passed, should_pass, "{}: {got}", input.display());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_expected_file_has_an_input() {
    for entry in std::fs::read_dir(corpus_dir()).expect("the corpus folder") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|e| e == "expected") {
            assert!(
                path.with_extension("csv").exists(),
                "{} has no input",
                path.display()
            );
        }
    }
}

#[test]
fn a_10_mib_field_rejects_its_line_and_reading_goes_on() {
    let bytes = generated::huge_field_movies();
    let line_bytes = bytes.split(|&b| b == b'\n').nth(2).expect("line 3").len();
    assert_eq!(
        report_bytes(&bytes, "huge_field.movies.csv", RawKind::Movies),
        format!(
            "rows 3, rejected 1, titles 2\n\
             huge_field.movies.csv:3: the line is longer than 1048576 bytes ({line_bytes} bytes read)\n"
        )
    );
}

#[test]
fn fifty_mib_of_random_bytes_fail_at_the_header() {
    let bytes = generated::garbage();
    assert_eq!(bytes.len(), generated::GARBAGE_BYTES);
    let got = report_bytes(&bytes, "garbage.movies.csv", RawKind::Movies);
    let expected_start = "garbage.movies.csv:1: wrong header: expected movies columns id|tituloPincipal|tituloOriginal|anoLancamento|tempoMinutos|genero|notaMedia|numeroVotos|generoArtista|personagem|nomeArtista|anoNascimento|anoFalecimento|profissao|titulosMaisConhecidos but found ";
    assert!(got.starts_with(expected_start), "{got}");
    assert!(got.ends_with(" (not valid UTF-8)\n"), "{got}");
    assert_eq!(got.lines().count(), 1, "{got}");
}

/// An extract whose first record never ends (an unclosed quote before 2 MiB of random bytes): the
/// header error the dashboard shows keeps the first 400 characters, not megabytes.
#[test]
fn an_endless_first_extract_record_gives_a_short_header_error() {
    let mut bytes = b"\"".to_vec();
    bytes.extend(
        generated::garbage()[..2 << 20]
            .iter()
            .filter(|&&b| b != b'"'),
    );
    let error = cinelake_core::extract::ExtractReader::new(&bytes[..])
        .err()
        .expect("a header error")
        .to_string();
    assert!(
        error.starts_with("extract header: expected columns kind,id,title,"),
        "{}",
        error.chars().take(200).collect::<String>()
    );
    assert!(
        error.chars().count() < 1000,
        "{} chars",
        error.chars().count()
    );
    assert!(error.ends_with(" bytes)"), "{error}");
}
