//! Ordinary least squares, closed form.
//!
//! The normal equations are solved on standardized features (each column centred and divided by
//! its standard deviation), so the matrix to factor is the features' correlation matrix: entries
//! in [-1, 1] and a condition number that does not depend on units (year ≈ 2000 beside flags of
//! 0/1 would otherwise square a large condition number). A Cholesky factorization is built one
//! column at a time; a column that is constant over the training rows, or (numerically) a linear
//! combination of the columns before it, gets a zero coefficient instead of a division by zero.
//! That happens for real with the dashboard's filters: "series only" makes `is_series` constant.

use serde::Serialize;

use super::features::FEATURES;
use super::{BLOCK, ModelError};

/// Below this pivot (on the correlation scale) a column counts as collinear with earlier ones.
const PIVOT_TOLERANCE: f64 = 1e-10;

/// `rating ≈ intercept + Σ coefficients[j] × x[j]`, in the features' own units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LinearModel {
    pub intercept: f64,
    /// Indexed like [`FEATURE_NAMES`](super::FEATURE_NAMES).
    pub coefficients: [f64; FEATURES],
    /// Which features entered the fit (the others were constant or collinear: coefficient 0).
    pub used: [bool; FEATURES],
}

impl LinearModel {
    pub fn predict(&self, x: &[f64; FEATURES]) -> f64 {
        self.intercept
            + self
                .coefficients
                .iter()
                .zip(x)
                .map(|(c, v)| c * v)
                .sum::<f64>()
    }
}

/// Adds the rows' features to `sum` and their targets to `y_sum` (one call per [`BLOCK`]).
#[inline(never)]
fn add_sums(
    x: &[[f64; FEATURES]],
    y: &[f64],
    rows: &[usize],
    sum: &mut [f64; FEATURES],
    y_sum: &mut f64,
) {
    for &r in rows {
        for (s, v) in sum.iter_mut().zip(&x[r]) {
            *s += v;
        }
        *y_sum += y[r];
    }
}

/// Adds the rows' centred cross products (lower triangle) and feature–target products (one
/// call per [`BLOCK`]).
#[inline(never)]
fn add_centred_products(
    x: &[[f64; FEATURES]],
    y: &[f64],
    rows: &[usize],
    (mean, y_mean): (&[f64; FEATURES], f64),
    cross: &mut [[f64; FEATURES]; FEATURES],
    xy: &mut [f64; FEATURES],
) {
    for &r in rows {
        let mut d = [0.0; FEATURES];
        for j in 0..FEATURES {
            d[j] = x[r][j] - mean[j];
        }
        let dy = y[r] - y_mean;
        for j in 0..FEATURES {
            xy[j] += d[j] * dy;
            for k in 0..=j {
                cross[j][k] += d[j] * d[k];
            }
        }
    }
}

