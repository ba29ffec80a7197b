//! Yearly aggregates: the numbers behind the dashboard's KPI cards and per-year charts.
//!
//! The dashboard loads up to a few hundred thousand [`Title`]s once, packs them into
//! [`Columns`] (a compact, column-oriented copy holding only what the aggregates read), and then
//! recomputes a [`Yearly`] table on every filter change. One pass over the columns with integer
//! sums keeps that well under a millisecond per 100k titles, and makes every figure exact:
//! ratings are summed in tenths, so merging cells (for example movies + series) gives the same
//! mean as aggregating the merged titles directly.
//!
//! A title enters the per-year table only if it has a release year inside the filter's range.
//! Titles without a rating count as released but do not enter the means; titles without a vote
//! count have zero votes.

use std::fmt::Write as _;

use crate::title::{GenreGroup, Kind, Title};

/// The genre groups in the order the dashboard shows them.
pub const GROUPS: [GenreGroup; 4] = [
    GenreGroup::Comedy,
    GenreGroup::Animation,
    GenreGroup::Both,
    GenreGroup::Other,
];

/// The kinds in the order the dashboard shows them.
pub const KINDS: [Kind; 2] = [Kind::Movie, Kind::Series];

fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Movie => 0,
        Kind::Series => 1,
    }
}

fn group_index(group: GenreGroup) -> usize {
    match group {
        GenreGroup::Comedy => 0,
        GenreGroup::Animation => 1,
        GenreGroup::Both => 2,
        GenreGroup::Other => 3,
    }
}

/// The spelling of a genre group in exports and URLs.
pub fn group_name(group: GenreGroup) -> &'static str {
    match group {
        GenreGroup::Comedy => "comedy",
        GenreGroup::Animation => "animation",
        GenreGroup::Both => "both",
        GenreGroup::Other => "other",
    }
}

/// Parses [`group_name`]'s spelling.
pub fn parse_group(text: &str) -> Option<GenreGroup> {
    GROUPS.into_iter().find(|group| group_name(*group) == text)
}

/// Which titles the aggregates count. The default lets every title through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Kinds to keep, indexed like [`KINDS`].
    pub kinds: [bool; 2],
    /// Genre groups to keep, indexed like [`GROUPS`].
    pub groups: [bool; 4],
    /// Release years to keep, inclusive. A title without a year is never kept.
    pub years: (u16, u16),
    /// Titles with fewer votes are dropped (a missing vote count is zero).
    pub min_votes: u64,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter {
            kinds: [true; 2],
            groups: [true; 4],
            years: (0, u16::MAX),
            min_votes: 0,
        }
    }
}

impl Filter {
    pub fn keeps_kind(&self, kind: Kind) -> bool {
        self.kinds[kind_index(kind)]
    }

    pub fn keeps_group(&self, group: GenreGroup) -> bool {
        self.groups[group_index(group)]
    }

    /// Whether one title passes, as [`aggregate`] decides it (kept for tests and callers that
    /// work on [`Title`]s rather than [`Columns`]).
    pub fn keeps(&self, title: &Title) -> bool {
        self.keeps_grouped(title, title.genre_group())
    }

    /// [`Filter::keeps`] for a caller that already knows the title's genre group (working it
    /// out compares strings, so hot loops do it once).
    pub fn keeps_grouped(&self, title: &Title, group: GenreGroup) -> bool {
        title
            .year
            .is_some_and(|year| self.keeps_values(title.kind, group, year.get(), title.votes))
    }

    /// [`Filter::keeps`] on a title's values (for packed titles, such as the model's columns).
    pub fn keeps_values(
        &self,
        kind: Kind,
        group: GenreGroup,
        year: u16,
        votes: Option<u64>,
    ) -> bool {
        self.keeps_kind(kind)
            && self.keeps_group(group)
            && (self.years.0..=self.years.1).contains(&year)
            && votes.unwrap_or(0) >= self.min_votes
    }
}

/// The titles packed for aggregation: one entry per title, in load order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Columns {
    /// Release year, 0 when unknown.
    year: Vec<u16>,
    /// `kind_index * 4 + group_index`.
    class: Vec<u8>,
    /// Rating in tenths, 0 when unknown.
    rating: Vec<u8>,
    votes: Vec<u64>,
}

