use super::*;
use crate::fold::GenreCounts;
use crate::title::{Kind, Title};

const MOVIES: &str = include_str!("../../../../testdata/samples/movies_sample_100.csv");
const SERIES: &str = include_str!("../../../../testdata/samples/series_sample_100.csv");

fn movies_header() -> String {
    MOVIES_HEADER.join("|")
}

fn summary(text: &str, file: &str) -> RawSummary {
    check(text.as_bytes(), file, &CheckOptions::default()).expect("a readable file")
}

#[test]
fn movies_sample_folds_into_25_titles() {
    let s = summary(MOVIES, "movies.csv");
    assert_eq!(s.kind, RawKind::Movies);
    assert_eq!((s.rows, s.rejected, s.blank_lines), (100, 0, 0));
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert!(s.is_valid());
    let titles = &s.folded.titles;
    assert_eq!(titles.len(), 25);
    assert_eq!(s.folded.disagreement_count, 0);
    assert_eq!(titles[0].id, "tt0000009");
    assert_eq!(titles[24].id, "tt0001440");
    assert_eq!(
        titles[2],
        Title {
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
        }
    );
    // Bohemios: genero is \N.
    assert_eq!(titles[1].genres, Vec::<String>::new());
    assert_eq!(titles[1].rating, Rating::parse("4.2"));
    let camille = titles.iter().find(|t| t.id == "tt0001175").unwrap();
    assert_eq!(
        camille.original_title.as_deref(),
        Some("La dame aux camélias")
    );
    assert_eq!(camille.year, Year::new(1912));
    assert_eq!(
        titles
            .iter()
            .filter(|t| t.runtime_minutes.is_none())
            .count(),
        17
    );
    assert_eq!(titles.iter().filter(|t| t.genres.is_empty()).count(), 7);
    assert_eq!(titles.iter().map(|t| t.votes.unwrap()).sum::<u64>(), 1634);
    assert_eq!(
        s.genre_counts(),
        GenreCounts {
            comedy: 0,
            animation: 0,
            both: 0
        }
    );
}

#[test]
fn series_sample_folds_into_16_titles() {
    let s = summary(SERIES, "series.csv");
    assert_eq!(s.kind, RawKind::Series);
    assert_eq!((s.rows, s.rejected), (100, 0));
    let titles = &s.folded.titles;
    assert_eq!(titles.len(), 16);
    assert!(titles.iter().all(|t| t.kind == Kind::Series));
    assert_eq!(s.folded.disagreement_count, 0);
    let ed = titles.iter().find(|t| t.id == "tt0040053").unwrap();
    assert_eq!(ed.title, "The Ed Sullivan Show");
    assert_eq!(ed.original_title.as_deref(), Some("Toast of the Town"));
    assert_eq!((ed.year, ed.end_year), (Year::new(1948), Year::new(1971)));
    assert_eq!(ed.genres, ["Music", "Talk-Show"]);
    assert_eq!((ed.rating, ed.votes), (Rating::parse("7.9"), Some(1439)));
    // Still running: anoTermino is \N.
    let revue = titles.iter().find(|t| t.id == "tt0040993").unwrap();
    assert_eq!(revue.end_year, None);
    assert_eq!(titles.iter().map(|t| t.votes.unwrap()).sum::<u64>(), 4390);
    assert_eq!(
        s.genre_counts(),
        GenreCounts {
            comedy: 4,
            animation: 0,
            both: 0
        }
    );
}

#[test]
fn sample_rows_keep_the_artist_fields_typed() {
    let mut reader =
        RawReader::new(MOVIES.as_bytes(), "movies.csv", &ReaderOptions::default()).expect("header");
    let mut artists = Vec::new();
    while let Some(row) = reader.next_row() {
        let row = row.expect("no I/O error").expect("a good row");
        artists.push((
            row.line,
            row.artist.name.map(str::to_string),
            row.artist.birth_year,
            row.artist.professions.len(),
        ));
        if row.line == 4 {
            let a = row.artist;
            assert_eq!(a.category, Some("actor"));
            assert_eq!(
                a.character,
                Some("Chauncey Depew - the Director of the New York Central Railroad")
            );
            assert_eq!((a.birth_year, a.death_year), (Some(1834), Some(1928)));
            assert_eq!(a.professions.to_vec(), ["actor", "writer"]);
            assert_eq!(
                a.known_for.iter().collect::<Vec<_>>(),
                ["tt1076833", "tt0490842", "tt0000009", "tt4484306"]
            );
        }
        if row.line == 5 {
            assert_eq!((row.artist.character, row.artist.birth_year), (None, None));
        }
    }
    assert_eq!(artists.len(), 100);
    assert_eq!(artists.last().unwrap().0, 101);
    assert_eq!(reader.line(), 101);
}

