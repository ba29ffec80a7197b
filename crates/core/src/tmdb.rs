//! TMDB figures for the dashboard: how many titles carry TMDB data, and budget against rating.
//!
//! The dashboard shows its TMDB section only when the loaded extract has TMDB data
//! ([`has_tmdb`]); the numbers it shows come from here, under the same [`Filter`] as every other
//! figure of the page.

use crate::title::{Kind, Title};
use crate::yearly::Filter;

/// Whether any title carries TMDB data (an extract without the TMDB columns has none).
pub fn has_tmdb(titles: &[Title]) -> bool {
    titles.iter().any(|t| t.tmdb.is_some())
}

/// One point of the budget-vs-rating scatter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetPoint {
    /// US dollars, at least 1.
    pub budget: u64,
    /// The IMDb rating, 1.0–10.0.
    pub rating: f64,
    pub kind: Kind,
}

/// The TMDB section's figures for the titles that pass a filter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TmdbSummary {
    /// Titles that pass the filter.
    pub titles: usize,
    /// Of those, titles with TMDB data.
    pub with_tmdb: usize,
    /// Of those, titles with both a TMDB budget and an IMDb rating: the scatter's points.
    pub points: Vec<BudgetPoint>,
    /// Pearson's r between log10(budget) and the rating over [`TmdbSummary::points`]; `None`
    /// with fewer than 3 points or when either side does not vary.
    pub log_budget_rating_r: Option<f64>,
}

/// The figures for the titles of `titles` that `filter` keeps.
pub fn summary(titles: &[Title], filter: &Filter) -> TmdbSummary {
    let mut out = TmdbSummary::default();
    for title in titles.iter().filter(|t| filter.keeps(t)) {
        out.titles += 1;
        let Some(tmdb) = &title.tmdb else {
            continue;
        };
        out.with_tmdb += 1;
        if let (Some(budget), Some(rating)) = (tmdb.budget.filter(|b| *b > 0), title.rating) {
            out.points.push(BudgetPoint {
                budget,
                rating: rating.value(),
                kind: title.kind,
            });
        }
    }
    out.log_budget_rating_r = correlation(
        out.points
            .iter()
            .map(|p| ((p.budget as f64).log10(), p.rating)),
    );
    out
}

/// Pearson's correlation of `(x, y)` pairs (two passes for accuracy: means first).
fn correlation(pairs: impl Iterator<Item = (f64, f64)> + Clone) -> Option<f64> {
    let (n, sx, sy) = pairs
        .clone()
        .fold((0usize, 0.0, 0.0), |(n, sx, sy), (x, y)| {
            (n + 1, sx + x, sy + y)
        });
    if n < 3 {
        return None;
    }
    let (mx, my) = (sx / n as f64, sy / n as f64);
    let (sxx, syy, sxy) = pairs.fold((0.0, 0.0, 0.0), |(sxx, syy, sxy), (x, y)| {
        let (dx, dy) = (x - mx, y - my);
        (sxx + dx * dx, syy + dy * dy, sxy + dx * dy)
    });
    let r = sxy / (sxx * syy).sqrt();
    r.is_finite().then_some(r.clamp(-1.0, 1.0))
}

/// The log10 decades that hold every budget: `(floor(log10(min)), ceil(log10(max)))`, at least
/// one decade wide; `(3, 9)` ($1k to $1bn) when there are no points.
pub fn budget_decades(points: &[BudgetPoint]) -> (i32, i32) {
    let mut range: Option<(u64, u64)> = None;
    for p in points {
        range = Some(match range {
            None => (p.budget, p.budget),
            Some((lo, hi)) => (lo.min(p.budget), hi.max(p.budget)),
        });
    }
    let Some((lo, hi)) = range else {
        return (3, 9);
    };
    // Budgets are at least 1, so both logs are finite and at least 0; u64 fits in 20 decades.
    let lo = (lo as f64).log10().floor() as i32;
    let hi = (hi as f64).log10().ceil() as i32;
    (lo, hi.max(lo + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::title::{Rating, Tmdb, Year};

    fn title(id: u32, kind: Kind, rating: Option<u8>, tmdb: Option<Tmdb>) -> Title {
        Title {
            kind,
            id: format!("tt{id}"),
            title: format!("T{id}"),
            original_title: None,
            year: Year::new(2000),
            end_year: None,
            runtime_minutes: Some(90),
            genres: vec!["Comedy".into()],
            rating: rating.and_then(Rating::from_tenths),
            votes: Some(100),
            tmdb,
        }
    }

    fn budget(b: u64) -> Option<Tmdb> {
        Some(Tmdb {
            budget: Some(b),
            ..Tmdb::default()
        })
    }

    #[test]
    fn summary_counts_points_and_correlates_log_budget() {
        let titles = [
            title(1, Kind::Movie, Some(50), budget(1_000)),
            title(2, Kind::Movie, Some(60), budget(10_000)),
            title(3, Kind::Movie, Some(70), budget(100_000)),
            // TMDB data without a budget, a budget without a rating, no TMDB data.
            title(
                4,
                Kind::Series,
                Some(80),
                Some(Tmdb {
                    popularity: Some(2.0),
                    ..Tmdb::default()
                }),
            ),
            title(5, Kind::Movie, None, budget(5)),
            title(6, Kind::Movie, Some(90), None),
        ];
        let s = summary(&titles, &Filter::default());
        assert_eq!((s.titles, s.with_tmdb, s.points.len()), (6, 5, 3));
        assert_eq!(
            s.points[1],
            BudgetPoint {
                budget: 10_000,
                rating: 6.0,
                kind: Kind::Movie
            }
        );
        // Rating rises by one per decade of budget: a perfect line in log space.
        let r = s.log_budget_rating_r.unwrap();
        assert!((r - 1.0).abs() < 1e-12, "{r}");
        assert_eq!(budget_decades(&s.points), (3, 5));

        // The filter applies: series only.
        let series = Filter {
            kinds: [false, true],
            ..Filter::default()
        };
        let s = summary(&titles, &series);
        assert_eq!((s.titles, s.with_tmdb, s.points.len()), (1, 1, 0));
        assert_eq!(s.log_budget_rating_r, None);
        assert!(has_tmdb(&titles));
        assert!(!has_tmdb(&titles[5..]));
    }

    #[test]
    fn decades_cover_the_budgets_and_are_never_empty() {
        let point = |budget| BudgetPoint {
            budget,
            rating: 5.0,
            kind: Kind::Movie,
        };
        assert_eq!(budget_decades(&[]), (3, 9));
        assert_eq!(budget_decades(&[point(1)]), (0, 1));
        assert_eq!(budget_decades(&[point(1_000_000)]), (6, 7));
        assert_eq!(budget_decades(&[point(2_500), point(380_000_000)]), (3, 9));
        assert_eq!(budget_decades(&[point(u64::MAX)]), (19, 20));
    }

    #[test]
    fn constant_ratings_have_no_correlation() {
        let pairs = [(1.0, 5.0), (2.0, 5.0), (3.0, 5.0)];
        assert_eq!(correlation(pairs.iter().copied()), None);
        assert_eq!(correlation(pairs[..2].iter().copied()), None);
    }
}
