//! The dashboard's model on 100k generated titles (`generate::extract_titles(100_000, 42)`).
//!
//! - `linear/evaluate`: features + split + closed-form OLS + metrics + residuals (what the
//!   dashboard runs on every model change); `linear/evaluate_packed`: the same from
//!   `FeatureColumns` packed beforehand (the dashboard's path); `linear/prepare` and
//!   `linear/prepare_packed`: the features and split alone, each way; `linear/fit_only`: the
//!   OLS alone on the 80k training rows; peer `linear/smartcore_qr`: smartcore's
//!   `LinearRegression` (QR) on the same rows, to show the closed form is not the slow part.
//! - `forest/evaluate`: the default forest (20 trees, depth 7, two features per split, grown in
//!   chunks of 4: `model::forest`'s histogram trees); peer `forest/smartcore_one_call`: a forest
//!   of the same shape grown by smartcore in one call.
//!
//! Run with `cargo bench -p cinelake-core --bench model`.

use std::hint::black_box;

use cinelake_core::generate::extract_titles;
use cinelake_core::model::{self, FEATURES, ForestOptions, ModelKind, ModelOptions, Row, linear};
use criterion::{Criterion, criterion_group, criterion_main};
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::linear_regression::{
    LinearRegression, LinearRegressionParameters, LinearRegressionSolverName,
};

fn matrix(x: &[Row], rows: &[usize]) -> DenseMatrix<f64> {
    let values: Vec<f64> = rows
        .iter()
        .flat_map(|&r| x[r][..FEATURES].to_vec())
        .collect();
    DenseMatrix::new(rows.len(), FEATURES, values, false).unwrap()
}

fn bench(c: &mut Criterion) {
    let titles = extract_titles(100_000, 42);
    let linear_options = ModelOptions::default();
    let forest_options = ModelOptions {
        kind: ModelKind::Forest,
        ..ModelOptions::default()
    };
    let prepared = model::prepare(&titles, &linear_options).unwrap();
    let (x, y, train) = (&prepared.data.x, &prepared.data.y, &prepared.split.train);
    let train_matrix = matrix(x, train);
    let train_y: Vec<f64> = train.iter().map(|&r| y[r]).collect();

    let mut group = c.benchmark_group("linear");
    group.sample_size(20);
    group.bench_function("evaluate", |b| {
        b.iter(|| black_box(model::evaluate(&titles, &linear_options).unwrap().metrics))
    });
    // The dashboard's path: the features from columns packed while the titles loaded.
    let columns = model::FeatureColumns::from_titles(&titles);
    group.bench_function("evaluate_packed", |b| {
        b.iter(|| {
            let prepared = model::prepare_packed(&titles, &columns, &linear_options).unwrap();
            let fitted = model::fit(&prepared, &linear_options).unwrap();
            let predicted = fitted.predict_test(&prepared).unwrap();
            black_box(
                model::assess(&titles, &prepared, &fitted, &predicted, &linear_options).metrics,
            )
        })
    });
    group.bench_function("prepare", |b| {
        b.iter(|| {
            black_box(
                model::prepare(&titles, &linear_options)
                    .unwrap()
                    .split
                    .test
                    .len(),
            )
        })
    });
    group.bench_function("prepare_packed", |b| {
        b.iter(|| {
            black_box(
                model::prepare_packed(&titles, &columns, &linear_options)
                    .unwrap()
                    .split
                    .test
                    .len(),
            )
        })
    });
    group.bench_function("fit_only", |b| {
        b.iter(|| black_box(linear::fit_linear(x, y, train, FEATURES).unwrap()))
    });
    group.bench_function("smartcore_qr", |b| {
        b.iter(|| {
            let parameters =
                LinearRegressionParameters::default().with_solver(LinearRegressionSolverName::QR);
            black_box(LinearRegression::fit(&train_matrix, &train_y, parameters).unwrap())
        })
    });
    group.finish();

    let mut group = c.benchmark_group("forest");
    group.sample_size(10);
    group.bench_function("evaluate", |b| {
        b.iter(|| black_box(model::evaluate(&titles, &forest_options).unwrap().metrics))
    });
    group.bench_function("smartcore_one_call", |b| {
        let options = ForestOptions::default();
        b.iter(|| {
            let parameters = RandomForestRegressorParameters::default()
                .with_n_trees(options.trees)
                .with_max_depth(options.max_depth)
                .with_min_samples_leaf(options.min_samples_leaf)
                .with_m(options.features_per_split.unwrap_or(2))
                .with_seed(42);
            black_box(
                RandomForestRegressor::<f64, f64, DenseMatrix<f64>, Vec<f64>>::fit(
                    &train_matrix,
                    &train_y,
                    parameters,
                )
                .unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
