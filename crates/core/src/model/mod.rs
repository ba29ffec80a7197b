//! Predictive and diagnostic analytics: can a simple model predict a title's rating, how
//! precisely, and where does it err?
//!
//! The pipeline, each step its own module so the dashboard can run them one frame at a time:
//!
//! 1. [`features::dataset`]: six features per title (year, runtime, ln(1 + votes), is_comedy,
//!    is_animation, is_series), or nine with the opt-in TMDB features ([`FeatureSet::Tmdb`]:
//!    ln(1 + budget), ln(1 + popularity), TMDB vote average), and the rating; titles missing any
//!    are counted, not fitted.
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

pub use features::{
    Dataset, Excluded, FEATURE_NAMES, FEATURES, FeatureColumns, FeatureSet, MAX_FEATURES, Row,
    TMDB_FEATURES,
};
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
    #[error(
        "model: no title has TMDB data, so the TMDB features (budget, popularity, TMDB vote average) cannot be used"
    )]
    NoTmdbData,
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
    /// The default six features, or those and the three TMDB features.
    pub features: FeatureSet,
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
            features: FeatureSet::Base,
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

/// Builds the dataset and splits it; fewer than [`MIN_ROWS`] usable rows is an error, and so
/// is asking for the TMDB features of titles none of which has TMDB data.
pub fn prepare(titles: &[Title], options: &ModelOptions) -> Result<Prepared, ModelError> {
    if options.features == FeatureSet::Tmdb && !titles.iter().any(|t| t.tmdb.is_some()) {
        return Err(ModelError::NoTmdbData);
    }
    split_rows(
        features::dataset(titles, &options.filter, options.features),
        options,
    )
}

/// Splits the usable rows; fewer than [`MIN_ROWS`] is an error.
fn split_rows(data: features::Dataset, options: &ModelOptions) -> Result<Prepared, ModelError> {
    if data.len() < MIN_ROWS {
        return Err(ModelError::TooFewRows {
            usable: data.len(),
            required: MIN_ROWS,
        });
    }
    let split = split::split(data.len(), options.test_fraction, options.seed)?;
    Ok(Prepared { data, split })
}

