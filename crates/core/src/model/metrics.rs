//! Error metrics on the test set, and how much a model improves on the baseline.

use serde::Serialize;

/// The four figures of the metric cards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Mean squared error.
    pub mse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Root mean squared error (in rating points).
    pub rmse: f64,
    /// Coefficient of determination, `1 − SSE/SST` with SST around the test set's own mean (as
    /// scikit-learn's `r2_score`); 1 for a perfect fit of a constant target, else 0 there.
    pub r2: f64,
}

/// Metrics of `predicted` against `actual` (same length; empty gives zeros).
pub fn metrics(actual: &[f64], predicted: &[f64]) -> Metrics {
    let n = actual.len().min(predicted.len());
    if n == 0 {
        return Metrics::default();
    }
    let mean = actual[..n].iter().sum::<f64>() / n as f64;
    let (mut sse, mut sae, mut sst) = (0.0, 0.0, 0.0);
    for (a, p) in actual.iter().zip(predicted) {
        let e = a - p;
        sse += e * e;
        sae += e.abs();
        sst += (a - mean) * (a - mean);
    }
    let mse = sse / n as f64;
    let r2 = if sst > 0.0 {
        1.0 - sse / sst
    } else if sse == 0.0 {
        1.0
    } else {
        0.0
    };
    Metrics {
        mse,
        mae: sae / n as f64,
        rmse: mse.sqrt(),
        r2,
    }
}

/// The model against the baseline: the fraction by which each error shrank (0.25 = 25% lower)
/// and the gain in R² (a difference, since R² is already relative).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Improvement {
    pub mse: f64,
    pub mae: f64,
    pub rmse: f64,
    pub r2: f64,
}

pub fn improvement(model: &Metrics, baseline: &Metrics) -> Improvement {
    let shrink = |m: f64, b: f64| if b > 0.0 { 1.0 - m / b } else { 0.0 };
    Improvement {
        mse: shrink(model.mse, baseline.mse),
        mae: shrink(model.mae, baseline.mae),
        rmse: shrink(model.rmse, baseline.rmse),
        r2: model.r2 - baseline.r2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_hand() {
        let check = |actual: &[f64], predicted: &[f64], expected: Metrics| {
            let got = metrics(actual, predicted);
            for (g, e) in [
                (got.mse, expected.mse),
                (got.mae, expected.mae),
                (got.rmse, expected.rmse),
                (got.r2, expected.r2),
            ] {
                assert!((g - e).abs() < 1e-12, "{actual:?} {predicted:?}: {got:?}");
            }
        };
        // Errors 1, −1, 2, 0: SSE 6, SAE 4; mean 5.5, SST 1.25+0.25+0.25+2.25... (see below).
        let actual = [5.0, 6.0, 7.0, 4.0];
        // mean 5.5: SST = 0.25 + 0.25 + 2.25 + 2.25 = 5
        check(
            &actual,
            &[4.0, 7.0, 5.0, 4.0],
            Metrics {
                mse: 1.5,
                mae: 1.0,
                rmse: 1.5f64.sqrt(),
                r2: 1.0 - 6.0 / 5.0,
            },
        );
        check(
            &actual,
            &actual,
            Metrics {
                mse: 0.0,
                mae: 0.0,
                rmse: 0.0,
                r2: 1.0,
            },
        );
        check(
            &[3.0, 3.0],
            &[3.0, 3.0],
            Metrics {
                mse: 0.0,
                mae: 0.0,
                rmse: 0.0,
                r2: 1.0,
            },
        );
        check(
            &[3.0, 3.0],
            &[4.0, 2.0],
            Metrics {
                mse: 1.0,
                mae: 1.0,
                rmse: 1.0,
                r2: 0.0,
            },
        );
        check(&[], &[], Metrics::default());
    }

    #[test]
    fn improvement_is_relative_for_errors_and_a_difference_for_r2() {
        let model = Metrics {
            mse: 0.5,
            mae: 0.6,
            rmse: 0.5f64.sqrt(),
            r2: 0.4,
        };
        let baseline = Metrics {
            mse: 1.0,
            mae: 0.8,
            rmse: 1.0,
            r2: -0.01,
        };
        let got = improvement(&model, &baseline);
        assert!((got.mse - 0.5).abs() < 1e-12);
        assert!((got.mae - 0.25).abs() < 1e-12);
        assert!((got.rmse - (1.0 - 0.5f64.sqrt())).abs() < 1e-12);
        assert!((got.r2 - 0.41).abs() < 1e-12);
        assert_eq!(improvement(&model, &Metrics::default()).mse, 0.0);
    }
}
