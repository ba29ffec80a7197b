//! The model's inputs: six numeric features per title (nine with the opt-in TMDB features) and
//! the rating to predict.
//!
//! A title enters the model only if it passes the dashboard's [`Filter`] and has every feature
//! and a rating; the others are counted in [`Excluded`] so the page can say how many were left
//! out and why, instead of silently fitting on fewer rows.

use serde::Serialize;

use super::BLOCK;
use crate::title::{GenreGroup, Kind, Rating, Title};
use crate::yearly::Filter;

/// How many features the default set has (the first [`FEATURES`] names of [`FEATURE_NAMES`]).
pub const FEATURES: usize = 6;

/// How many features a row can hold: the default six and the three TMDB features.
///
/// Why every row is a fixed `[f64; MAX_FEATURES]` with an active width ([`Dataset::width`])
/// rather than a `Vec` per row or a const generic over the width: the fit and the forest keep
/// their fixed-size arrays (no allocation per row, no generic parameter rippling through
/// `Dataset`, `Fitted`, `Evaluation` and the dashboard), and with the default width of six every
/// loop runs over exactly the columns and in exactly the order it did before, and the forest
/// draws exactly the same random numbers, so default results stay bit for bit the same. The
/// cost is three unused zeros per row (24 bytes; 2.4 MB at 100k titles).
pub const MAX_FEATURES: usize = FEATURES + TMDB_FEATURES;

/// How many features the TMDB set adds.
pub const TMDB_FEATURES: usize = 3;

/// One row of features; only the first [`FeatureSet::width`] columns are meaningful, the rest
/// are zero.
pub type Row = [f64; MAX_FEATURES];

/// Every feature's name, in the order of [`Dataset::x`]'s columns and of the coefficients.
pub const FEATURE_NAMES: [&str; MAX_FEATURES] = [
    "year",
    "runtime_minutes",
    "ln_votes",
    "is_comedy",
    "is_animation",
    "is_series",
    "ln_budget",
    "ln_popularity",
    "tmdb_vote_average",
];

/// Which features the model uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureSet {
    /// year, runtime, ln(1 + votes), is_comedy, is_animation, is_series.
    #[default]
    Base,
    /// The base six, then ln(1 + budget), ln(1 + popularity) and the TMDB vote average; titles
    /// without all three are excluded.
    Tmdb,
}

impl FeatureSet {
    /// How many columns of a [`Row`] this set uses.
    pub fn width(self) -> usize {
        match self {
            FeatureSet::Base => FEATURES,
            FeatureSet::Tmdb => MAX_FEATURES,
        }
    }

    /// Whether this is the default set (serde's `skip_serializing_if` takes a reference).
    pub fn is_base(set: &FeatureSet) -> bool {
        *set == FeatureSet::Base
    }

    /// The names of the columns this set uses.
    pub fn names(self) -> &'static [&'static str] {
        &FEATURE_NAMES[..self.width()]
    }
}

/// Why titles did not enter the model. A title missing several fields counts once in `total`
/// and once in each field's count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Excluded {
    /// Titles the filter removed (not an error: the user asked for it).
    pub filtered: usize,
    /// Titles that passed the filter but miss a feature or the rating.
    pub total: usize,
    pub no_year: usize,
    pub no_runtime: usize,
    pub no_votes: usize,
    pub no_rating: usize,
    /// Titles missing a TMDB feature (budget, popularity or TMDB vote average); `None` when the
    /// TMDB features are off, so the default report is unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_tmdb: Option<usize>,
}

impl Excluded {
    /// Counts one title that passed the filter but misses what is flagged.
    fn count_missing(&mut self, year: bool, runtime: bool, votes: bool, rating: bool) {
        self.total += 1;
        self.no_year += usize::from(year);
        self.no_runtime += usize::from(runtime);
        self.no_votes += usize::from(votes);
        self.no_rating += usize::from(rating);
    }
}

/// The usable rows: features, target, and where each row came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// One row of [`FEATURE_NAMES`] per usable title (the first [`Dataset::width`] used).
    pub x: Vec<Row>,
    /// The rating (1.0–10.0) of each row.
    pub y: Vec<f64>,
    /// The index of each row's title in the slice given to [`dataset`].
    pub source: Vec<usize>,
    pub excluded: Excluded,
    /// The feature set the rows were built with.
    pub features: FeatureSet,
}

