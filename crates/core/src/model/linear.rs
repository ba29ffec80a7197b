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
use serde::ser::SerializeStruct;

use super::features::{MAX_FEATURES as MAX, Row};
use super::{BLOCK, ModelError};

/// Below this pivot (on the correlation scale) a column counts as collinear with earlier ones.
const PIVOT_TOLERANCE: f64 = 1e-10;

/// `rating ≈ intercept + Σ coefficients[j] × x[j]` over the first `width` features, in the
/// features' own units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearModel {
    pub intercept: f64,
    /// Indexed like [`FEATURE_NAMES`](super::FEATURE_NAMES); zero from `width` on.
    pub coefficients: [f64; MAX],
    /// Which features entered the fit (the others were constant or collinear: coefficient 0).
    pub used: [bool; MAX],
    /// How many features the model was fitted on.
    pub width: usize,
}

/// Serialized with only the `width` features fitted, so the default (six-feature) report keeps
/// its shape: `{intercept, coefficients: [6], used: [6]}`.
impl Serialize for LinearModel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut model = serializer.serialize_struct("LinearModel", 3)?;
        model.serialize_field("intercept", &self.intercept)?;
        model.serialize_field("coefficients", &self.coefficients[..self.width])?;
        model.serialize_field("used", &self.used[..self.width])?;
        model.end()
    }
}

impl LinearModel {
    pub fn predict(&self, x: &Row) -> f64 {
        self.intercept
            + self.coefficients[..self.width]
                .iter()
                .zip(x)
                .map(|(c, v)| c * v)
                .sum::<f64>()
    }
}

/// Adds the rows' features to `sum` and their targets to `y_sum` (one call per [`BLOCK`]).
#[inline(never)]
fn add_sums(
    x: &[Row],
    y: &[f64],
    rows: &[usize],
    width: usize,
    sum: &mut [f64; MAX],
    y_sum: &mut f64,
) {
    for &r in rows {
        for (s, v) in sum[..width].iter_mut().zip(&x[r]) {
            *s += v;
        }
        *y_sum += y[r];
    }
}

/// Adds the rows' centred cross products (lower triangle) and feature–target products (one
/// call per [`BLOCK`]).
#[inline(never)]
fn add_centred_products(
    x: &[Row],
    y: &[f64],
    rows: &[usize],
    width: usize,
    (mean, y_mean): (&[f64; MAX], f64),
    cross: &mut [[f64; MAX]; MAX],
    xy: &mut [f64; MAX],
) {
    for &r in rows {
        let mut d = [0.0; MAX];
        for j in 0..width {
            d[j] = x[r][j] - mean[j];
        }
        let dy = y[r] - y_mean;
        for j in 0..width {
            xy[j] += d[j] * dy;
            for k in 0..=j {
                cross[j][k] += d[j] * d[k];
            }
        }
    }
}