/// [`prepare`] for the default feature set from packed columns (the dashboard fills them as
/// it parses): the same rows and split, without walking the titles. Falls back to `titles`
/// for the TMDB features, which the columns do not hold, and when the columns do not match
/// the titles one for one.
pub fn prepare_packed(
    titles: &[Title],
    columns: &FeatureColumns,
    options: &ModelOptions,
) -> Result<Prepared, ModelError> {
    if options.features != FeatureSet::Base || columns.len() != titles.len() {
        return prepare(titles, options);
    }
    split_rows(features::dataset_packed(columns, &options.filter), options)
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
    let width = prepared.data.width();
    Ok(match options.kind {
        ModelKind::Linear => Fitted::Linear(linear::fit_linear(x, y, train, width)?),
        ModelKind::Forest => Fitted::Forest(forest::fit_forest(
            x,
            y,
            train,
            width,
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
    /// Left out of the report for the default set, so the default report keeps its shape.
    #[serde(skip_serializing_if = "FeatureSet::is_base")]
    pub features: FeatureSet,
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
        features: data.features,
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

    /// Titles whose only varying feature is the budget: ln(1 + budget) in 1000..=500_000
    /// dollars, rating `rating(ln_budget, i)` rounded to tenths; every fifth title lacks a TMDB
    /// field (budget, popularity or vote average in turn) or all TMDB data.
    fn budget_titles(n: usize, rating: impl Fn(f64, usize) -> f64) -> Vec<Title> {
        let mut titles = extract_titles(n, 9);
        for (i, title) in titles.iter_mut().enumerate() {
            title.kind = Kind::Movie;
            title.year = crate::title::Year::new(2000);
            title.runtime_minutes = Some(100);
            title.votes = Some(1000);
            title.genres = vec!["Drama".into()];
            let budget = 1000 * (1 + (i as u64 * 37) % 500);
            let tenths = (rating((budget as f64).ln_1p(), i) * 10.0)
                .round()
                .clamp(10.0, 100.0);
            title.rating = crate::title::Rating::from_tenths(tenths as u8);
            let mut tmdb = crate::title::Tmdb {
                budget: Some(budget),
                popularity: Some(5.0),
                vote_average: Some(6.5),
                ..crate::title::Tmdb::default()
            };
            match i % 20 {
                4 => tmdb.budget = None,
                9 => tmdb.popularity = None,
                14 => tmdb.vote_average = None,
                _ => {}
            }
            title.tmdb = (i % 20 != 19).then_some(tmdb);
        }
        titles
    }

    fn tmdb_options(kind: ModelKind) -> ModelOptions {
        ModelOptions {
            kind,
            features: FeatureSet::Tmdb,
            ..ModelOptions::default()
        }
    }

    /// With only the budget varying, OLS is the simple regression slope Sxy / Sxx over the
    /// training rows, computed here from the titles themselves.
    #[test]
    fn linear_recovers_the_budget_coefficient_in_closed_form() {
        let titles = budget_titles(600, |ln_budget, _| 2.0 + 0.35 * ln_budget);
        let options = tmdb_options(ModelKind::Linear);
        let prepared = prepare(&titles, &options).unwrap();
        let e = evaluate(&titles, &options).unwrap();
        // 3 of every 20 titles miss one TMDB field, 1 has none.
        assert_eq!(e.excluded.total, 600 / 20 * 4);
        assert_eq!(e.excluded.no_tmdb, Some(600 / 20 * 4));
        assert_eq!(e.usable, 600 - 120);
        let train = &prepared.split.train;
        let x: Vec<f64> = train
            .iter()
            .map(|&r| {
                (titles[prepared.data.source[r]]
                    .tmdb
                    .as_ref()
                    .unwrap()
                    .budget
                    .unwrap() as f64)
                    .ln_1p()
            })
            .collect();
        let y: Vec<f64> = train
            .iter()
            .map(|&r| titles[prepared.data.source[r]].rating.unwrap().value())
            .collect();
        let n = x.len() as f64;
        let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
        let linear = e.linear.unwrap();
        let slope = sxy / sxx;
        assert!(
            (linear.coefficients[6] - slope).abs() < 1e-9,
            "{} vs {slope}",
            linear.coefficients[6]
        );
        assert!((linear.intercept - (my - slope * mx)).abs() < 1e-9);
        assert!((slope - 0.35).abs() < 0.01, "{slope}");
        let used = [false, false, false, false, false, false, true, false, false];
        assert_eq!(linear.used, used);
        assert!(e.metrics.r2 > 0.95, "{:?}", e.metrics);
        // The report says which features it used and lists all nine.
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["features"], "tmdb");
        assert_eq!(
            json["linear"]["coefficients"].as_array().unwrap().len(),
            MAX_FEATURES
        );
        assert_eq!(json["excluded"]["no_tmdb"], 120);
    }

    #[test]
    fn forest_with_tmdb_features_beats_the_one_without() {
        // A step in the budget plus noise the base features cannot see.
        let titles = budget_titles(3000, |ln_budget, i| {
            let noise = ((i * 7919) % 11) as f64 / 10.0 - 0.5;
            if ln_budget < 11.5 {
                4.0 + noise
            } else {
                7.5 + noise
            }
        });
        let with = evaluate(&titles, &tmdb_options(ModelKind::Forest)).unwrap();
        let without = evaluate(
            &titles,
            &ModelOptions {
                kind: ModelKind::Forest,
                ..ModelOptions::default()
            },
        )
        .unwrap();
        assert_eq!(without.excluded.no_tmdb, None);
        // Only two of the nine features are tried per split and seven are constant here, so
        // many nodes find no split: the gain is large but far from a perfect fit.
        assert!(
            with.metrics.mse < 0.6 * without.metrics.mse,
            "with {:?} without {:?}",
            with.metrics,
            without.metrics
        );
        assert!(
            with.metrics.r2 > 0.4 && without.metrics.r2 < 0.05,
            "{:?}",
            with.metrics
        );
        // Deterministic per seed, and the chunking changes nothing.
        assert_eq!(
            with,
            evaluate(&titles, &tmdb_options(ModelKind::Forest)).unwrap()
        );
        let prepared = prepare(&titles, &tmdb_options(ModelKind::Forest)).unwrap();
        let forest = ForestOptions {
            trees_per_chunk: 1,
            ..ForestOptions::default()
        };
        let mut chunked = ForestModel::new();
        while !chunked.is_complete(&forest) {
            chunked
                .grow(
                    &prepared.data.x,
                    &prepared.data.y,
                    &prepared.split.train,
                    MAX_FEATURES,
                    &forest,
                    42,
                )
                .unwrap();
        }
        let predicted = chunked
            .predict(&prepared.data.x, &prepared.split.test)
            .unwrap();
        let points: Vec<f64> = with.points.iter().map(|p| p.predicted).collect();
        assert_eq!(predicted, points);
    }

    /// The default set ignores TMDB data entirely: the same titles with and without it give the
    /// same evaluation, and the report has no trace of the option.
    #[test]
    fn default_features_ignore_tmdb_data() {
        let with_data = budget_titles(800, |ln_budget, i| 3.0 + 0.2 * ln_budget + (i % 3) as f64);
        let mut without_data = with_data.clone();
        without_data.iter_mut().for_each(|t| t.tmdb = None);
        for kind in [ModelKind::Linear, ModelKind::Forest] {
            let options = ModelOptions {
                kind,
                ..ModelOptions::default()
            };
            let a = evaluate(&with_data, &options).unwrap();
            assert_eq!(a, evaluate(&without_data, &options).unwrap());
            let json = serde_json::to_value(&a).unwrap();
            assert!(json.get("features").is_none());
            assert!(json["excluded"].get("no_tmdb").is_none());
        }
    }

    #[test]
    fn tmdb_features_without_tmdb_data_is_a_typed_error() {
        let titles = extract_titles(500, 1);
        let err = evaluate(&titles, &tmdb_options(ModelKind::Linear)).unwrap_err();
        assert_eq!(err, ModelError::NoTmdbData);
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

    #[test]
    fn packed_columns_give_the_titles_rows_and_split() {
        let mut titles = extract_titles(5000, 11);
        // Every way a title can miss a feature, beside the generator's own gaps.
        for (i, title) in titles.iter_mut().enumerate() {
            match i % 50 {
                1 => title.year = None,
                2 => title.runtime_minutes = None,
                3 => title.votes = None,
                4 => title.rating = None,
                5 => title.votes = Some(0),
                6 => title.genres.clear(),
                _ => {}
            }
        }
        let columns = FeatureColumns::from_titles(&titles);
        let filters = [
            Filter::default(),
            Filter {
                kinds: [false, true],
                ..Filter::default()
            },
            Filter {
                groups: [true, false, true, false],
                years: (1990, 2010),
                min_votes: 500,
                ..Filter::default()
            },
        ];
        for filter in filters {
            let options = ModelOptions {
                filter: filter.clone(),
                ..ModelOptions::default()
            };
            let packed = prepare_packed(&titles, &columns, &options).unwrap();
            assert_eq!(packed, prepare(&titles, &options).unwrap(), "{filter:?}");
            assert!(packed.data.excluded.total > 0 || filter != Filter::default());
        }
        // The whole evaluation is the same, bit for bit.
        let options = ModelOptions::default();
        let prepared = prepare_packed(&titles, &columns, &options).unwrap();
        let fitted = fit(&prepared, &options).unwrap();
        let predicted = fitted.predict_test(&prepared).unwrap();
        let packed = assess(&titles, &prepared, &fitted, &predicted, &options);
        assert_eq!(packed, evaluate(&titles, &options).unwrap());
        // Columns that do not match the titles are not trusted.
        let short = FeatureColumns::from_titles(&titles[..100]);
        assert_eq!(
            prepare_packed(&titles, &short, &options).unwrap(),
            prepare(&titles, &options).unwrap()
        );
    }
}
