//! Predictive and diagnostic analytics: can a simple model predict a title's rating, how
//! precisely, and where does it err?
//!
//! The pipeline, each step its own module so the dashboard can run them one frame at a time:
//!
//! 1. [`features::dataset`]: six features per title (year, runtime, ln(1 + votes), is_comedy,
//!    is_animation, is_series) and the rating; titles missing any are counted, not fitted.
//! 2. [`split::split`]: a seeded 80/20 train/test split.
//! 3. [`linear::fit_linear`] (closed-form OLS) or [`forest::ForestModel`] (bagged regression
//!    trees, grown in chunks of trees).
//! 4. [`assess`]: metrics on the test set beside a baseline that predicts the training mean,
//!    the residual histogram, residuals by year and the largest errors.
//!
//! [`evaluate`] runs all four. [`trend`] is separate: it projects the yearly mean rating.
//! Everything is deterministic for a seed and gives the same numbers natively and in wasm.

pub mod features;
pub mod forest;
pub mod linear;
pub mod metrics;
pub mod residuals;
pub mod scatter;
pub mod split;
pub mod stats;
pub mod trend;

use serde::Serialize;

pub use features::{Dataset, Excluded, FEATURE_NAMES, FEATURES};
pub use forest::{ForestModel, ForestOptions};
pub use linear::LinearModel;
pub use metrics::{Improvement, Metrics};
pub use residuals::{Histogram, YearResiduals};
pub use split::Split;
pub use trend::{Forecast, Trend, TrendError};

use crate::title::Title;
use crate::yearly::Filter;

/// Fewer usable rows than this and there is nothing worth fitting.
pub const MIN_ROWS: usize = 30;

/// Rows per call of the long loops' bodies (features, shuffle, sums of the fit).
///
/// Browsers first run wasm in a baseline compiler and optimise a function only once it has
/// run a while; V8 cannot switch a running call to the optimised code, so one call looping
/// over 100k rows stays in baseline code to the end (the first model run took 2–3 times as
/// long as the next). Calling a function per block of rows lets the later blocks run
/// optimised. The blocks run in order over the same accumulators, so results do not change.
pub(crate) const BLOCK: usize = 2048;

/// Why a model could not be fitted or evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    #[error("model: {usable} usable titles, at least {required} are needed")]
    TooFewRows { usable: usize, required: usize },
    #[error("model: test fraction {0} must lie strictly between 0 and 1")]
    TestFraction(f64),
    #[error("model: random forest options: {0}")]
    ForestOptions(String),
    #[error("model: random forest: {0}")]
    Forest(String),
    #[error("model: the linear fit is not finite (the features are degenerate)")]
    NotFinite,
}

/// Which model to fit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    #[default]
    Linear,
    Forest,
}

impl ModelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Linear => "linear",
            ModelKind::Forest => "forest",
        }
    }

    pub fn parse(text: &str) -> Option<ModelKind> {
        match text {
            "linear" => Some(ModelKind::Linear),
            "forest" => Some(ModelKind::Forest),
            _ => None,
        }
    }
}

/// Everything that decides a model's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelOptions {
    pub kind: ModelKind,
    pub seed: u64,
    pub filter: Filter,
    /// Share of the usable rows held out for testing.
    pub test_fraction: f64,
    pub forest: ForestOptions,
    /// Bins of the residual histogram.
    pub bins: usize,
    /// Rows of the largest-errors table.
    pub largest: usize,
}

impl Default for ModelOptions {
    fn default() -> ModelOptions {
        ModelOptions {
            kind: ModelKind::Linear,
            seed: 42,
            filter: Filter::default(),
            test_fraction: 0.2,
            forest: ForestOptions::default(),
            bins: 30,
            largest: 20,
        }
    }
}

/// The data ready to fit: usable rows and their split.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub data: Dataset,
    pub split: Split,
}

/// Builds the dataset and splits it; fewer than [`MIN_ROWS`] usable rows is an error.
pub fn prepare(titles: &[Title], options: &ModelOptions) -> Result<Prepared, ModelError> {
    let data = features::dataset(titles, &options.filter);
    if data.len() < MIN_ROWS {
        return Err(ModelError::TooFewRows {
            usable: data.len(),
            required: MIN_ROWS,
        });
    }
    let split = split::split(data.len(), options.test_fraction, options.seed)?;
    Ok(Prepared { data, split })
}