impl Dataset {
    /// How many columns of each row are features.
    pub fn width(&self) -> usize {
        self.features.width()
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
}

/// A title's features, or `None` if it lacks the year, the runtime or the vote count (or, for
/// [`FeatureSet::Tmdb`], the budget, the popularity or the TMDB vote average).
pub fn features(title: &Title, set: FeatureSet) -> Option<Row> {
    features_grouped(title, title.genre_group(), set)
}

/// The TMDB features: ln(1 + budget), ln(1 + popularity), the TMDB vote average.
fn tmdb_features(title: &Title) -> Option<[f64; TMDB_FEATURES]> {
    let tmdb = title.tmdb.as_ref()?;
    Some([
        // u64 → f64 rounds above 2^53 dollars, far beyond any real budget.
        (tmdb.budget? as f64).ln_1p(),
        // The extract reader guarantees a finite popularity that is not negative.
        tmdb.popularity?.ln_1p(),
        tmdb.vote_average?,
    ])
}

/// [`features`] for a title whose genre group is already known.
fn features_grouped(title: &Title, group: GenreGroup, set: FeatureSet) -> Option<Row> {
    let year = title.year?;
    let runtime = title.runtime_minutes?;
    let votes = title.votes?;
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let tmdb = match set {
        FeatureSet::Base => [0.0; TMDB_FEATURES],
        FeatureSet::Tmdb => tmdb_features(title)?,
    };
    Some([
        f64::from(year.get()),
        f64::from(runtime),
        // u64 → f64 rounds above 2^53 votes, far beyond any real count.
        (votes as f64).ln_1p(),
        flag(group.is_comedy()),
        flag(group.is_animation()),
        flag(title.kind == Kind::Series),
        tmdb[0],
        tmdb[1],
        tmdb[2],
    ])
}

/// The usable rows among `titles` that pass `filter`, in title order.
///
/// A title without a release year cannot pass a year filter, but it is counted as missing its
/// year (not as filtered), because that is what the user needs to know about it.
pub fn dataset(titles: &[Title], filter: &Filter, set: FeatureSet) -> Dataset {
    // Room for every title up front: growing vectors of this size dominated the step in wasm.
    let mut data = Dataset {
        x: Vec::with_capacity(titles.len()),
        y: Vec::with_capacity(titles.len()),
        source: Vec::with_capacity(titles.len()),
        excluded: Excluded {
            no_tmdb: (set == FeatureSet::Tmdb).then_some(0),
            ..Excluded::default()
        },
        features: set,
    };
    for (block, chunk) in titles.chunks(BLOCK).enumerate() {
        add_block(&mut data, block * BLOCK, chunk, filter, set);
    }
    data
}

/// What the default feature set needs of one title, packed (32 bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Packed {
    /// ln(1 + votes), worked out once; meaningless when `votes` is `None`.
    ln_votes: f64,
    votes: Option<u64>,
    runtime: Option<u32>,
    year: Option<u16>,
    rating: Option<Rating>,
    kind: Kind,
    group: GenreGroup,
}

/// The titles packed for the model's default features: one entry per title, in load order,
/// holding only what [`dataset`] reads for [`FeatureSet::Base`].
///
/// Why: building the dataset from [`Title`]s visits every title's heap-allocated genres
/// (string comparisons for the genre group) and works out ln(1 + votes) again on every model
/// run; at 363k titles that walk over about 150 MB of titles was most of the model's first
/// run in the browser. The dashboard fills these columns while it parses (the download is
/// the slower side there), and [`prepare_packed`](super::prepare_packed) reads 32 bytes per
/// title in order. The rows it gives are exactly [`dataset`]'s (a test checks it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeatureColumns {
    titles: Vec<Packed>,
}

impl FeatureColumns {
    pub fn new() -> FeatureColumns {
        FeatureColumns::default()
    }