/// Fits OLS with an intercept on the rows `rows` of `x`/`y`.
pub fn fit_linear(
    x: &[[f64; FEATURES]],
    y: &[f64],
    rows: &[usize],
) -> Result<LinearModel, ModelError> {
    if rows.is_empty() {
        return Err(ModelError::TooFewRows {
            usable: 0,
            required: 1,
        });
    }
    let n = rows.len() as f64;
    // Two passes (means, then centred sums) keep the sums of squares accurate.
    let mut mean = [0.0; FEATURES];
    let mut y_mean = 0.0;
    for block in rows.chunks(BLOCK) {
        add_sums(x, y, block, &mut mean, &mut y_mean);
    }
    mean.iter_mut().for_each(|m| *m /= n);
    y_mean /= n;

    let mut cross = [[0.0; FEATURES]; FEATURES];
    let mut xy = [0.0; FEATURES];
    for block in rows.chunks(BLOCK) {
        add_centred_products(x, y, block, (&mean, y_mean), &mut cross, &mut xy);
    }
    let scale: [f64; FEATURES] = std::array::from_fn(|j| cross[j][j].sqrt());
    // Correlation matrix (lower triangle) and the standardized right-hand side.
    let mut a = [[0.0; FEATURES]; FEATURES];
    let mut b = [0.0; FEATURES];
    let mut used = [false; FEATURES];
    for j in 0..FEATURES {
        // A column whose spread is negligible next to its magnitude is constant up to rounding.
        used[j] = scale[j] > 1e-12 * (1.0 + mean[j].abs()) * n.sqrt();
        if !used[j] {
            continue;
        }
        b[j] = xy[j] / scale[j];
        for k in 0..=j {
            if used[k] {
                a[j][k] = cross[j][k] / (scale[j] * scale[k]);
            }
        }
    }

    // Cholesky A = L Lᵀ over the used columns, dropping any column whose pivot vanishes.
    let mut l = [[0.0; FEATURES]; FEATURES];
    for j in 0..FEATURES {
        if !used[j] {
            continue;
        }
        for k in 0..j {
            if !used[k] {
                continue;
            }
            let dot: f64 = (0..k).filter(|&m| used[m]).map(|m| l[j][m] * l[k][m]).sum();
            l[j][k] = (a[j][k] - dot) / l[k][k];
        }
        let pivot = a[j][j]
            - (0..j)
                .filter(|&m| used[m])
                .map(|m| l[j][m] * l[j][m])
                .sum::<f64>();
        if pivot < PIVOT_TOLERANCE {
            used[j] = false;
            l[j] = [0.0; FEATURES];
            continue;
        }
        l[j][j] = pivot.sqrt();
    }

    // Forward then back substitution: L z = b, Lᵀ β = z.
    let mut z = [0.0; FEATURES];
    for j in (0..FEATURES).filter(|&j| used[j]) {
        let dot: f64 = (0..j).filter(|&m| used[m]).map(|m| l[j][m] * z[m]).sum();
        z[j] = (b[j] - dot) / l[j][j];
    }
    let mut beta = [0.0; FEATURES];
    for j in (0..FEATURES).rev().filter(|&j| used[j]) {
        let dot: f64 = (j + 1..FEATURES)
            .filter(|&m| used[m])
            .map(|m| l[m][j] * beta[m])
            .sum();
        beta[j] = (z[j] - dot) / l[j][j];
    }

    let mut coefficients = [0.0; FEATURES];
    for j in (0..FEATURES).filter(|&j| used[j]) {
        coefficients[j] = beta[j] / scale[j];
    }
    let intercept = y_mean
        - coefficients
            .iter()
            .zip(&mean)
            .map(|(c, m)| c * m)
            .sum::<f64>();
    if !intercept.is_finite() || coefficients.iter().any(|c| !c.is_finite()) {
        return Err(ModelError::NotFinite);
    }
    Ok(LinearModel {
        intercept,
        coefficients,
        used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<usize> {
        (0..n).collect()
    }

    /// Exact data from known coefficients: OLS must give them back.
    #[test]
    fn ols_recovers_exact_coefficients() {
        let truth = [-0.012, 0.006, 0.3, -0.35, 0.45, 0.6];
        let x: Vec<[f64; FEATURES]> = (0..200)
            .map(|i| {
                let i = i as f64;
                [
                    1950.0 + (i * 7.0) % 70.0,
                    60.0 + (i * 13.0) % 90.0,
                    (i * 3.1) % 11.0,
                    f64::from((i as u32).is_multiple_of(3)),
                    f64::from(i as u32 % 5 == 1),
                    f64::from(i as u32 % 7 < 2),
                ]
            })
            .collect();
        let y: Vec<f64> = x
            .iter()
            .map(|r| 4.3 + truth.iter().zip(r).map(|(c, v)| c * v).sum::<f64>())
            .collect();
        let model = fit_linear(&x, &y, &rows(200)).unwrap();
        assert!((model.intercept - 4.3).abs() < 1e-8, "{}", model.intercept);
        for (got, want) in model.coefficients.iter().zip(truth) {
            assert!((got - want).abs() < 1e-10, "{got} vs {want}");
        }
        assert_eq!(model.used, [true; FEATURES]);
    }

    /// Regression: a filter to one kind makes `is_series` constant; the fit must not divide by
    /// zero but give it a zero coefficient.
    #[test]
    fn constant_and_duplicate_columns_get_zero_coefficients() {
        let x: Vec<[f64; FEATURES]> = (0..50)
            .map(|i| {
                let i = f64::from(i);
                [2000.0 + i, 2000.0 + i, i % 4.0, 0.0, 1.0, (i * 7.0) % 3.0]
            })
            .collect();
        let y: Vec<f64> = x.iter().map(|r| 1.0 + 0.5 * r[0] + 0.25 * r[5]).collect();
        let model = fit_linear(&x, &y, &rows(50)).unwrap();
        assert_eq!(model.used, [true, false, true, false, false, true]);
        assert!((model.coefficients[0] - 0.5).abs() < 1e-9);
        assert_eq!(model.coefficients[1], 0.0);
        assert!((model.coefficients[5] - 0.25).abs() < 1e-9);
        for (r, want) in x.iter().zip(&y) {
            assert!((model.predict(r) - want).abs() < 1e-8);
        }
    }

    #[test]
    fn no_rows_is_an_error() {
        assert!(matches!(
            fit_linear(&[], &[], &[]),
            Err(ModelError::TooFewRows { .. })
        ));
    }
}