/// A fitted model.
#[derive(Debug)]
pub enum Fitted {
    Linear(LinearModel),
    Forest(ForestModel),
}

impl Fitted {
    /// Predictions for the test rows, in [`Split::test`] order.
    pub fn predict_test(&self, prepared: &Prepared) -> Result<Vec<f64>, ModelError> {
        let x = &prepared.data.x;
        match self {
            Fitted::Linear(model) => Ok(prepared
                .split
                .test
                .iter()
                .map(|&r| model.predict(&x[r]))
                .collect()),
            Fitted::Forest(model) => model.predict(x, &prepared.split.test),
        }
    }
}

/// Fits the chosen model on the training rows, all at once.
pub fn fit(prepared: &Prepared, options: &ModelOptions) -> Result<Fitted, ModelError> {
    let (x, y, train) = (&prepared.data.x, &prepared.data.y, &prepared.split.train);
    Ok(match options.kind {
        ModelKind::Linear => Fitted::Linear(linear::fit_linear(x, y, train)?),
        ModelKind::Forest => Fitted::Forest(forest::fit_forest(
            x,
            y,
            train,
            &options.forest,
            options.seed,
        )?),
    })
}

/// One test row as the scatter and the error table show it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TestPoint {
    /// Index of the title in the slice given to [`prepare`].
    pub title: usize,
    pub year: u16,
    pub actual: f64,
    pub predicted: f64,
}

impl TestPoint {
    pub fn residual(&self) -> f64 {
        self.actual - self.predicted
    }
}

/// A row of the largest-errors table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LargeError {
    pub id: String,
    pub title: String,
    pub year: u16,
    pub actual: f64,
    pub predicted: f64,
}

/// Everything the model section shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub model: ModelKind,
    pub seed: u64,
    pub usable: usize,
    pub excluded: Excluded,
    pub train: usize,
    pub test: usize,
    /// The training rows' mean rating: the baseline's constant prediction.
    pub training_mean: f64,
    /// The fitted line (linear model only).
    pub linear: Option<LinearModel>,
    pub metrics: Metrics,
    pub baseline: Metrics,
    pub improvement: Improvement,
    pub histogram: Histogram,
    pub by_year: Vec<YearResiduals>,
    pub largest: Vec<LargeError>,
    /// Every test row (for the scatter); not serialized, since it is as long as the test set.
    #[serde(skip)]
    pub points: Vec<TestPoint>,
}

/// Scores `predicted` (the test rows' predictions, in [`Split::test`] order).
pub fn assess(
    titles: &[Title],
    prepared: &Prepared,
    fitted: &Fitted,
    predicted: &[f64],
    options: &ModelOptions,
) -> Evaluation {
    let data = &prepared.data;
    let split = &prepared.split;
    let training_mean =
        split.train.iter().map(|&r| data.y[r]).sum::<f64>() / split.train.len().max(1) as f64;
    let actual: Vec<f64> = split.test.iter().map(|&r| data.y[r]).collect();
    let baseline_predictions = vec![training_mean; actual.len()];
    let model_metrics = metrics::metrics(&actual, predicted);
    let baseline = metrics::metrics(&actual, &baseline_predictions);
    let points: Vec<TestPoint> = split
        .test
        .iter()
        .zip(predicted)
        .map(|(&r, &p)| TestPoint {
            title: data.source[r],
            // Every usable row has a year (it is a feature), below 2^16 by construction.
            year: data.x[r][0] as u16,
            actual: data.y[r],
            predicted: p,
        })
        .collect();
    let residuals: Vec<f64> = points.iter().map(TestPoint::residual).collect();
    let largest = residuals::largest(&residuals, options.largest)
        .into_iter()
        .map(|i| {
            let point = &points[i];
            let title = &titles[point.title];
            LargeError {
                id: title.id.clone(),
                title: title.title.clone(),
                year: point.year,
                actual: point.actual,
                predicted: point.predicted,
            }
        })
        .collect();
    Evaluation {
        model: options.kind,
        seed: options.seed,
        usable: data.len(),
        excluded: data.excluded,
        train: split.train.len(),
        test: split.test.len(),
        training_mean,
        linear: match fitted {
            Fitted::Linear(model) => Some(*model),
            Fitted::Forest(_) => None,
        },
        metrics: model_metrics,
        baseline,
        improvement: metrics::improvement(&model_metrics, &baseline),
        histogram: residuals::histogram(&residuals, options.bins),
        by_year: residuals::by_year(points.iter().map(|p| (p.year, p.residual()))),
        largest,
        points,
    }
}

