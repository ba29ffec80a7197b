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

    /// SplitMix64 of a title id's digits and a salt: deterministic noise per title.
    fn noise(id: &str, salt: u64) -> f64 {
        let digits: u64 = id[2..].parse().unwrap_or(0);
        let mut z = digits
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(salt);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Made-up TMDB data for about half the titles: budgets (movies only) that grow with the
    /// rating and the votes, so the fixture's chart shows a relation; the rest is noise.
    fn synthetic_tmdb(title: &Title) -> Option<Tmdb> {
        if noise(&title.id, 1) < 0.45 {
            return None;
        }
        let rating = title.rating.map_or(6.0, |r| r.value());
        let votes = title.votes.unwrap_or(0) as f64;
        let budget = (title.kind == Kind::Movie && noise(&title.id, 2) < 0.7).then(|| {
            let log = 4.8
                + 0.3 * (rating - 6.0)
                + 0.25 * votes.ln_1p()
                + 1.6 * (noise(&title.id, 3) - 0.5);
            10f64.powf(log.clamp(3.0, 8.6)).round() as u64
        });
        let countries = ["US", "GB", "FR", "JP", "BR", "DE", "CA", "KR"];
        let first = (noise(&title.id, 4) * countries.len() as f64) as usize;
        let mut production_countries = vec![countries[first % countries.len()].to_string()];
        if noise(&title.id, 5) < 0.3 {
            production_countries.push(countries[(first + 3) % countries.len()].to_string());
        }
        let vote_count = (votes / 8.0 * (0.5 + noise(&title.id, 6))).round() as u64;
        Some(Tmdb {
            budget,
            revenue: budget.map(|b| (b as f64 * 3.0 * noise(&title.id, 7)).round() as u64),
            popularity: Some((votes.ln_1p() * 3.0 * noise(&title.id, 8) * 1000.0).round() / 1000.0),
            vote_average: (vote_count > 0).then(|| {
                ((rating + noise(&title.id, 9) - 0.5).clamp(0.0, 10.0) * 1000.0).round() / 1000.0
            }),
            vote_count: Some(vote_count),
            production_countries,
        })
    }

    /// The end-to-end tests' TMDB extract (`testdata/extract/tmdb_titles.csv`: generated titles
    /// with made-up TMDB data) and what the dashboard must show for it under the default filter
    /// (`testdata/extract/expected_tmdb.json`). `CINELAKE_BLESS=1` rewrites both.
    #[test]
    fn tmdb_fixture_is_current() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let titles: Vec<Title> = crate::generate::extract_titles(3000, 10)
            .into_iter()
            .map(|t| Title {
                tmdb: synthetic_tmdb(&t),
                ..t
            })
            .collect();
        let mut writer = crate::extract::ExtractWriter::with_columns(
            Vec::new(),
            crate::extract::Columns::WithTmdb,
        )
        .unwrap();
        for title in &titles {
            writer.write(title).unwrap();
        }
        let csv = writer.finish().unwrap();
        let s = summary(&titles, &Filter::default());
        let expected = format!(
            "{{\"titles\":{},\"with_tmdb\":{},\"points\":{},\"r\":\"{:.2}\"}}\n",
            s.titles,
            s.with_tmdb,
            s.points.len(),
            s.log_budget_rating_r.unwrap_or(f64::NAN)
        );
        let files = [
            ("testdata/extract/tmdb_titles.csv", csv),
            ("testdata/extract/expected_tmdb.json", expected.into_bytes()),
        ];
        let bless = std::env::var_os("CINELAKE_BLESS").is_some();
        for (file, content) in files {
            let path = root.join(file);
            if bless {
                std::fs::write(&path, &content).unwrap();
            } else {
                let current = std::fs::read(&path).unwrap_or_default();
                assert!(
                    current == content,
                    "{file} is out of date: run CINELAKE_BLESS=1 cargo test -p cinelake-core tmdb_fixture"
                );
            }
        }
        assert!(s.with_tmdb > 1000 && s.points.len() > 500, "{s:?}");
    }

    #[test]
    fn constant_ratings_have_no_correlation() {
        let pairs = [(1.0, 5.0), (2.0, 5.0), (3.0, 5.0)];
        assert_eq!(correlation(pairs.iter().copied()), None);
        assert_eq!(correlation(pairs[..2].iter().copied()), None);
    }
}
