//! Where the model errs: the residual histogram, residuals by release year, and the largest
//! errors. A residual is `actual − predicted`: positive when the model underrates a title.

use serde::Serialize;

/// Equal-width bins from `start`; bin `i` covers `[start + i·width, start + (i+1)·width)`, the
/// last bin also holding its upper edge.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Histogram {
    pub start: f64,
    pub width: f64,
    pub counts: Vec<u64>,
}

impl Histogram {
    /// The bins' edges (one more than the bins).
    pub fn edges(&self) -> Vec<f64> {
        (0..=self.counts.len())
            .map(|i| self.start + i as f64 * self.width)
            .collect()
    }
}

/// A histogram of `values` with `bins` bins spanning their range (at least one bin; a
/// single distinct value gets one bin of width 1 centred on it).
pub fn histogram(values: &[f64], bins: usize) -> Histogram {
    let bins = bins.max(1);
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let Some((lo, hi)) = finite.fold(None, |span: Option<(f64, f64)>, v| {
        Some(span.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
    }) else {
        return Histogram {
            start: 0.0,
            width: 1.0,
            counts: vec![0; bins],
        };
    };
    if hi == lo {
        return Histogram {
            start: lo - 0.5,
            width: 1.0,
            counts: vec![values.len() as u64],
        };
    }
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0; bins];
    for v in values.iter().filter(|v| v.is_finite()) {
        // Truncation is the binning; `min` puts the maximum into the last bin.
        let i = (((v - lo) / width) as usize).min(bins - 1);
        counts[i] += 1;
    }
    Histogram {
        start: lo,
        width,
        counts,
    }
}

/// The residuals of one release year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct YearResiduals {
    pub year: u16,
    pub count: u64,
    /// Mean residual: the model's bias that year.
    pub mean: f64,
    /// Mean absolute residual.
    pub mean_abs: f64,
}

/// Residuals grouped by year, ascending; `pairs` is (year, residual).
pub fn by_year(pairs: impl IntoIterator<Item = (u16, f64)>) -> Vec<YearResiduals> {
    let mut map = std::collections::BTreeMap::<u16, (u64, f64, f64)>::new();
    for (year, r) in pairs {
        let entry = map.entry(year).or_default();
        entry.0 += 1;
        entry.1 += r;
        entry.2 += r.abs();
    }
    map.into_iter()
        .map(|(year, (count, sum, abs))| YearResiduals {
            year,
            count,
            mean: sum / count as f64,
            mean_abs: abs / count as f64,
        })
        .collect()
}

/// The positions of the `n` largest absolute residuals, largest first; ties keep input order.
pub fn largest(residuals: &[f64], n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..residuals.len()).collect();
    // |r| descending, then position ascending: a total order, so selecting the first n and
    // sorting only those gives what a stable sort of everything would, without sorting the
    // whole test set. NaN (never produced by the models) sorts last.
    let rank = |&a: &usize, &b: &usize| {
        let (x, y) = (residuals[a].abs(), residuals[b].abs());
        match (x.is_nan(), y.is_nan()) {
            (false, true) => std::cmp::Ordering::Less,
            (true, false) => std::cmp::Ordering::Greater,
            _ => y.partial_cmp(&x).unwrap_or(std::cmp::Ordering::Equal),
        }
        .then(a.cmp(&b))
    };
    if n < order.len() {
        order.select_nth_unstable_by(n, rank);
        order.truncate(n);
    }
    order.sort_unstable_by(rank);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_cover_the_range() {
        let check = |values: &[f64], bins: usize, start: f64, width: f64, counts: &[u64]| {
            let h = histogram(values, bins);
            assert_eq!(h.counts, counts, "{values:?}");
            assert!(
                (h.start - start).abs() < 1e-12 && (h.width - width).abs() < 1e-12,
                "{h:?}"
            );
        };
        check(&[0.0, 1.0, 2.0, 3.0, 4.0], 4, 0.0, 1.0, &[1, 1, 1, 2]);
        check(&[-1.0, 1.0], 2, -1.0, 1.0, &[1, 1]);
        check(&[2.0, 2.0, 2.0], 5, 1.5, 1.0, &[3]);
        check(&[], 3, 0.0, 1.0, &[0, 0, 0]);
        check(&[0.0, 0.5, 1.0], 0, 0.0, 1.0, &[3]);
        let h = histogram(&[0.0, 3.0], 3);
        assert_eq!(h.edges(), [0.0, 1.0, 2.0, 3.0]);
    }

    #[test]
    fn residuals_by_year_and_largest() {
        let rows = by_year([(2001, 1.0), (1999, -2.0), (2001, -3.0)]);
        assert_eq!(
            rows,
            [
                YearResiduals {
                    year: 1999,
                    count: 1,
                    mean: -2.0,
                    mean_abs: 2.0
                },
                YearResiduals {
                    year: 2001,
                    count: 2,
                    mean: -1.0,
                    mean_abs: 2.0
                },
            ]
        );
        assert_eq!(largest(&[0.5, -3.0, 2.0, 3.0, -0.1], 3), [1, 3, 2]);
        assert_eq!(largest(&[1.0], 20), [0]);
        assert_eq!(largest(&[1.0, 2.0], 0), Vec::<usize>::new());
        assert_eq!(largest(&[f64::NAN, 1.0, -1.0], 3), [1, 2, 0]);
    }

    #[test]
    fn largest_equals_a_stable_sort_of_everything() {
        let mut rng = crate::generate::Rng::new(3);
        // Rounded to tenths so that ties are common.
        let residuals: Vec<f64> = (0..2000)
            .map(|_| (rng.unit() * 40.0).round() / 10.0 - 2.0)
            .collect();
        let mut everything: Vec<usize> = (0..residuals.len()).collect();
        everything.sort_by(|&a, &b| residuals[b].abs().total_cmp(&residuals[a].abs()));
        for n in [0, 1, 20, 1999, 2000, 3000] {
            let want = &everything[..n.min(everything.len())];
            assert_eq!(largest(&residuals, n), want, "n = {n}");
        }
    }
}