/// Prepares, fits and assesses in one go.
pub fn evaluate(titles: &[Title], options: &ModelOptions) -> Result<Evaluation, ModelError> {
    let prepared = prepare(titles, options)?;
    let fitted = fit(&prepared, options)?;
    let predicted = fitted.predict_test(&prepared)?;
    Ok(assess(titles, &prepared, &fitted, &predicted, options))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::extract_titles;
    use crate::title::Kind;

    #[test]
    fn fewer_than_thirty_usable_rows_is_a_typed_error() {
        let titles = extract_titles(20, 1);
        let err = evaluate(&titles, &ModelOptions::default()).unwrap_err();
        assert!(
            matches!(err, ModelError::TooFewRows { required: 30, .. }),
            "{err}"
        );
        // A filter that leaves nothing.
        let titles = extract_titles(500, 1);
        let options = ModelOptions {
            filter: Filter {
                years: (1800, 1801),
                ..Filter::default()
            },
            ..ModelOptions::default()
        };
        let err = evaluate(&titles, &options).unwrap_err();
        assert_eq!(
            err,
            ModelError::TooFewRows {
                usable: 0,
                required: 30
            }
        );
        assert_eq!(
            err.to_string(),
            "model: 0 usable titles, at least 30 are needed"
        );
    }

    #[test]
    fn linear_beats_the_baseline_on_generated_data() {
        let titles = extract_titles(3000, 7);
        let e = evaluate(&titles, &ModelOptions::default()).unwrap();
        assert_eq!(e.usable + e.excluded.total, 3000);
        assert_eq!(e.train + e.test, e.usable);
        assert!(e.metrics.mse < e.baseline.mse, "{e:?}");
        assert!(
            e.metrics.r2 > 0.2 && e.baseline.r2 <= 0.0,
            "{:?} {:?}",
            e.metrics,
            e.baseline
        );
        assert_eq!(e.largest.len(), 20);
        assert_eq!(e.histogram.counts.iter().sum::<u64>() as usize, e.test);
        assert_eq!(
            e.by_year.iter().map(|y| y.count).sum::<u64>() as usize,
            e.test
        );
        let abs = |l: &LargeError| (l.actual - l.predicted).abs();
        assert!(e.largest.windows(2).all(|w| abs(&w[0]) >= abs(&w[1])));
    }

    #[test]
    fn forest_beats_the_baseline_and_seeds_matter() {
        let titles = extract_titles(2000, 3);
        let options = ModelOptions {
            kind: ModelKind::Forest,
            forest: ForestOptions {
                trees: 10,
                ..ForestOptions::default()
            },
            ..ModelOptions::default()
        };
        let a = evaluate(&titles, &options).unwrap();
        assert!(a.metrics.mse < a.baseline.mse);
        assert_eq!(a, evaluate(&titles, &options).unwrap());
        let b = evaluate(
            &titles,
            &ModelOptions {
                seed: 43,
                ..options
            },
        )
        .unwrap();
        assert_ne!(a.metrics, b.metrics);
    }

    #[test]
    fn a_one_kind_filter_still_fits() {
        let titles = extract_titles(2000, 5);
        let options = ModelOptions {
            filter: Filter {
                kinds: [true, false],
                ..Filter::default()
            },
            ..ModelOptions::default()
        };
        let e = evaluate(&titles, &options).unwrap();
        let linear = e.linear.unwrap();
        assert!(!linear.used[5], "is_series is constant among movies");
        assert_eq!(linear.coefficients[5], 0.0);
        let movies = titles
            .iter()
            .filter(|t| t.kind == Kind::Movie && t.year.is_some())
            .count();
        assert_eq!(e.usable + e.excluded.total - e.excluded.no_year, movies);
    }
}