/// Reads one movies row after the header, typed and verdict-only, and asserts both give
/// `expected`: the row error's display, or "ok".
fn check_row(row: &str, expected: &str) {
    let input = format!("{}\n{row}\n", movies_header());
    let open = || {
        RawReader::new(input.as_bytes(), "movies.csv", &ReaderOptions::default()).expect("header")
    };
    let shown = |error: Option<RowError>| error.map_or_else(|| "ok".to_string(), |e| e.to_string());
    let typed = open()
        .next_row()
        .expect("a row")
        .expect("no I/O error")
        .err();
    assert_eq!(shown(typed), expected, "{row:?}");
    // The verdict-only path agrees, word for word.
    let checked = open()
        .next_checked()
        .expect("a row")
        .expect("no I/O error")
        .err();
    assert_eq!(shown(checked), expected, "next_checked: {row:?}");
}

/// A reader that hands out at most `step` bytes per read, so the raw reader refills and moves
/// its buffer often.
struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.data.len()).min(self.step);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Every verdict of `next_checked` next to `next_row`'s over the same input: same rows, same
/// ids, same errors, same line and blank-line counts.
fn assert_checked_agrees(input: &[u8], step: usize) {
    let open = || {
        RawReader::new(
            Trickle { data: input, step },
            "x.csv",
            &ReaderOptions::default(),
        )
    };
    let (Ok(mut full), Ok(mut checked)) = (open(), open()) else {
        return;
    };
    loop {
        let (a, b) = (full.next_row(), checked.next_checked());
        match (a, b) {
            (None, None) => break,
            (Some(Ok(Ok(row))), Some(Ok(Ok(id)))) => assert_eq!(row.id.as_bytes(), id),
            (Some(Ok(Err(a))), Some(Ok(Err(b)))) => assert_eq!(a, b),
            (a, b) => panic!(
                "disagree: {:?} vs {:?}",
                a.map(|r| r.map(|r| r.map(|row| row.line))),
                b.map(|r| r.map(|r| r.map(<[u8]>::to_vec)))
            ),
        }
    }
    assert_eq!(full.line(), checked.line());
    assert_eq!(full.blank_lines(), checked.blank_lines());
}

#[test]
fn next_checked_agrees_with_next_row_on_the_samples_and_bad_utf8_anywhere() {
    for sample in [
        &include_bytes!("../../../../testdata/samples/movies_sample_100.csv")[..],
        &include_bytes!("../../../../testdata/samples/series_sample_100.csv")[..],
    ] {
        for step in [1, 7, 64, 1 << 20] {
            assert_checked_agrees(sample, step);
        }
        // A bad byte in every tenth line, and a truncated multi-byte character at the end.
        let mut broken = sample.to_vec();
        let line_starts: Vec<usize> = broken
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'\n')
            .map(|(at, _)| at + 1)
            .collect();
        for &at in line_starts.iter().step_by(10).skip(1) {
            if let Some(byte) = broken.get_mut(at + 12) {
                *byte = 0xff;
            }
        }
        broken.extend_from_slice("tt1|Café".as_bytes());
        broken.pop();
        for step in [1, 13, 1 << 20] {
            assert_checked_agrees(&broken, step);
        }
    }
}

const GOOD: [&str; 15] = [
    "tt0000009",
    "Miss Jerry",
    "Miss Jerry",
    "1894",
    "45",
    "Romance",
    "5.3",
    "200",
    "actress",
    "\\N",
    "Blanche Bayliss",
    "1878",
    "1951",
    "actress",
    "tt0000009",
];

