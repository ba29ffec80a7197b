//! The random forest, grown with smartcore in chunks of trees.
//!
//! smartcore fits a whole forest in one call, which would freeze a browser tab for the length
//! of the fit. So a [`ForestModel`] is a list of smaller smartcore forests ("chunks") of
//! [`ForestOptions::trees_per_chunk`] trees each: the dashboard grows one chunk per animation
//! frame and shows progress, the CLI grows them all at once, and both get the same model. The
//! prediction is the mean over every tree, which is the trees-weighted mean of the chunks.
//! Chunk `k` is seeded with `seed + k × 1_000_003` so that chunks never share a tree seed
//! (smartcore seeds tree `i` of a forest with `seed + i`).

use serde::Serialize;
use smartcore::ensemble::random_forest_regressor::{
    RandomForestRegressor, RandomForestRegressorParameters,
};
use smartcore::linalg::basic::matrix::DenseMatrix;

use super::ModelError;
use super::features::FEATURES;

type Forest = RandomForestRegressor<f64, f64, DenseMatrix<f64>, Vec<f64>>;

/// The forest's size and shape. The defaults keep 100k titles under two seconds in a browser:
/// smartcore scans every training row of a feature at each node, so a level of the tree costs
/// about as much as all the levels above it, and depth is what the time is made of (depth 10
/// with 50 trees took 5.3 s in Chromium for 100k titles, depth 8 with 20 trees 2.3 s; see
/// BENCHMARKS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ForestOptions {
    pub trees: usize,
    pub max_depth: u16,
    pub min_samples_leaf: usize,
    /// Features tried at each split; `None` is smartcore's ⌊√6⌋ = 2.
    pub features_per_split: Option<usize>,
    pub trees_per_chunk: usize,
}

impl Default for ForestOptions {
    fn default() -> ForestOptions {
        ForestOptions {
            trees: 20,
            max_depth: 7,
            min_samples_leaf: 5,
            features_per_split: Some(2),
            trees_per_chunk: 4,
        }
    }
}

impl ForestOptions {
    /// How many chunks a full forest has.
    pub fn chunks(&self) -> usize {
        self.trees.div_ceil(self.trees_per_chunk.max(1))
    }

    fn validate(&self) -> Result<(), ModelError> {
        let bad = |what: &str| Err(ModelError::ForestOptions(what.to_string()));
        if self.trees == 0 {
            return bad("trees must be at least 1");
        }
        if self.trees_per_chunk == 0 {
            return bad("trees per chunk must be at least 1");
        }
        if self.max_depth == 0 {
            return bad("max depth must be at least 1");
        }
        if self.min_samples_leaf == 0 {
            return bad("min samples per leaf must be at least 1");
        }
        if let Some(m) = self.features_per_split
            && !(1..=FEATURES).contains(&m)
        {
            return bad("features per split must be 1 to 6");
        }
        Ok(())
    }
}

/// A forest grown so far: chunks of smartcore forests and their tree counts.
#[derive(Debug, Default)]
pub struct ForestModel {
    chunks: Vec<(Forest, usize)>,
}

impl ForestModel {
    pub fn new() -> ForestModel {
        ForestModel::default()
    }

    /// Trees grown so far.
    pub fn trees(&self) -> usize {
        self.chunks.iter().map(|(_, trees)| trees).sum()
    }

    /// Whether every chunk of `options` has been grown.
    pub fn is_complete(&self, options: &ForestOptions) -> bool {
        self.chunks.len() >= options.chunks()
    }

    /// Grows the next chunk on the rows `rows` of `x`/`y`. Does nothing once complete.
    pub fn grow(
        &mut self,
        x: &[[f64; FEATURES]],
        y: &[f64],
        rows: &[usize],
        options: &ForestOptions,
        seed: u64,
    ) -> Result<(), ModelError> {
        options.validate()?;
        if self.is_complete(options) {
            return Ok(());
        }
        if rows.is_empty() {
            return Err(ModelError::TooFewRows {
                usable: 0,
                required: 1,
            });
        }
        let k = self.chunks.len();
        let trees = options
            .trees_per_chunk
            .min(options.trees - k * options.trees_per_chunk);
        let matrix = matrix(x, rows)?;
        let target: Vec<f64> = rows.iter().map(|&r| y[r]).collect();
        let mut parameters = RandomForestRegressorParameters::default()
            .with_n_trees(trees)
            .with_max_depth(options.max_depth)
            .with_min_samples_leaf(options.min_samples_leaf)
            .with_seed(seed.wrapping_add((k as u64).wrapping_mul(1_000_003)));
        if let Some(m) = options.features_per_split {
            parameters = parameters.with_m(m);
        }
        let forest = Forest::fit(&matrix, &target, parameters)
            .map_err(|error| ModelError::Forest(error.to_string()))?;
        self.chunks.push((forest, trees));
        Ok(())
    }