impl Columns {
    pub fn new() -> Columns {
        Columns::default()
    }

    pub fn from_titles<'a>(titles: impl IntoIterator<Item = &'a Title>) -> Columns {
        let mut columns = Columns::new();
        for title in titles {
            columns.push(title);
        }
        columns
    }

    pub fn push(&mut self, title: &Title) {
        self.push_grouped(title, title.genre_group());
    }

    /// [`Columns::push`] for a caller that already knows the title's genre group (working it out
    /// compares strings; the dashboard's loader needs it for the model's columns too).
    pub fn push_grouped(&mut self, title: &Title, group: GenreGroup) {
        self.year.push(title.year.map_or(0, |year| year.get()));
        // Both indices are below 4, so the class fits a u8.
        self.class
            .push((kind_index(title.kind) * 4 + group_index(group)) as u8);
        self.rating
            .push(title.rating.map_or(0, |rating| rating.tenths()));
        self.votes.push(title.votes.unwrap_or(0));
    }

    pub fn len(&self) -> usize {
        self.year.len()
    }

    pub fn is_empty(&self) -> bool {
        self.year.is_empty()
    }

    /// How many titles have a release year (the others never enter the aggregates).
    pub fn dated(&self) -> usize {
        self.year.iter().filter(|year| **year != 0).count()
    }

    /// Whether any title belongs to `group`.
    pub fn has_group(&self, group: GenreGroup) -> bool {
        let index = group_index(group);
        self.class
            .iter()
            .any(|class| usize::from(*class) % 4 == index)
    }

    /// The earliest and latest known release years, or `None` if no title has one.
    pub fn year_span(&self) -> Option<(u16, u16)> {
        let mut years = self.year.iter().copied().filter(|year| *year != 0);
        let first = years.next()?;
        Some(years.fold((first, first), |(lo, hi), y| (lo.min(y), hi.max(y))))
    }
}

/// Exact sums for one group of titles; means are derived, so cells merge by adding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    /// Titles released.
    pub titles: u64,
    /// Titles that have a rating.
    pub rated: u64,
    /// Sum of ratings in tenths, over rated titles.
    pub rating_tenths: u64,
    /// Sum of rating (tenths) × votes, over rated titles.
    pub weighted_tenths: u128,
    /// Votes of rated titles: the weighted mean's denominator.
    pub rated_votes: u64,
    /// Votes of all titles.
    pub votes: u64,
}

impl Cell {
    fn add(&mut self, tenths: u8, votes: u64) {
        self.titles += 1;
        self.votes += votes;
        if tenths != 0 {
            self.rated += 1;
            self.rating_tenths += u64::from(tenths);
            self.weighted_tenths += u128::from(tenths) * u128::from(votes);
            self.rated_votes += votes;
        }
    }

    /// The sum of two cells: the cell of both groups of titles together.
    pub fn merge(mut self, other: &Cell) -> Cell {
        self.titles += other.titles;
        self.rated += other.rated;
        self.rating_tenths += other.rating_tenths;
        self.weighted_tenths += other.weighted_tenths;
        self.rated_votes += other.rated_votes;
        self.votes += other.votes;
        self
    }

    /// The mean rating of the rated titles, `None` if none is rated.
    pub fn mean_rating(&self) -> Option<f64> {
        (self.rated > 0).then(|| self.rating_tenths as f64 / (10.0 * self.rated as f64))
    }

    /// The mean rating weighted by votes, `None` if rated titles have no votes.
    pub fn weighted_mean_rating(&self) -> Option<f64> {
        (self.rated_votes > 0)
            .then(|| self.weighted_tenths as f64 / (10.0 * self.rated_votes as f64))
    }

    /// The mean the dashboard plots: weighted or plain.
    pub fn mean(&self, weighted: bool) -> Option<f64> {
        if weighted {
            self.weighted_mean_rating()
        } else {
            self.mean_rating()
        }
    }
}

/// One release year: a cell per kind × genre group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct YearRow {
    pub year: u16,
    /// Indexed `[kind][group]` like [`KINDS`] and [`GROUPS`].
    pub cells: [[Cell; 4]; 2],
}

