//! The trend: the yearly mean rating, a straight line through it, and that line projected a few
//! years ahead with a prediction interval.
//!
//! The line is OLS of the yearly mean on the year, every year weighing the same (the chart
//! shows yearly means, so the line should fit what the eye sees). The interval at a future
//! year x₀ is the classical one for a new observation,
//! `ŷ(x₀) ± t_{(1+level)/2, n−2} · s · √(1 + 1/n + (x₀ − x̄)² / Sxx)`, with `s² = SSE / (n − 2)`.

use serde::Serialize;

use super::stats::t_quantile;
use crate::yearly::Yearly;

/// Why a trend could not be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrendError {
    #[error("trend: {years} years with a mean rating, at least 3 are needed")]
    TooFewYears { years: usize },
    #[error("trend: level {0} must lie strictly between 0 and 1")]
    Level(f64),
}

/// One projected year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Forecast {
    pub year: u16,
    pub predicted: f64,
    pub lower: f64,
    pub upper: f64,
}

/// The fitted line and its projection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// The line's value at year 0 (with `slope`, `mean = intercept + slope × year`).
    pub intercept: f64,
    /// Change in mean rating per year.
    pub slope: f64,
    /// The residual standard deviation `s`.
    pub sigma: f64,
    /// The t quantile used for the interval.
    pub t: f64,
    /// Years that entered the fit.
    pub years: usize,
    pub level: f64,
    pub forecasts: Vec<Forecast>,
}

/// The (year, mean rating) points of a yearly table: years without a rated title are skipped.
/// `weighted` takes the vote-weighted means instead.
pub fn yearly_points(yearly: &Yearly, weighted: bool) -> Vec<(u16, f64)> {
    yearly
        .rows
        .iter()
        .filter_map(|row| Some((row.year, row.total().mean(weighted)?)))
        .collect()
}

/// Fits the line through `points` and projects it `horizon` years past the last point's year
/// with a `level` (e.g. 0.95) prediction interval.
pub fn trend(points: &[(u16, f64)], horizon: u16, level: f64) -> Result<Trend, TrendError> {
    if !(level > 0.0 && level < 1.0) {
        return Err(TrendError::Level(level));
    }
    let points: Vec<(f64, f64)> = points
        .iter()
        .filter(|(_, y)| y.is_finite())
        .map(|&(x, y)| (f64::from(x), y))
        .collect();
    let n = points.len();
    if n < 3 {
        return Err(TrendError::TooFewYears { years: n });
    }
    let nf = n as f64;
    let x_mean = points.iter().map(|p| p.0).sum::<f64>() / nf;
    let y_mean = points.iter().map(|p| p.1).sum::<f64>() / nf;
    let sxx: f64 = points.iter().map(|p| (p.0 - x_mean).powi(2)).sum();
    if sxx == 0.0 {
        // Distinct years are at least one apart, so this needs repeated years: treat as one.
        return Err(TrendError::TooFewYears { years: 1 });
    }
    let sxy: f64 = points.iter().map(|p| (p.0 - x_mean) * (p.1 - y_mean)).sum();
    let slope = sxy / sxx;
    let at = |x: f64| y_mean + slope * (x - x_mean);
    let sse: f64 = points.iter().map(|p| (p.1 - at(p.0)).powi(2)).sum();
    let sigma = (sse / (nf - 2.0)).sqrt();
    let t = t_quantile(0.5 + level / 2.0, nf - 2.0);
    let last = points.iter().map(|p| p.0).fold(f64::MIN, f64::max);
    let forecasts = (1..=horizon)
        .filter_map(|k| {
            let x = last + f64::from(k);
            let year = u16::try_from(x as u32).ok()?;
            let half = t * sigma * (1.0 + 1.0 / nf + (x - x_mean).powi(2) / sxx).sqrt();
            let predicted = at(x);
            Some(Forecast {
                year,
                predicted,
                lower: predicted - half,
                upper: predicted + half,
            })
        })
        .collect();
    Ok(Trend {
        intercept: y_mean - slope * x_mean,
        slope,
        sigma,
        t,
        years: n,
        level,
        forecasts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfect_line_has_a_zero_width_interval() {
        let points: Vec<(u16, f64)> = (2000..2010)
            .map(|y| (y, 0.1 * f64::from(y) - 194.0))
            .collect();
        let trend = trend(&points, 2, 0.95).unwrap();
        assert!((trend.slope - 0.1).abs() < 1e-12);
        assert!(trend.sigma < 1e-9);
        assert_eq!(trend.forecasts.len(), 2);
        assert_eq!(trend.forecasts[1].year, 2011);
        assert!((trend.forecasts[1].predicted - (201.1 - 194.0)).abs() < 1e-9);
        assert!(trend.forecasts[1].upper - trend.forecasts[1].lower < 1e-6);
    }

    #[test]
    fn too_few_years_is_an_error() {
        assert_eq!(
            trend(&[(2000, 5.0), (2001, 6.0)], 5, 0.95),
            Err(TrendError::TooFewYears { years: 2 })
        );
        assert_eq!(
            trend(&[], 5, 0.95),
            Err(TrendError::TooFewYears { years: 0 })
        );
        assert_eq!(trend(&[(1, 1.0); 5], 5, 1.0), Err(TrendError::Level(1.0)));
    }
}
