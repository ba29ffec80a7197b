//! The model's inputs: six numeric features per title and the rating to predict.
//!
//! A title enters the model only if it passes the dashboard's [`Filter`] and has every feature
//! and a rating; the others are counted in [`Excluded`] so the page can say how many were left
//! out and why, instead of silently fitting on fewer rows.

use serde::Serialize;

use super::BLOCK;
use crate::title::{GenreGroup, Kind, Title};
use crate::yearly::Filter;

/// How many features each row has.
pub const FEATURES: usize = 6;

/// The features' names, in the order of [`Dataset::x`]'s columns and of the coefficients.
pub const FEATURE_NAMES: [&str; FEATURES] = [
    "year",
    "runtime_minutes",
    "ln_votes",
    "is_comedy",
    "is_animation",
    "is_series",
];

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
}

/// The usable rows: features, target, and where each row came from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// One row of [`FEATURE_NAMES`] per usable title.
    pub x: Vec<[f64; FEATURES]>,
    /// The rating (1.0–10.0) of each row.
    pub y: Vec<f64>,
    /// The index of each row's title in the slice given to [`dataset`].
    pub source: Vec<usize>,
    pub excluded: Excluded,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
}

/// A title's features, or `None` if it lacks the year, the runtime or the vote count.
pub fn features(title: &Title) -> Option<[f64; FEATURES]> {
    features_grouped(title, title.genre_group())
}

/// [`features`] for a title whose genre group is already known.
fn features_grouped(title: &Title, group: GenreGroup) -> Option<[f64; FEATURES]> {
    let year = title.year?;
    let runtime = title.runtime_minutes?;
    let votes = title.votes?;
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    Some([
        f64::from(year.get()),
        f64::from(runtime),
        // u64 → f64 rounds above 2^53 votes, far beyond any real count.
        (votes as f64).ln_1p(),
        flag(group.is_comedy()),
        flag(group.is_animation()),
        flag(title.kind == Kind::Series),
    ])
}

/// The usable rows among `titles` that pass `filter`, in title order.
///
/// A title without a release year cannot pass a year filter, but it is counted as missing its
/// year (not as filtered), because that is what the user needs to know about it.
pub fn dataset(titles: &[Title], filter: &Filter) -> Dataset {
    // Room for every title up front: growing vectors of this size dominated the step in wasm.
    let mut data = Dataset {
        x: Vec::with_capacity(titles.len()),
        y: Vec::with_capacity(titles.len()),
        source: Vec::with_capacity(titles.len()),
        excluded: Excluded::default(),
    };
    for (block, chunk) in titles.chunks(BLOCK).enumerate() {
        add_block(&mut data, block * BLOCK, chunk, filter);
    }
    data
}

/// Adds `titles` (the first at index `first`) to `data`: one call per [`BLOCK`].
#[inline(never)]
fn add_block(data: &mut Dataset, first: usize, titles: &[Title], filter: &Filter) {
    for (index, title) in (first..).zip(titles) {
        let group = title.genre_group();
        if title.year.is_some() && !filter.keeps_grouped(title, group) {
            data.excluded.filtered += 1;
            continue;
        }
        let rating = title.rating.map(|rating| rating.value());
        match (features_grouped(title, group), rating) {
            (Some(row), Some(rating)) => {
                data.x.push(row);
                data.y.push(rating);
                data.source.push(index);
            }
            _ => {
                let excluded = &mut data.excluded;
                excluded.total += 1;
                excluded.no_year += usize::from(title.year.is_none());
                excluded.no_runtime += usize::from(title.runtime_minutes.is_none());
                excluded.no_votes += usize::from(title.votes.is_none());
                excluded.no_rating += usize::from(title.rating.is_none());
            }
        }
    }
}