/// The good row with column `index` replaced.
fn with(index: usize, value: &str) -> String {
    let mut fields = GOOD;
    fields[index] = value;
    fields.join("|")
}

#[test]
fn every_column_rule_accepts_and_rejects_what_the_docs_say() {
    let at = "movies.csv:2: column";
    check_row(&GOOD.join("|"), "ok");
    check_row(
        &with(0, "nm0000009"),
        &format!("{at} id: \"nm0000009\" is not an IMDb title id (tt followed by digits)"),
    );
    check_row(
        &with(0, "\\N"),
        &format!("{at} id: \"\\\\N\" is not an IMDb title id (tt followed by digits)"),
    );
    check_row(
        &with(1, ""),
        &format!("{at} tituloPincipal: is empty but a title is required"),
    );
    check_row(
        &with(1, "\\N"),
        &format!("{at} tituloPincipal: is null (\\N) but a title is required"),
    );
    check_row(&with(1, "\"Quoted\" title, with comma"), "ok");
    check_row(&with(2, "\\N"), "ok");
    check_row(&with(2, ""), "ok");
    check_row(&with(3, "\\N"), "ok");
    check_row(
        &with(3, "1849"),
        &format!("{at} anoLancamento: \"1849\" is not a year between 1850 and 2100"),
    );
    check_row(
        &with(3, "99999999999"),
        &format!("{at} anoLancamento: \"99999999999\" is too large"),
    );
    check_row(
        &with(3, "19o4"),
        &format!("{at} anoLancamento: \"19o4\" is not a whole number"),
    );
    check_row(
        &with(3, " 1904"),
        &format!("{at} anoLancamento: \" 1904\" is not a whole number"),
    );
    check_row(&with(4, "\\N"), "ok");
    check_row(
        &with(4, "-45"),
        &format!("{at} tempoMinutos: \"-45\" is not a whole number"),
    );
    check_row(
        &with(4, "45.5"),
        &format!("{at} tempoMinutos: \"45.5\" is not a whole number"),
    );
    check_row(
        &with(4, ""),
        &format!("{at} tempoMinutos: \"\" is not a whole number"),
    );
    check_row(&with(5, "\\N"), "ok");
    check_row(&with(5, "Action,Adventure,Biography"), "ok");
    check_row(
        &with(5, "Action,Adventure,Biography,Drama"),
        &format!(
            "{at} genero: \"Action,Adventure,Biography,Drama\" has 4 genres; at most 3 are allowed"
        ),
    );
    check_row(
        &with(5, "Action,,Drama"),
        &format!("{at} genero: \"Action,,Drama\" has an empty genre"),
    );
    check_row(
        &with(5, ""),
        &format!("{at} genero: \"\" has an empty genre"),
    );
    check_row(&with(6, "\\N"), "ok");
    check_row(&with(6, "10"), "ok");
    check_row(
        &with(6, "7,5"),
        &format!("{at} notaMedia: \"7,5\" is not a number"),
    );
    check_row(
        &with(6, "11.0"),
        &format!(
            "{at} notaMedia: \"11.0\" is not a rating between 1.0 and 10.0 with at most one decimal"
        ),
    );
    check_row(
        &with(6, "0.9"),
        &format!(
            "{at} notaMedia: \"0.9\" is not a rating between 1.0 and 10.0 with at most one decimal"
        ),
    );
    check_row(
        &with(6, "7.55"),
        &format!(
            "{at} notaMedia: \"7.55\" is not a rating between 1.0 and 10.0 with at most one decimal"
        ),
    );
    check_row(
        &with(6, "-7.5"),
        &format!("{at} notaMedia: \"-7.5\" is not a number"),
    );
    check_row(
        &with(6, "nan"),
        &format!("{at} notaMedia: \"nan\" is not a number"),
    );
    check_row(&with(7, "\\N"), "ok");
    check_row(&with(7, "18446744073709551615"), "ok");
    check_row(
        &with(7, "18446744073709551616"),
        &format!("{at} numeroVotos: \"18446744073709551616\" is too large"),
    );
    check_row(
        &with(7, "-3"),
        &format!("{at} numeroVotos: \"-3\" is not a whole number"),
    );
    check_row(
        &with(7, "1e3"),
        &format!("{at} numeroVotos: \"1e3\" is not a whole number"),
    );
    check_row(&with(8, "\\N"), "ok");
    check_row(&with(10, "\\N"), "ok");
    check_row(&with(11, "1834"), "ok");
    check_row(
        &with(11, "0"),
        &format!("{at} anoNascimento: \"0\" is not a year between 1 and 2100"),
    );
    check_row(
        &with(12, "2101"),
        &format!("{at} anoFalecimento: \"2101\" is not a year between 1 and 2100"),
    );
    check_row(&with(13, "\\N"), "ok");
    check_row(
        &with(13, "actor,,writer"),
        &format!("{at} profissao: \"actor,,writer\" has an empty item"),
    );
    check_row(&with(14, "\\N"), "ok");
    check_row(
        &with(14, "tt1,nm2"),
        &format!("{at} titulosMaisConhecidos: \"tt1,nm2\" lists \"nm2\", not an IMDb title id"),
    );
    check_row(
        &GOOD[..14].join("|"),
        "movies.csv:2: expected 15 columns separated by | but found 14",
    );
    check_row(
        &format!("{}|x", GOOD.join("|")),
        "movies.csv:2: expected 15 columns separated by | but found 16",
    );
    check_row(
        &GOOD.join(","),
        "movies.csv:2: expected 15 columns separated by | but found 1",
    );
}