impl YearRow {
    pub fn cell(&self, kind: Kind, group: GenreGroup) -> &Cell {
        &self.cells[kind_index(kind)][group_index(group)]
    }

    /// Every cell of one kind merged.
    pub fn by_kind(&self, kind: Kind) -> Cell {
        self.cells[kind_index(kind)]
            .iter()
            .fold(Cell::default(), |sum, cell| sum.merge(cell))
    }

    /// Every cell of one genre group merged.
    pub fn by_group(&self, group: GenreGroup) -> Cell {
        let index = group_index(group);
        self.cells[0][index].merge(&self.cells[1][index])
    }

    /// All cells merged.
    pub fn total(&self) -> Cell {
        self.cells
            .iter()
            .flatten()
            .fold(Cell::default(), |sum, cell| sum.merge(cell))
    }
}

/// The aggregates for one filter: a row per year from the first to the last year that has a
/// kept title (years in between with no title have empty rows, so charts share one axis).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Yearly {
    pub rows: Vec<YearRow>,
}

/// The KPI cards' figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub titles: u64,
    pub movies: u64,
    pub series: u64,
    pub rated: u64,
    pub votes: u64,
    /// Mean rating of the rated titles.
    pub mean_rating: Option<f64>,
    /// Vote-weighted mean rating.
    pub weighted_mean_rating: Option<f64>,
    /// First and last release year among the kept titles.
    pub years: Option<(u16, u16)>,
}

impl Yearly {
    /// Every cell of every year merged.
    pub fn total(&self) -> Cell {
        self.rows
            .iter()
            .fold(Cell::default(), |sum, row| sum.merge(&row.total()))
    }

    pub fn totals(&self) -> Totals {
        let movies = self.rows.iter().fold(Cell::default(), |sum, row| {
            sum.merge(&row.by_kind(Kind::Movie))
        });
        let series = self.rows.iter().fold(Cell::default(), |sum, row| {
            sum.merge(&row.by_kind(Kind::Series))
        });
        let all = movies.merge(&series);
        let first = self.rows.iter().find(|row| row.total().titles > 0);
        let last = self.rows.iter().rev().find(|row| row.total().titles > 0);
        Totals {
            titles: all.titles,
            movies: movies.titles,
            series: series.titles,
            rated: all.rated,
            votes: all.votes,
            mean_rating: all.mean_rating(),
            weighted_mean_rating: all.weighted_mean_rating(),
            years: first.zip(last).map(|(first, last)| (first.year, last.year)),
        }
    }

    /// The aggregates as CSV, one line per non-empty year × kind × genre group cell, in year,
    /// kind, group order; means with 4 decimals, empty when undefined. The dashboard's export
    /// and the end-to-end tests' expected files both come from here.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "year,kind,genre_group,titles,rated,mean_rating,weighted_mean_rating,total_votes\n",
        );
        let mean = |value: Option<f64>| value.map(|v| format!("{v:.4}")).unwrap_or_default();
        for row in &self.rows {
            for kind in KINDS {
                for group in GROUPS {
                    let cell = row.cell(kind, group);
                    if cell.titles == 0 {
                        continue;
                    }
                    // Writing to a String cannot fail.
                    let _ = writeln!(
                        out,
                        "{},{},{},{},{},{},{},{}",
                        row.year,
                        kind.as_str(),
                        group_name(group),
                        cell.titles,
                        cell.rated,
                        mean(cell.mean_rating()),
                        mean(cell.weighted_mean_rating()),
                        cell.votes
                    );
                }
            }
        }
        out
    }
}