/// Fits OLS with an intercept on the rows `rows` of `x`/`y`, using the first `width` features
/// (at most [`MAX_FEATURES`](super::MAX_FEATURES); larger is clamped).
///
/// Every loop runs over `0..width` only, so a width of six does exactly the arithmetic, in the
/// same order, that the six-feature fit did before rows grew to nine columns.
pub fn fit_linear(
    x: &[Row],
    y: &[f64],
    rows: &[usize],
    width: usize,
) -> Result<LinearModel, ModelError> {
    let width = width.min(MAX);
    if rows.is_empty() {
        return Err(ModelError::TooFewRows {
            usable: 0,
            required: 1,
        });
    }
    let n = rows.len() as f64;
    // Two passes (means, then centred sums) keep the sums of squares accurate.
    let mut mean = [0.0; MAX];
    let mut y_mean = 0.0;
    for block in rows.chunks(BLOCK) {
        add_sums(x, y, block, width, &mut mean, &mut y_mean);
    }
    mean.iter_mut().for_each(|m| *m /= n);
    y_mean /= n;

    let mut cross = [[0.0; MAX]; MAX];
    let mut xy = [0.0; MAX];
    for block in rows.chunks(BLOCK) {
        add_centred_products(x, y, block, width, (&mean, y_mean), &mut cross, &mut xy);
    }
    let scale: [f64; MAX] = std::array::from_fn(|j| cross[j][j].sqrt());
    // Correlation matrix (lower triangle) and the standardized right-hand side.
    let mut a = [[0.0; MAX]; MAX];
    let mut b = [0.0; MAX];
    // Columns from `width` on stay unused: coefficient 0.
    let mut used = [false; MAX];
    for j in 0..width {
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
    let mut l = [[0.0; MAX]; MAX];
    for j in 0..width {
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
            l[j] = [0.0; MAX];
            continue;
        }
        l[j][j] = pivot.sqrt();
    }

    // Forward then back substitution: L z = b, Lᵀ β = z.
    let mut z = [0.0; MAX];
    for j in (0..width).filter(|&j| used[j]) {
        let dot: f64 = (0..j).filter(|&m| used[m]).map(|m| l[j][m] * z[m]).sum();
        z[j] = (b[j] - dot) / l[j][j];
    }
    let mut beta = [0.0; MAX];
    for j in (0..width).rev().filter(|&j| used[j]) {
        let dot: f64 = (j + 1..width)
            .filter(|&m| used[m])
            .map(|m| l[m][j] * beta[m])
            .sum();
        beta[j] = (z[j] - dot) / l[j][j];
    }

    let mut coefficients = [0.0; MAX];
    for j in (0..width).filter(|&j| used[j]) {
        coefficients[j] = beta[j] / scale[j];
    }
    let intercept = y_mean
        - coefficients[..width]
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
        width,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::features::FEATURES;

    fn rows(n: usize) -> Vec<usize> {
        (0..n).collect()
    }

    /// A row holding `values` in its first columns and zeros after.
    fn row(values: &[f64]) -> Row {
        let mut row = [0.0; MAX];
        row[..values.len()].copy_from_slice(values);
        row
    }

    /// Exact data from known coefficients: OLS must give them back.
    #[test]
    fn ols_recovers_exact_coefficients() {
        let truth = [-0.012, 0.006, 0.3, -0.35, 0.45, 0.6];
        let x: Vec<Row> = (0..200)
            .map(|i| {
                let i = i as f64;
                row(&[
                    1950.0 + (i * 7.0) % 70.0,
                    60.0 + (i * 13.0) % 90.0,
                    (i * 3.1) % 11.0,
                    f64::from((i as u32).is_multiple_of(3)),
                    f64::from(i as u32 % 5 == 1),
                    f64::from(i as u32 % 7 < 2),
                ])
            })
            .collect();
        let y: Vec<f64> = x
            .iter()
            .map(|r| 4.3 + truth.iter().zip(r).map(|(c, v)| c * v).sum::<f64>())
            .collect();
        let model = fit_linear(&x, &y, &rows(200), FEATURES).unwrap();
        assert!((model.intercept - 4.3).abs() < 1e-8, "{}", model.intercept);
        for (got, want) in model.coefficients.iter().zip(truth) {
            assert!((got - want).abs() < 1e-10, "{got} vs {want}");
        }
        assert_eq!(model.used[..FEATURES], [true; FEATURES]);
        assert_eq!(model.used[FEATURES..], [false; MAX - FEATURES]);
        // The report lists only the fitted features.
        let json = serde_json::to_value(model).unwrap();
        assert_eq!(json["coefficients"].as_array().unwrap().len(), FEATURES);
        assert_eq!(json["used"].as_array().unwrap().len(), FEATURES);
    }

    /// Nine columns, the last three standing for ln(1 + budget), ln(1 + popularity) and the
    /// TMDB vote average: OLS gives back every coefficient, and a width of six ignores them.
    #[test]
    fn ols_recovers_the_tmdb_coefficients_at_width_nine() {
        let truth = [-0.01, 0.004, 0.2, -0.3, 0.4, 0.5, 0.15, -0.25, 0.35];
        let x: Vec<Row> = (0..300)
            .map(|i| {
                let i = i as f64;
                [
                    1950.0 + (i * 7.0) % 70.0,
                    60.0 + (i * 13.0) % 90.0,
                    (i * 3.1) % 11.0,
                    f64::from((i as u32).is_multiple_of(3)),
                    f64::from(i as u32 % 5 == 1),
                    f64::from(i as u32 % 7 < 2),
                    10.0 + (i * 1.7) % 9.0,
                    (i * 0.37) % 4.0,
                    3.0 + (i * 2.9) % 6.5,
                ]
            })
            .collect();
        let y: Vec<f64> = x
            .iter()
            .map(|r| 2.5 + truth.iter().zip(r).map(|(c, v)| c * v).sum::<f64>())
            .collect();
        let model = fit_linear(&x, &y, &rows(300), MAX).unwrap();
        assert!((model.intercept - 2.5).abs() < 1e-8, "{}", model.intercept);
        for (got, want) in model.coefficients.iter().zip(truth) {
            assert!((got - want).abs() < 1e-10, "{got} vs {want}");
        }
        assert_eq!(model.used, [true; MAX]);
        assert_eq!(
            serde_json::to_value(model).unwrap()["coefficients"]
                .as_array()
                .unwrap()
                .len(),
            MAX
        );
        let base = fit_linear(&x, &y, &rows(300), FEATURES).unwrap();
        assert_eq!(base.coefficients[FEATURES..], [0.0; MAX - FEATURES]);
        assert_ne!(
            base.coefficients[..FEATURES],
            model.coefficients[..FEATURES]
        );
    }

    /// Regression: a filter to one kind makes `is_series` constant; the fit must not divide by
    /// zero but give it a zero coefficient.
    #[test]
    fn constant_and_duplicate_columns_get_zero_coefficients() {
        let x: Vec<Row> = (0..50)
            .map(|i| {
                let i = f64::from(i);
                row(&[2000.0 + i, 2000.0 + i, i % 4.0, 0.0, 1.0, (i * 7.0) % 3.0])
            })
            .collect();
        let y: Vec<f64> = x.iter().map(|r| 1.0 + 0.5 * r[0] + 0.25 * r[5]).collect();
        let model = fit_linear(&x, &y, &rows(50), FEATURES).unwrap();
        assert_eq!(
            model.used[..FEATURES],
            [true, false, true, false, false, true]
        );
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
            fit_linear(&[], &[], &[], FEATURES),
            Err(ModelError::TooFewRows { .. })
        ));
    }
}