#[test]
fn the_first_bad_field_of_a_row_is_reported() {
    let mut fields = GOOD;
    fields[6] = "7,5";
    fields[7] = "-1";
    check_row(
        &fields.join("|"),
        "movies.csv:2: column notaMedia: \"7,5\" is not a number",
    );
}

#[test]
fn series_rows_type_ano_termino_and_shift_the_columns() {
    let input = format!(
        "{}\ntt1|S|S|1948|\\N|60|Comedy|7.7|21|actor|\\N|N|\\N|\\N|actor|tt1\ntt2|S|S|1948|19x|60|Comedy|7.7|21|actor|\\N|N|\\N|\\N|actor|tt1\ntt3|S|S|1948|1950|60|Comedy|7,7|21|actor|\\N|N|\\N|\\N|actor|tt1\n",
        SERIES_HEADER.join("|")
    );
    let s = summary(&input, "series.csv");
    assert_eq!(s.rejected, 2);
    let errors: Vec<String> = s.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        errors,
        [
            "series.csv:3: column anoTermino: \"19x\" is not a whole number",
            "series.csv:4: column notaMedia: \"7,7\" is not a number",
        ]
    );
    assert_eq!(s.folded.titles[0].end_year, None);
    assert_eq!(s.folded.titles[0].runtime_minutes, Some(60));
}

#[test]
fn bom_lf_crlf_blank_lines_and_a_missing_final_newline_are_accepted() {
    let row = GOOD.join("|");
    let check = |input: String, rows: u64, blank: u64| {
        let s = summary(&input, "movies.csv");
        assert_eq!(
            (s.rows, s.rejected, s.blank_lines),
            (rows, 0, blank),
            "{input:?}"
        );
    };
    check(format!("\u{feff}{}\r\n{row}\r\n", movies_header()), 1, 0);
    check(format!("{}\n{row}\n{row}", movies_header()), 2, 0);
    check(
        format!("{}\r\n{row}\r\n\r\n{row}\n\n", movies_header()),
        2,
        2,
    );
    check(format!("{}\n", movies_header()), 0, 0);
    check(movies_header(), 0, 0);
}

#[test]
fn strict_fails_and_lenient_passes_a_file_with_bad_rows() {
    let input = format!(
        "{}\n{}\n{}\n",
        movies_header(),
        GOOD.join("|"),
        with(6, "7,5")
    );
    let strict = summary(&input, "movies.csv");
    assert!(!strict.is_valid());
    assert_eq!(
        strict.verdict().unwrap_err().to_string(),
        "movies.csv: 1 rows rejected (strict mode); the first: movies.csv:3: column notaMedia: \"7,5\" is not a number"
    );
    let options = CheckOptions {
        mode: Mode::Lenient,
        ..CheckOptions::default()
    };
    let lenient = check(input.as_bytes(), "movies.csv", &options).unwrap();
    assert!(lenient.is_valid());
    assert!(lenient.verdict().is_ok());
    assert_eq!(
        (
            lenient.accepted(),
            lenient.rejected,
            lenient.folded.titles.len()
        ),
        (1, 1, 1)
    );
}