    /// The mean prediction of every tree for the rows `rows` of `x`.
    pub fn predict(&self, x: &[[f64; FEATURES]], rows: &[usize]) -> Result<Vec<f64>, ModelError> {
        let total = self.trees();
        if total == 0 {
            return Err(ModelError::Forest("the forest has no trees yet".into()));
        }
        let mut sum = vec![0.0; rows.len()];
        if rows.is_empty() {
            return Ok(sum);
        }
        let matrix = matrix(x, rows)?;
        for (forest, trees) in &self.chunks {
            let predicted = forest
                .predict(&matrix)
                .map_err(|error| ModelError::Forest(error.to_string()))?;
            for (s, p) in sum.iter_mut().zip(predicted) {
                *s += p * *trees as f64;
            }
        }
        sum.iter_mut().for_each(|s| *s /= total as f64);
        Ok(sum)
    }
}

/// Grows a whole forest at once.
pub fn fit_forest(
    x: &[[f64; FEATURES]],
    y: &[f64],
    rows: &[usize],
    options: &ForestOptions,
    seed: u64,
) -> Result<ForestModel, ModelError> {
    options.validate()?;
    let mut model = ForestModel::new();
    while !model.is_complete(options) {
        model.grow(x, y, rows, options, seed)?;
    }
    Ok(model)
}

fn matrix(x: &[[f64; FEATURES]], rows: &[usize]) -> Result<DenseMatrix<f64>, ModelError> {
    let values: Vec<f64> = rows.iter().flat_map(|&r| x[r]).collect();
    DenseMatrix::new(rows.len(), FEATURES, values, false)
        .map_err(|error| ModelError::Forest(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Vec<[f64; FEATURES]>, Vec<f64>) {
        let x: Vec<[f64; FEATURES]> = (0..300)
            .map(|i| {
                let i = f64::from(i);
                [
                    1950.0 + i % 60.0,
                    80.0 + i % 40.0,
                    i % 9.0,
                    i % 2.0,
                    i % 3.0,
                    0.0,
                ]
            })
            .collect();
        // A step function a tree can fit and a line cannot.
        let y = x
            .iter()
            .map(|r| if r[0] < 1980.0 { 5.0 } else { 8.0 })
            .collect();
        (x, y)
    }

    #[test]
    fn forest_fits_a_step_and_is_deterministic_per_seed() {
        let (x, y) = data();
        let rows: Vec<usize> = (0..300).collect();
        let options = ForestOptions {
            trees: 7,
            trees_per_chunk: 4,
            ..ForestOptions::default()
        };
        let model = fit_forest(&x, &y, &rows, &options, 1).unwrap();
        assert_eq!(model.trees(), 7);
        assert_eq!(model.chunks.len(), 2, "7 trees in chunks of 4");
        let predicted = model.predict(&x, &rows).unwrap();
        // The target's variance is 2.25; a forest should explain nearly all of it.
        let mse = predicted
            .iter()
            .zip(&y)
            .map(|(p, a)| (p - a).powi(2))
            .sum::<f64>()
            / y.len() as f64;
        assert!(mse < 0.1, "mse {mse}");
        let again = fit_forest(&x, &y, &rows, &options, 1).unwrap();
        assert_eq!(again.predict(&x, &rows).unwrap(), predicted);
    }

    #[test]
    fn bad_options_are_errors() {
        let (x, y) = data();
        let rows: Vec<usize> = (0..300).collect();
        for options in [
            ForestOptions {
                trees: 0,
                ..ForestOptions::default()
            },
            ForestOptions {
                trees_per_chunk: 0,
                ..ForestOptions::default()
            },
            ForestOptions {
                features_per_split: Some(7),
                ..ForestOptions::default()
            },
        ] {
            assert!(matches!(
                fit_forest(&x, &y, &rows, &options, 0),
                Err(ModelError::ForestOptions(_))
            ));
        }
        assert!(ForestModel::new().predict(&x, &rows).is_err());
    }
}
