//! The title model: one movie or series, as the refined zone and the dashboard extract hold it.
//!
//! The raw files carry one row per (title, artist); the raw reader folds those rows into
//! [`Title`]s. The value types here put the contract's preconditions into types, so code that
//! holds a [`Rating`] never has to ask whether it lies in 1.0–10.0.

use std::fmt;

/// Whether a title is a movie or a series. The extract spells these `movie` and `series`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Movie,
    Series,
}

impl Kind {
    /// The extract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Movie => "movie",
            Kind::Series => "series",
        }
    }

    /// Parses the extract's spelling (`movie` or `series`), exactly.
    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "movie" => Some(Kind::Movie),
            "series" => Some(Kind::Series),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A calendar year as IMDb records it (release, end, birth, death).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Year(pub u16);

impl Year {
    /// The earliest year accepted anywhere: cinema's prehistory (IMDb lists 1874 titles).
    pub const MIN: u16 = 1850;
    /// The latest year accepted: announced titles reach a few years ahead, nothing reaches 2100.
    pub const MAX: u16 = 2100;

    /// A year within [`Year::MIN`]..=[`Year::MAX`], or `None`.
    pub fn new(value: u16) -> Option<Year> {
        (Self::MIN..=Self::MAX)
            .contains(&value)
            .then_some(Year(value))
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An IMDb average rating, 1.0–10.0 with one decimal, stored exactly as tenths (10–100).
///
/// Storing tenths keeps equality exact, which the refine parity tests (DataFusion vs Spark) and
/// the extract round-trip rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rating(u8);

impl Rating {
    /// A rating from tenths (`75` is 7.5); `None` outside 10..=100.
    pub fn from_tenths(tenths: u8) -> Option<Rating> {
        (10..=100).contains(&tenths).then_some(Rating(tenths))
    }

    /// Parses `7`, `7.5` (one decimal at most), as the raw files and the extract write ratings.
    /// Anything else (`7,5`, `7.55`, `11`, `-1`, empty) is `None`.
    pub fn parse(text: &str) -> Option<Rating> {
        Rating::parse_ascii(text.as_bytes())
    }

    /// [`Rating::parse`] on bytes, for readers that check fields before any text exists.
    pub fn parse_ascii(bytes: &[u8]) -> Option<Rating> {
        let (whole, fraction): (&[u8], &[u8]) = match bytes.iter().position(|&b| b == b'.') {
            Some(dot) => (&bytes[..dot], &bytes[dot + 1..]),
            None => (bytes, b"0"),
        };
        let digit = |b: u8| b.is_ascii_digit().then(|| u16::from(b - b'0'));
        // At most 99.9: 999 tenths, so u16 holds any of it.
        let tenths = match (whole, fraction) {
            (&[w], &[f]) => digit(w)? * 10 + digit(f)?,
            (&[w1, w2], &[f]) => digit(w1)? * 100 + digit(w2)? * 10 + digit(f)?,
            _ => return None,
        };
        Rating::from_tenths(u8::try_from(tenths).ok()?)
    }

    pub fn tenths(self) -> u8 {
        self.0
    }

    pub fn value(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// Which of the two genres this project is about a title has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GenreGroup {
    /// Comedy and not Animation.
    Comedy,
    /// Animation and not Comedy.
    Animation,
    /// Both Comedy and Animation.
    Both,
    /// Neither (such titles exist in Raw and Trusted, never in Refined).
    Other,
}

impl GenreGroup {
    pub fn of(genres: &[String]) -> GenreGroup {
        let comedy = genres.iter().any(|g| g == "Comedy");
        let animation = genres.iter().any(|g| g == "Animation");
        match (comedy, animation) {
            (true, true) => GenreGroup::Both,
            (true, false) => GenreGroup::Comedy,
            (false, true) => GenreGroup::Animation,
            (false, false) => GenreGroup::Other,
        }
    }

    pub fn is_comedy(self) -> bool {
        matches!(self, GenreGroup::Comedy | GenreGroup::Both)
    }

    pub fn is_animation(self) -> bool {
        matches!(self, GenreGroup::Animation | GenreGroup::Both)
    }
}

/// What The Movie Database (TMDB) says about a title, as `cinelake refine` joins it from
/// `Raw/TMDB/JSON` (`cinelake enrich`). Every field may be missing: TV details have no budget or
/// revenue, and TMDB's "unknown" values (a budget of 0, an average of a title nobody voted on)
/// are stored as `None`, not as numbers.
///
/// Why a separate struct in an `Option` on [`Title`] rather than six more fields: titles are built
/// in many places (the raw fold, the generator, tests) that know nothing of TMDB and only add
/// `tmdb: None`; "has TMDB data" is one check; and the extract's optional trailing columns map to
/// one value that is there or not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tmdb {
    /// Production budget in US dollars.
    pub budget: Option<u64>,
    /// Box-office revenue in US dollars.
    pub revenue: Option<u64>,
    /// TMDB's popularity score (finite, not negative; no upper bound).
    pub popularity: Option<f64>,
    /// TMDB users' mean vote, 0–10 with up to three decimals (not IMDb's rating).
    pub vote_average: Option<f64>,
    /// How many TMDB users voted.
    pub vote_count: Option<u64>,
    /// ISO 3166-1 codes of the production countries, in TMDB's order.
    pub production_countries: Vec<String>,
}

impl Tmdb {
    /// True when no field holds a value: the extract writes such a title like one without TMDB
    /// data, and reads it back as `None`.
    pub fn is_empty(&self) -> bool {
        self.budget.is_none()
            && self.revenue.is_none()
            && self.popularity.is_none()
            && self.vote_average.is_none()
            && self.vote_count.is_none()
            && self.production_countries.is_empty()
    }
}

/// One movie or series: a row of the dashboard extract and of `Refined/titles`.
///
/// `PartialEq` only (not `Eq`): the TMDB popularity and vote average are `f64`.
#[derive(Debug, Clone, PartialEq)]
pub struct Title {
    pub kind: Kind,
    /// The IMDb id, `tt` followed by digits.
    pub id: String,
    pub title: String,
    pub original_title: Option<String>,
    pub year: Option<Year>,
    /// Series only: the year the series ended; `None` while it runs.
    pub end_year: Option<Year>,
    pub runtime_minutes: Option<u32>,
    /// IMDb genres in the order the source lists them (up to three).
    pub genres: Vec<String>,
    pub rating: Option<Rating>,
    pub votes: Option<u64>,
    /// TMDB's data when refine matched the title (never `Some` of an empty [`Tmdb`] in what the
    /// extract reader returns).
    pub tmdb: Option<Tmdb>,
}

impl Title {
    pub fn genre_group(&self) -> GenreGroup {
        GenreGroup::of(&self.genres)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_parses_the_formats_the_data_uses() {
        let check = |text: &str, expected: Option<u8>| {
            assert_eq!(
                Rating::parse(text).map(Rating::tenths),
                expected,
                "{text:?}"
            );
        };
        check("7.5", Some(75));
        check("10.0", Some(100));
        check("1.0", Some(10));
        check("6", Some(60));
        check("10", Some(100));
        check("0.9", None);
        check("10.1", None);
        check("7,5", None);
        check("7.55", None);
        check("7.", None);
        check(".5", None);
        check("-1.0", None);
        check("+7.5", None);
        check("", None);
        check("\\N", None);
        check("100", None);
        check("99.9", None);
        check("7.5.5", None);
        check("09.5", Some(95));
    }

    #[test]
    fn rating_displays_with_one_decimal() {
        assert_eq!(Rating::parse("6").unwrap().to_string(), "6.0");
        assert_eq!(Rating::parse("9.9").unwrap().to_string(), "9.9");
        assert_eq!(Rating::parse("10").unwrap().to_string(), "10.0");
    }

    #[test]
    fn genre_group_reads_comedy_and_animation() {
        let group = |genres: &[&str]| {
            GenreGroup::of(&genres.iter().map(|g| g.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(group(&["Animation", "Comedy"]), GenreGroup::Both);
        assert_eq!(group(&["Comedy", "Drama"]), GenreGroup::Comedy);
        assert_eq!(group(&["Animation"]), GenreGroup::Animation);
        assert_eq!(group(&["Drama"]), GenreGroup::Other);
        assert_eq!(group(&[]), GenreGroup::Other);
        // IMDb spells genres with a capital; a lowercase one is not the same genre.
        assert_eq!(group(&["comedy"]), GenreGroup::Other);
    }

    #[test]
    fn kind_round_trips_its_spelling() {
        for kind in [Kind::Movie, Kind::Series] {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("Movie"), None);
    }
}