#[test]
fn errors_are_all_counted_but_kept_up_to_the_cap() {
    let bad = with(6, "7,5");
    let input = format!(
        "{}\n{}\n",
        movies_header(),
        vec![bad.as_str(); 50].join("\n")
    );
    let options = CheckOptions {
        max_errors: 7,
        ..CheckOptions::default()
    };
    let s = check(input.as_bytes(), "movies.csv", &options).unwrap();
    assert_eq!((s.rows, s.rejected, s.errors.len()), (50, 50, 7));
    assert_eq!(s.errors[6].line, 8);
}

#[test]
fn disagreeing_repeated_fields_are_reported_and_the_first_kept() {
    let input = format!(
        "{}\n{}\n{}\n{}\n",
        movies_header(),
        GOOD.join("|"),
        with(6, "5.4"),
        with(5, "Romance,Comedy")
    );
    let s = summary(&input, "movies.csv");
    assert_eq!(s.folded.titles.len(), 1);
    assert_eq!(s.folded.titles[0].rating, Rating::parse("5.3"));
    assert_eq!(s.folded.titles[0].genres, ["Romance"]);
    let reports: Vec<String> = s
        .folded
        .disagreements
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        reports,
        [
            "movies.csv:3: title tt0000009: column notaMedia: \"5.4\" differs from \"5.3\" on line 2; keeping the first",
            "movies.csv:4: title tt0000009: column genero: \"Romance,Comedy\" differs from \"Romance\" on line 2; keeping the first",
        ]
    );
    // Disagreements are reports, not rejects: the file is still valid in strict mode.
    assert!(s.is_valid());
}

#[test]
fn rows_of_a_title_need_not_be_adjacent() {
    let other = with(0, "tt0000010");
    let input = format!(
        "{}\n{}\n{other}\n{}\n",
        movies_header(),
        GOOD.join("|"),
        GOOD.join("|")
    );
    let s = summary(&input, "movies.csv");
    assert_eq!(s.folded.titles.len(), 2);
    assert_eq!(s.folded.disagreement_count, 0);
}

#[test]
fn header_errors_name_expected_and_found_columns() {
    let check = |input: &[u8], expect: Option<RawKind>, expected: &str| {
        let error = RawReader::new(input, "f.csv", &ReaderOptions { expect })
            .err()
            .expect("a header error");
        assert_eq!(error.to_string(), expected);
    };
    let movies = MOVIES_HEADER.join("|");
    let series = SERIES_HEADER.join("|");
    let either = format!("movies columns {movies} or series columns {series}");
    check(
        b"",
        None,
        &format!("f.csv: the file is empty; expected a header line with {either}"),
    );
    check(
        series.as_bytes(),
        Some(RawKind::Movies),
        &format!(
            "f.csv:1: wrong header: expected movies columns {movies} but found {series} (a series header)"
        ),
    );
    check(
        MOVIES_HEADER.join(",").as_bytes(),
        None,
        &format!(
            "f.csv:1: wrong header: expected {either} but found {} (the file looks comma-delimited; the raw format uses |)",
            MOVIES_HEADER.join(",")
        ),
    );
    check(
        MOVIES_HEADER[..14].join("|").as_bytes(),
        None,
        &format!(
            "f.csv:1: wrong header: expected {either} but found {}",
            MOVIES_HEADER[..14].join("|")
        ),
    );
}

#[test]
fn a_line_longer_than_the_limit_is_one_rejected_row_and_reading_goes_on() {
    let long = "x".repeat(MAX_LINE + 10);
    let input = format!("{}\n{long}\n{}\n", movies_header(), GOOD.join("|"));
    let s = summary(&input, "movies.csv");
    assert_eq!((s.rows, s.rejected, s.folded.titles.len()), (2, 1, 1));
    assert_eq!(
        s.errors[0].to_string(),
        format!(
            "movies.csv:2: the line is longer than {MAX_LINE} bytes ({} bytes read)",
            MAX_LINE + 10
        )
    );
}