/// Aggregates the titles that pass `filter`, per year × kind × genre group.
pub fn aggregate(columns: &Columns, filter: &Filter) -> Yearly {
    let (lo, hi) = filter.years;
    // Class → kept, so the loop does one table lookup instead of two.
    let mut keep_class = [false; 8];
    for (kind, keep_kind) in filter.kinds.iter().enumerate() {
        for (group, keep_group) in filter.groups.iter().enumerate() {
            keep_class[kind * 4 + group] = *keep_kind && *keep_group;
        }
    }
    let lo = lo.max(1);
    let Some((first, last)) = columns.year_span() else {
        return Yearly::default();
    };
    let (lo, hi) = (lo.max(first), hi.min(last));
    if lo > hi {
        return Yearly::default();
    }
    let mut rows: Vec<YearRow> = (lo..=hi)
        .map(|year| YearRow {
            year,
            ..YearRow::default()
        })
        .collect();
    for i in 0..columns.len() {
        let year = columns.year[i];
        let class = usize::from(columns.class[i]);
        let votes = columns.votes[i];
        if year < lo || year > hi || !keep_class[class] || votes < filter.min_votes {
            continue;
        }
        rows[usize::from(year - lo)].cells[class / 4][class % 4].add(columns.rating[i], votes);
    }
    // Trim empty years at both ends so the axis spans the kept titles only.
    let start = rows.iter().position(|row| row.total().titles > 0);
    let end = rows.iter().rposition(|row| row.total().titles > 0);
    match start.zip(end) {
        Some((start, end)) => Yearly {
            rows: rows[start..=end].to_vec(),
        },
        None => Yearly::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::title::{Rating, Year};
    use proptest::prelude::*;

    fn title(kind: Kind, year: Option<u16>, genres: &str, rating: Option<u8>, votes: u64) -> Title {
        Title {
            kind,
            id: "tt0000001".into(),
            title: "t".into(),
            original_title: None,
            year: year.and_then(Year::new),
            end_year: None,
            runtime_minutes: None,
            genres: genres
                .split(';')
                .filter(|g| !g.is_empty())
                .map(String::from)
                .collect(),
            rating: rating.and_then(Rating::from_tenths),
            votes: Some(votes),
            tmdb: None,
        }
    }

    fn sample() -> Vec<Title> {
        use Kind::*;
        vec![
            title(Movie, Some(2000), "Comedy", Some(80), 100),
            title(Movie, Some(2000), "Comedy;Drama", Some(60), 300),
            title(Movie, Some(2000), "Animation;Comedy", Some(70), 0),
            title(Series, Some(2000), "Animation", Some(90), 50),
            title(Series, Some(2002), "Comedy", None, 10),
            title(Movie, Some(2002), "Animation", Some(50), 1000),
            title(Movie, None, "Comedy", Some(100), 5),
        ]
    }

    fn check(filter: Filter, expected_csv: &str) {
        let columns = Columns::from_titles(&sample());
        assert_eq!(aggregate(&columns, &filter).to_csv(), expected_csv);
    }

    const HEADER: &str =
        "year,kind,genre_group,titles,rated,mean_rating,weighted_mean_rating,total_votes\n";

    #[test]
    fn aggregates_match_hand_computed_values() {
        // 2000 movie comedy: (8.0 + 6.0) / 2 = 7.0; weighted (8*100 + 6*300) / 400 = 6.5.
        // 2000 movie both: rated with 0 votes, so no weighted mean.
        // 2001 is empty, 2002 series comedy is unrated; the undated title is never counted.
        check(
            Filter::default(),
            &format!(
                "{HEADER}2000,movie,comedy,2,2,7.0000,6.5000,400\n\
                 2000,movie,both,1,1,7.0000,,0\n\
                 2000,series,animation,1,1,9.0000,9.0000,50\n\
                 2002,movie,animation,1,1,5.0000,5.0000,1000\n\
                 2002,series,comedy,1,0,,,10\n"
            ),
        );
    }

    #[test]
    fn filters_drop_what_they_say() {
        let only_series = Filter {
            kinds: [false, true],
            ..Filter::default()
        };
        check(
            only_series,
            &format!(
                "{HEADER}2000,series,animation,1,1,9.0000,9.0000,50\n2002,series,comedy,1,0,,,10\n"
            ),
        );
        let popular = Filter {
            min_votes: 100,
            ..Filter::default()
        };
        check(
            popular,
            &format!(
                "{HEADER}2000,movie,comedy,2,2,7.0000,6.5000,400\n\
                 2002,movie,animation,1,1,5.0000,5.0000,1000\n"
            ),
        );
        let animation_2002 = Filter {
            groups: [false, true, false, false],
            years: (2001, 2010),
            ..Filter::default()
        };
        check(
            animation_2002,
            &format!("{HEADER}2002,movie,animation,1,1,5.0000,5.0000,1000\n"),
        );
        let nothing = Filter {
            years: (1990, 1995),
            ..Filter::default()
        };
        check(nothing, HEADER);
    }

    #[test]
    fn totals_match_hand_computed_values() {
        let totals = aggregate(&Columns::from_titles(&sample()), &Filter::default()).totals();
        assert_eq!(totals.titles, 6);
        assert_eq!(totals.movies, 4);
        assert_eq!(totals.series, 2);
        assert_eq!(totals.rated, 5);
        assert_eq!(totals.votes, 1460);
        // (8 + 6 + 7 + 9 + 5) / 5 = 7.0; weighted (800 + 1800 + 0 + 450 + 5000) / 1450.
        assert_eq!(totals.mean_rating, Some(7.0));
        let weighted = totals.weighted_mean_rating.unwrap();
        assert!((weighted - 8050.0 / 1450.0).abs() < 1e-12, "{weighted}");
        assert_eq!(totals.years, Some((2000, 2002)));
    }

    #[test]
    fn rows_cover_every_year_between_the_first_and_the_last() {
        let yearly = aggregate(&Columns::from_titles(&sample()), &Filter::default());
        let years: Vec<u16> = yearly.rows.iter().map(|row| row.year).collect();
        assert_eq!(years, [2000, 2001, 2002]);
        assert_eq!(yearly.rows[1].total(), Cell::default());
        assert_eq!(yearly.rows[0].by_group(GenreGroup::Comedy).titles, 2);
        assert_eq!(yearly.rows[0].by_kind(Kind::Series).titles, 1);
    }

    #[test]
    fn columns_know_their_span_undated_titles_and_groups() {
        let columns = Columns::from_titles(&sample());
        assert_eq!(columns.len(), 7);
        assert_eq!(columns.dated(), 6);
        assert_eq!(columns.year_span(), Some((2000, 2002)));
        assert!(columns.has_group(GenreGroup::Both));
        assert!(!columns.has_group(GenreGroup::Other));
    }

    #[test]
    fn empty_input_gives_empty_aggregates() {
        let yearly = aggregate(&Columns::new(), &Filter::default());
        assert!(yearly.rows.is_empty());
        assert_eq!(yearly.totals().titles, 0);
        assert_eq!(yearly.totals().mean_rating, None);
        assert_eq!(yearly.totals().years, None);
    }

    #[test]
    fn group_names_round_trip() {
        for group in GROUPS {
            assert_eq!(parse_group(group_name(group)), Some(group));
        }
        assert_eq!(parse_group("Comedy"), None);
    }

    /// The filters the end-to-end tests apply to the sample extract, as the dashboard's URL
    /// spells them (`tests/e2e/dashboard.test.mjs` opens `?data=…&<query>`).
    fn scenarios() -> Vec<(&'static str, &'static str, Filter)> {
        vec![
            ("all", "", Filter::default()),
            (
                "series",
                "kind=series",
                Filter {
                    kinds: [false, true],
                    ..Filter::default()
                },
            ),
            (
                "comedy",
                "genre=comedy",
                Filter {
                    groups: [true, false, false, false],
                    ..Filter::default()
                },
            ),
            (
                "years_1920_1940_min_100_votes",
                "from=1920&to=1940&min_votes=100",
                Filter {
                    years: (1920, 1940),
                    min_votes: 100,
                    ..Filter::default()
                },
            ),
            (
                "animation_movies",
                "kind=movie&genre=animation",
                Filter {
                    kinds: [true, false],
                    groups: [false, true, false, false],
                    ..Filter::default()
                },
            ),
        ]
    }

    /// Writes or checks `testdata/extract/expected/`: the aggregates CSV and KPI totals that the
    /// dashboard must show for each scenario. `CINELAKE_BLESS=1` rewrites them.
    fn check_expectations(extract: &str, expected_dir: &str) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let text = std::fs::read(root.join(extract)).expect("the extract fixture exists");
        let (titles, errors) = crate::extract::ExtractReader::new(text.as_slice())
            .expect("the fixture has the extract header")
            .read_all();
        assert!(errors.is_empty(), "{errors:?}");
        let columns = Columns::from_titles(&titles);
        let bless = std::env::var_os("CINELAKE_BLESS").is_some();
        write_expectations(&columns, &root.join(expected_dir), bless);
    }

    /// Writes (or, unless `write`, compares with) the expected aggregates of every scenario.
    fn write_expectations(columns: &Columns, dir: &std::path::Path, write: bool) {
        let mut totals_csv = String::from(
            "scenario,query,titles,movies,series,votes,mean_rating,weighted_mean_rating,years\n",
        );
        let mut files = vec![];
        for (name, query, filter) in scenarios() {
            let yearly = aggregate(columns, &filter);
            let totals = yearly.totals();
            let mean = |m: Option<f64>| m.map(|m| format!("{m:.4}")).unwrap_or_default();
            let _ = writeln!(
                totals_csv,
                "{name},{query},{},{},{},{},{},{},{}",
                totals.titles,
                totals.movies,
                totals.series,
                totals.votes,
                mean(totals.mean_rating),
                mean(totals.weighted_mean_rating),
                totals
                    .years
                    .map(|(a, b)| format!("{a}-{b}"))
                    .unwrap_or_default(),
            );
            files.push((format!("{name}.csv"), yearly.to_csv()));
        }
        files.push(("totals.csv".into(), totals_csv));
        for (file, content) in files {
            let path = dir.join(&file);
            if write {
                std::fs::create_dir_all(dir).unwrap();
                std::fs::write(&path, &content).unwrap();
            } else {
                let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                    panic!("{}: {e}; run with CINELAKE_BLESS=1", path.display())
                });
                assert_eq!(
                    committed,
                    content,
                    "{} is stale; run with CINELAKE_BLESS=1",
                    path.display()
                );
            }
        }
    }

    /// Generated titles (three movies to one series, like the real files) as the browser reads
    /// them: written by [`ExtractWriter`](crate::extract::ExtractWriter) and read back.
    fn generated_extract(titles: u64, seed: u64) -> (Vec<u8>, Vec<Title>) {
        use crate::generate::{GenOptions, titles as generate};
        use crate::raw::RawKind;
        let movies = titles * 3 / 4;
        let mut all = generate(&GenOptions {
            kind: RawKind::Movies,
            titles: movies,
            seed,
        });
        all.extend(generate(&GenOptions {
            kind: RawKind::Series,
            titles: titles - movies,
            seed,
        }));
        let mut writer = crate::extract::ExtractWriter::new(Vec::new()).unwrap();
        for title in &all {
            writer.write(title).unwrap();
        }
        let bytes = writer.finish().unwrap();
        let (read, errors) = crate::extract::ExtractReader::new(bytes.as_slice())
            .unwrap()
            .read_all();
        assert!(errors.is_empty(), "{errors:?}");
        (bytes, read)
    }

    /// The browser tests' and benchmark's big extracts: with `CINELAKE_EXTRACT_OUT=<dir>` (and
    /// optionally `CINELAKE_EXTRACT_TITLES`, default 100000, and `CINELAKE_EXTRACT_SEED`), writes
    /// `<dir>/titles.csv` and the expected aggregates beside it, as for the sample extract.
    /// Without it, checks the same computation on a small extract.
    #[test]
    fn generated_extract_aggregates_add_up() {
        let out = std::env::var_os("CINELAKE_EXTRACT_OUT");
        let number = |key: &str, default: u64| {
            std::env::var(key)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        let count = if out.is_some() {
            number("CINELAKE_EXTRACT_TITLES", 100_000)
        } else {
            2_000
        };
        let (bytes, titles) = generated_extract(count, number("CINELAKE_EXTRACT_SEED", 42));
        assert_eq!(titles.len() as u64, count);
        let columns = Columns::from_titles(&titles);
        let totals = aggregate(&columns, &Filter::default()).totals();
        assert_eq!(totals.titles, columns.dated() as u64);
        assert_eq!(
            totals.movies,
            titles
                .iter()
                .filter(|t| t.kind == Kind::Movie && t.year.is_some())
                .count() as u64
        );
        if let Some(dir) = out {
            let dir = std::path::PathBuf::from(dir);
            std::fs::create_dir_all(dir.join("expected")).unwrap();
            std::fs::write(dir.join("titles.csv"), &bytes).unwrap();
            write_expectations(&columns, &dir.join("expected"), true);
        }
    }

    #[test]
    fn sample_extract_expectations_are_current() {
        check_expectations(
            "testdata/extract/sample_titles.csv",
            "testdata/extract/expected",
        );
    }

    fn arb_title() -> impl Strategy<Value = Title> {
        (
            any::<bool>(),
            prop::option::weighted(0.9, 1990u16..2005),
            0usize..4,
            prop::option::weighted(0.8, 10u8..=100),
            0u64..5_000,
        )
            .prop_map(|(series, year, group, rating, votes)| {
                let kind = if series { Kind::Series } else { Kind::Movie };
                let genres = ["Comedy", "Animation", "Animation;Comedy", "Drama"][group];
                title(kind, year, genres, rating, votes)
            })
    }

    fn arb_filter() -> impl Strategy<Value = Filter> {
        (
            any::<[bool; 2]>(),
            any::<[bool; 4]>(),
            1985u16..2010,
            0u16..20,
            0u64..3_000,
        )
            .prop_map(|(kinds, groups, lo, span, min_votes)| Filter {
                kinds,
                groups,
                years: (lo, lo + span),
                min_votes,
            })
    }

    proptest! {
        #[test]
        fn counts_add_up_to_the_titles_the_filter_keeps(
            titles in prop::collection::vec(arb_title(), 0..200),
            filter in arb_filter(),
        ) {
            let yearly = aggregate(&Columns::from_titles(&titles), &filter);
            let kept: Vec<&Title> = titles.iter().filter(|t| filter.keeps(t)).collect();
            let totals = yearly.totals();
            prop_assert_eq!(totals.titles, kept.len() as u64);
            prop_assert_eq!(totals.movies + totals.series, totals.titles);
            prop_assert_eq!(totals.votes, kept.iter().map(|t| t.votes.unwrap_or(0)).sum::<u64>());
            let by_group: u64 = yearly.rows.iter()
                .map(|row| GROUPS.iter().map(|g| row.by_group(*g).titles).sum::<u64>())
                .sum();
            prop_assert_eq!(by_group, totals.titles);
            prop_assert_eq!(yearly.to_csv().lines().count() - 1,
                yearly.rows.iter().flat_map(|r| r.cells.iter().flatten()).filter(|c| c.titles > 0).count());
        }

        #[test]
        fn means_lie_between_the_lowest_and_highest_rating(
            titles in prop::collection::vec(arb_title(), 0..200),
            filter in arb_filter(),
        ) {
            let columns = Columns::from_titles(&titles);
            let yearly = aggregate(&columns, &filter);
            for row in &yearly.rows {
                for kind in KINDS {
                    for group in GROUPS {
                        let ratings: Vec<f64> = titles.iter()
                            .filter(|t| filter.keeps(t) && t.kind == kind && t.genre_group() == group
                                && t.year.map(Year::get) == Some(row.year))
                            .filter_map(|t| t.rating.map(Rating::value))
                            .collect();
                        let cell = row.cell(kind, group);
                        prop_assert_eq!(cell.rated, ratings.len() as u64);
                        let lo = ratings.iter().copied().fold(f64::INFINITY, f64::min);
                        let hi = ratings.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        for mean in [cell.mean_rating(), cell.weighted_mean_rating()].into_iter().flatten() {
                            prop_assert!(lo - 1e-9 <= mean && mean <= hi + 1e-9, "{} not in {}..{}", mean, lo, hi);
                        }
                    }
                }
            }
        }

        #[test]
        fn merging_cells_equals_aggregating_the_merged_titles(
            titles in prop::collection::vec(arb_title(), 0..100),
        ) {
            // Aggregating movies and series separately and merging must give the all-kinds cell.
            let columns = Columns::from_titles(&titles);
            let all = aggregate(&columns, &Filter::default()).total();
            let movies = aggregate(&columns, &Filter { kinds: [true, false], ..Filter::default() }).total();
            let series = aggregate(&columns, &Filter { kinds: [false, true], ..Filter::default() }).total();
            prop_assert_eq!(movies.merge(&series), all);
        }
    }
}