    /// Room for `titles` more titles.
    pub fn with_capacity(titles: usize) -> FeatureColumns {
        FeatureColumns {
            titles: Vec::with_capacity(titles),
        }
    }

    pub fn from_titles<'a>(titles: impl IntoIterator<Item = &'a Title>) -> FeatureColumns {
        let mut columns = FeatureColumns::new();
        for title in titles {
            columns.push(title);
        }
        columns
    }

    /// Adds one title (the next in load order).
    pub fn push(&mut self, title: &Title) {
        self.push_grouped(title, title.genre_group());
    }

    /// [`FeatureColumns::push`] for a caller that already knows the title's genre group.
    pub fn push_grouped(&mut self, title: &Title, group: GenreGroup) {
        self.titles.push(Packed {
            // u64 → f64 rounds above 2^53 votes, far beyond any real count.
            ln_votes: title.votes.map_or(0.0, |votes| (votes as f64).ln_1p()),
            votes: title.votes,
            runtime: title.runtime_minutes,
            year: title.year.map(|year| year.get()),
            rating: title.rating,
            kind: title.kind,
            group,
        });
    }

    pub fn len(&self) -> usize {
        self.titles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.titles.is_empty()
    }

    /// Frees the room reserved beyond the titles held.
    pub fn shrink_to_fit(&mut self) {
        self.titles.shrink_to_fit();
    }
}

/// [`dataset`] with the default features, from packed columns: the same rows, targets, sources
/// and exclusions.
pub fn dataset_packed(columns: &FeatureColumns, filter: &Filter) -> Dataset {
    let titles = &columns.titles;
    let mut data = Dataset {
        x: Vec::with_capacity(titles.len()),
        y: Vec::with_capacity(titles.len()),
        source: Vec::with_capacity(titles.len()),
        excluded: Excluded::default(),
        features: FeatureSet::Base,
    };
    for (block, chunk) in titles.chunks(BLOCK).enumerate() {
        add_packed_block(&mut data, block * BLOCK, chunk, filter);
    }
    data
}

/// [`add_block`] on packed titles: the same decisions in the same order.
#[inline(never)]
fn add_packed_block(data: &mut Dataset, first: usize, titles: &[Packed], filter: &Filter) {
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    for (index, title) in (first..).zip(titles) {
        if let Some(year) = title.year
            && !filter.keeps_values(title.kind, title.group, year, title.votes)
        {
            data.excluded.filtered += 1;
            continue;
        }
        match (title.year, title.runtime, title.votes, title.rating) {
            (Some(year), Some(runtime), Some(_), Some(rating)) => {
                data.x.push([
                    f64::from(year),
                    f64::from(runtime),
                    title.ln_votes,
                    flag(title.group.is_comedy()),
                    flag(title.group.is_animation()),
                    flag(title.kind == Kind::Series),
                    0.0,
                    0.0,
                    0.0,
                ]);
                data.y.push(rating.value());
                data.source.push(index);
            }
            _ => data.excluded.count_missing(
                title.year.is_none(),
                title.runtime.is_none(),
                title.votes.is_none(),
                title.rating.is_none(),
            ),
        }
    }
}

/// Adds `titles` (the first at index `first`) to `data`: one call per [`BLOCK`].
#[inline(never)]
fn add_block(data: &mut Dataset, first: usize, titles: &[Title], filter: &Filter, set: FeatureSet) {
    for (index, title) in (first..).zip(titles) {
        let group = title.genre_group();
        if title.year.is_some() && !filter.keeps_grouped(title, group) {
            data.excluded.filtered += 1;
            continue;
        }
        let rating = title.rating.map(|rating| rating.value());
        match (features_grouped(title, group, set), rating) {
            (Some(row), Some(rating)) => {
                data.x.push(row);
                data.y.push(rating);
                data.source.push(index);
            }
            _ => {
                let excluded = &mut data.excluded;
                excluded.count_missing(
                    title.year.is_none(),
                    title.runtime_minutes.is_none(),
                    title.votes.is_none(),
                    title.rating.is_none(),
                );
                if let Some(no_tmdb) = &mut excluded.no_tmdb {
                    *no_tmdb += usize::from(tmdb_features(title).is_none());
                }
            }
        }
    }
}