#[test]
fn invalid_utf8_names_the_column() {
    let mut input = format!("{}\n", movies_header()).into_bytes();
    input.extend_from_slice(b"tt1|Caf\xe9|x|1900|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N\n");
    let s = check(&input[..], "movies.csv", &CheckOptions::default()).unwrap();
    assert_eq!(
        s.errors[0].to_string(),
        "movies.csv:2: column tituloPincipal: invalid UTF-8 at byte 8 of the line"
    );
}

/// A reader that fails after `ok` bytes.
struct Failing<'a> {
    data: &'a [u8],
}

impl Read for Failing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            return Err(io::Error::other("disk on fire"));
        }
        let n = buf.len().min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn an_io_error_ends_the_stream_with_the_line_reached() {
    let input = format!("{}\n{}\n", movies_header(), GOOD.join("|"));
    let error = check(
        Failing {
            data: input.as_bytes(),
        },
        "movies.csv",
        &CheckOptions::default(),
    )
    .unwrap_err();
    assert_eq!(error.to_string(), "movies.csv:2: read error");
    assert_eq!(
        std::error::Error::source(&error).unwrap().to_string(),
        "disk on fire"
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(s) = check(&bytes[..], "x.csv", &CheckOptions::default()) {
                prop_assert!(s.rejected <= s.rows);
                prop_assert!(s.folded.titles.len() as u64 <= s.accepted());
            }
        }

        #[test]
        fn arbitrary_rows_after_a_good_header_never_panic(
            body in "([tT0-9|\\\\N.,\r\n éa-z-]{0,40}\n){0,12}",
            series in any::<bool>(),
        ) {
            let header = if series { SERIES_HEADER.join("|") } else { movies_header() };
            let input = format!("{header}\n{body}");
            let s = check(input.as_bytes(), "x.csv", &CheckOptions { max_errors: 1000, ..CheckOptions::default() }).unwrap();
            prop_assert_eq!(s.errors.len() as u64, s.rejected);
            prop_assert!(s.errors.iter().all(|e| e.line >= 2));
        }

        #[test]
        fn next_checked_agrees_with_next_row(
            body in proptest::collection::vec(
                prop_oneof![
                    "[tT0-9|\\\\N.,\r éa-z-]{0,40}".prop_map(String::into_bytes),
                    Just(GOOD.join("|").into_bytes()),
                    // A good row with one field replaced: every column rule, either way.
                    (0usize..15, "[tT0-9\\\\N.,é a-z-]{0,12}")
                        .prop_map(|(index, value)| with(index, &value).into_bytes()),
                    proptest::collection::vec(any::<u8>(), 0..40),
                ],
                0..12,
            ),
            series in any::<bool>(),
            step in 1usize..300,
        ) {
            let header = if series { SERIES_HEADER.join("|") } else { movies_header() };
            let mut input = format!("{header}\n").into_bytes();
            for line in body {
                input.extend_from_slice(&line);
                input.push(b'\n');
            }
            assert_checked_agrees(&input, step);
        }

        #[test]
        fn good_rows_with_any_text_fields_parse_back(
            title in "[^|\r\n]{1,30}",
            character in "[^|\r\n]{0,30}",
            rating in 10u8..=100,
            votes in any::<u64>(),
        ) {
            prop_assume!(title != NULL);
            let mut fields = GOOD;
            let rating_text = Rating::from_tenths(rating).unwrap().to_string();
            let votes_text = votes.to_string();
            fields[1] = &title;
            fields[9] = &character;
            fields[6] = &rating_text;
            fields[7] = &votes_text;
            let input = format!("{}\n{}\n", movies_header(), fields.join("|"));
            let s = summary(&input, "movies.csv");
            prop_assert_eq!(s.rejected, 0, "{:?}", s.errors);
            let t = &s.folded.titles[0];
            prop_assert_eq!(&t.title, &title);
            prop_assert_eq!(t.rating.map(Rating::tenths), Some(rating));
            prop_assert_eq!(t.votes, Some(votes));
        }
    }
}
