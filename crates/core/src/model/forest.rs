//! The random forest: bagged regression trees, grown in chunks of trees so the browser can yield.
//!
//! Each tree is a CART regression tree grown on a bootstrap sample of the training rows, trying
//! [`ForestOptions::features_per_split`] random features at each node and keeping the split that
//! lowers the squared error most; the forest predicts the mean of its trees.
//!
//! Why not smartcore's `RandomForestRegressor` (the first version used it): smartcore draws the
//! bootstrap samples and, inside each tree, the feature subsets from rand's `SmallRng`, which is
//! xoshiro256++ on 64-bit targets and xoshiro128++ on wasm32, and is created inside the tree
//! where no caller can replace it. So one seed grew one forest in `cinelake model` and another in
//! the browser, and the page's forest cards could not be checked against the CLI. It also
//! argsorts every column again on each call, which made chunking expensive. This forest:
//! - draws everything from core's own [`Rng`] with integer draws only, and does its float
//!   arithmetic in a fixed order, so a seed gives the same trees natively and in wasm;
//! - seeds tree `t` from `(seed, t)` alone, so the trees do not depend on how they are chunked;
//! - bins each feature once per forest (at most 256 bins, cut at the training values'
//!   quantiles; exact values when there are fewer), so a node costs one pass over its rows per
//!   feature tried, as in LightGBM or scikit-learn's histogram estimators.
//!
//! smartcore remains the reference: a test checks that this forest's test error is as low as
//! smartcore's on the same rows, and `benches/model.rs` times both.

use serde::Serialize;

use super::ModelError;
use super::features::{MAX_FEATURES, Row};
use crate::generate::Rng;

/// The most bins a feature is cut into (a bin index fits in a `u8`).
const MAX_BINS: usize = 256;

/// The forest's size and shape. The defaults grow 100k titles in about a third of a second in
/// Chromium (the budget is two seconds; BENCHMARKS.md). Bigger forests barely help on this data:
/// 100 trees of depth 12 lowered the test MSE on 100k generated titles by 1.4 % (0.786 → 0.775)
/// for several times the time, and the linear model still does better (0.761).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ForestOptions {
    pub trees: usize,
    pub max_depth: u16,
    /// The fewest training samples (bootstrap draws, so a row drawn twice counts twice) a leaf
    /// may hold.
    pub min_samples_leaf: usize,
    /// Features tried at each split; `None` is ⌊√width⌋ (2 for the six default features, 3
    /// with the TMDB features).
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

    fn tried_per_split(&self, width: usize) -> usize {
        self.features_per_split
            .unwrap_or((width as f64).sqrt() as usize)
    }

    fn validate(&self, width: usize) -> Result<(), ModelError> {
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
        if !(1..=MAX_FEATURES).contains(&width) {
            return Err(ModelError::Forest(format!(
                "{width} features, the model has 1 to {MAX_FEATURES}"
            )));
        }
        if let Some(m) = self.features_per_split
            && !(1..=width).contains(&m)
        {
            return bad(&format!("features per split must be 1 to {width}"));
        }
        Ok(())
    }
}

/// The training rows, binned once for every tree of a forest.
#[derive(Debug)]
struct Binned {
    /// How many features (the first `width` columns of a row) the forest uses.
    width: usize,
    /// Per feature, ascending cut values: a value `v` is in bin "number of cuts below `v`", so
    /// bins `0..=b` hold exactly the values `v <= cuts[b]`. Empty from `width` on.
    cuts: [Vec<f64>; MAX_FEATURES],
    /// Per feature, the bin of each training row (in the order of the `rows` given to grow).
    /// Empty from `width` on.
    bins: [Vec<u8>; MAX_FEATURES],
    /// The target of each training row.
    y: Vec<f64>,
}

/// The cut values for one feature's training values, sorted ascending.
fn cuts(sorted: &[f64]) -> Vec<f64> {
    let mut distinct = sorted.to_vec();
    distinct.dedup();
    if distinct.len() <= MAX_BINS {
        // One bin per value: a cut after every value but the largest.
        distinct.pop();
        return distinct;
    }
    let (n, max) = (sorted.len(), sorted[sorted.len() - 1]);
    let mut cuts: Vec<f64> = Vec::with_capacity(MAX_BINS - 1);
    for k in 1..MAX_BINS {
        let value = sorted[k * n / MAX_BINS];
        if value < max && cuts.last().is_none_or(|&last| value > last) {
            cuts.push(value);
        }
    }
    cuts
}

fn bin(x: &[Row], y: &[f64], rows: &[usize], width: usize) -> Binned {
    let column = |j: usize| -> (Vec<f64>, Vec<u8>) {
        if j >= width {
            return (Vec::new(), Vec::new());
        }
        let values: Vec<f64> = rows.iter().map(|&r| x[r][j]).collect();
        let mut sorted = values.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let cuts = cuts(&sorted);
        // At most 255 cuts, so the bin index fits in a u8.
        let bins = values
            .iter()
            .map(|&v| cuts.partition_point(|&c| c < v) as u8)
            .collect();
        (cuts, bins)
    };
    let mut cuts: [Vec<f64>; MAX_FEATURES] = Default::default();
    let mut bins: [Vec<u8>; MAX_FEATURES] = Default::default();
    for j in 0..width {
        (cuts[j], bins[j]) = column(j);
    }
    Binned {
        width,
        cuts,
        bins,
        y: rows.iter().map(|&r| y[r]).collect(),
    }
}

/// A node of a tree: a leaf's prediction, or a split that sends `x[feature] <= threshold` to
/// `left` and the rest to `right` (indices into the tree's nodes).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Node {
    Leaf(f64),
    Split {
        feature: u8,
        threshold: f64,
        left: u32,
        right: u32,
    },
}

/// One regression tree; node 0 is the root.
#[derive(Debug, Clone, PartialEq)]
struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    fn predict(&self, x: &Row) -> f64 {
        let mut at = 0;
        loop {
            match self.nodes[at] {
                Node::Leaf(value) => return value,
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    at = if x[usize::from(feature)] <= threshold {
                        left
                    } else {
                        right
                    } as usize;
                }
            }
        }
    }
}

/// The seed of tree `t` of the forest seeded `seed` (the split uses `seed` itself; [`Rng::new`]
/// mixes its seed, so neighbouring seeds give unrelated streams).
fn tree_seed(seed: u64, t: usize) -> u64 {
    seed ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

fn grow_tree(data: &Binned, options: &ForestOptions, rng: &mut Rng) -> Tree {
    let n = data.y.len();
    // The bootstrap sample: n draws with replacement, kept as a count per row.
    let mut weight = vec![0u32; n];
    for _ in 0..n {
        // The draw is below n, so it fits back in usize.
        weight[rng.below(n as u64) as usize] += 1;
    }
    let mut index: Vec<u32> = (0..n as u32).filter(|&i| weight[i as usize] > 0).collect();
    let min_leaf = options.min_samples_leaf as f64;
    let width = data.width;
    let tried = options.tried_per_split(width);
    let mut nodes = vec![Node::Leaf(0.0)];
    // Per bin: (weight, weighted target sum).
    let mut histogram = [(0.0f64, 0.0f64); MAX_BINS];
    // (node, start, end, depth): the node's rows are index[start..end].
    let mut pending = vec![(0usize, 0usize, index.len(), 0u16)];
    while let Some((node, start, end, depth)) = pending.pop() {
        let rows = &mut index[start..end];
        let (mut total, mut sum) = (0.0, 0.0);
        for &i in rows.iter() {
            let w = f64::from(weight[i as usize]);
            total += w;
            sum += w * data.y[i as usize];
        }
        nodes[node] = Node::Leaf(sum / total);
        if depth >= options.max_depth || total < 2.0 * min_leaf {
            continue;
        }
        // A partial Fisher–Yates shuffle picks the features to try among the first `width`:
        // with the default six it draws exactly the numbers it drew before rows had nine
        // columns, so default forests are unchanged.
        let mut features: [usize; MAX_FEATURES] = std::array::from_fn(|j| j);
        for k in 0..tried {
            let j = k + rng.below((width - k) as u64) as usize;
            features.swap(k, j);
        }
        // Maximising sum_l²/w_l + sum_r²/w_r minimises the children's squared error; a split
        // must beat the parent by more than rounding.
        let parent = sum * sum / total;
        let mut best_score = parent + parent.abs() * 1e-12;
        let mut best: Option<(usize, usize)> = None;
        for &feature in &features[..tried] {
            let bins = &data.bins[feature];
            let count = data.cuts[feature].len() + 1;
            if count < 2 {
                continue;
            }
            histogram[..count].fill((0.0, 0.0));
            for &i in rows.iter() {
                let w = f64::from(weight[i as usize]);
                let cell = &mut histogram[usize::from(bins[i as usize])];
                cell.0 += w;
                cell.1 += w * data.y[i as usize];
            }
            let (mut left_total, mut left_sum) = (0.0, 0.0);
            for (b, &(w, s)) in histogram[..count - 1].iter().enumerate() {
                left_total += w;
                left_sum += s;
                let right_total = total - left_total;
                if left_total < min_leaf || w == 0.0 {
                    continue;
                }
                if right_total < min_leaf {
                    break;
                }
                let right_sum = sum - left_sum;
                let score = left_sum * left_sum / left_total + right_sum * right_sum / right_total;
                if score > best_score {
                    best_score = score;
                    best = Some((feature, b));
                }
            }
        }
        let Some((feature, b)) = best else {
            continue;
        };
        // Partition the rows: bin <= b to the front.
        let bins = &data.bins[feature];
        let mut middle = 0;
        for k in 0..rows.len() {
            if usize::from(bins[rows[k] as usize]) <= b {
                rows.swap(k, middle);
                middle += 1;
            }
        }
        let left = nodes.len();
        nodes.push(Node::Leaf(0.0));
        nodes.push(Node::Leaf(0.0));
        nodes[node] = Node::Split {
            // MAX_FEATURES is 9, so the index fits in a u8; trees hold far fewer than 2^32 nodes.
            feature: feature as u8,
            threshold: data.cuts[feature][b],
            left: left as u32,
            right: left as u32 + 1,
        };
        pending.push((left + 1, start + middle, end, depth + 1));
        pending.push((left, start, start + middle, depth + 1));
    }
    Tree { nodes }
}

/// A forest grown so far. Every call to [`ForestModel::grow`] must pass the same rows.
#[derive(Debug, Default)]
pub struct ForestModel {
    /// Boxed: the binned rows are large, and a model is moved around in an enum.
    binned: Option<Box<Binned>>,
    trees: Vec<Tree>,
}

impl ForestModel {
    pub fn new() -> ForestModel {
        ForestModel::default()
    }

    /// Trees grown so far.
    pub fn trees(&self) -> usize {
        self.trees.len()
    }

    /// Whether every tree of `options` has been grown.
    pub fn is_complete(&self, options: &ForestOptions) -> bool {
        self.trees.len() >= options.trees
    }

    /// Grows the next chunk of trees on the rows `rows` of `x`/`y`, using the first `width`
    /// features (the same rows and width every call). Does nothing once complete.
    pub fn grow(
        &mut self,
        x: &[Row],
        y: &[f64],
        rows: &[usize],
        width: usize,
        options: &ForestOptions,
        seed: u64,
    ) -> Result<(), ModelError> {
        options.validate(width)?;
        if self.is_complete(options) {
            return Ok(());
        }
        if rows.is_empty() {
            return Err(ModelError::TooFewRows {
                usable: 0,
                required: 1,
            });
        }
        let data = self
            .binned
            .get_or_insert_with(|| Box::new(bin(x, y, rows, width)));
        if data.y.len() != rows.len() || data.width != width {
            return Err(ModelError::Forest(format!(
                "the forest was started on {} rows of {} features and is now given {} of {width}",
                data.y.len(),
                data.width,
                rows.len()
            )));
        }
        let first = self.trees.len();
        let last = options.trees.min(first + options.trees_per_chunk);
        for t in first..last {
            let mut rng = Rng::new(tree_seed(seed, t));
            self.trees.push(grow_tree(data, options, &mut rng));
        }
        Ok(())
    }

    /// The mean prediction of every tree for the rows `rows` of `x`.
    pub fn predict(&self, x: &[Row], rows: &[usize]) -> Result<Vec<f64>, ModelError> {
        if self.trees.is_empty() {
            return Err(ModelError::Forest("the forest has no trees yet".into()));
        }
        let count = self.trees.len() as f64;
        Ok(rows
            .iter()
            .map(|&r| self.trees.iter().map(|t| t.predict(&x[r])).sum::<f64>() / count)
            .collect())
    }
}

/// Grows a whole forest at once.
pub fn fit_forest(
    x: &[Row],
    y: &[f64],
    rows: &[usize],
    width: usize,
    options: &ForestOptions,
    seed: u64,
) -> Result<ForestModel, ModelError> {
    options.validate(width)?;
    let mut model = ForestModel::new();
    while !model.is_complete(options) {
        model.grow(x, y, rows, width, options, seed)?;
    }
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::features::FEATURES;

    fn data() -> (Vec<Row>, Vec<f64>) {
        let x: Vec<Row> = (0..300)
            .map(|i| {
                let i = f64::from(i);
                [
                    1950.0 + i % 60.0,
                    80.0 + i % 40.0,
                    i % 9.0,
                    i % 2.0,
                    i % 3.0,
                    0.0,
                    0.0,
                    0.0,
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

    fn mse(predicted: &[f64], actual: &[f64]) -> f64 {
        predicted
            .iter()
            .zip(actual)
            .map(|(p, a)| (p - a).powi(2))
            .sum::<f64>()
            / actual.len() as f64
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
        let model = fit_forest(&x, &y, &rows, FEATURES, &options, 1).unwrap();
        assert_eq!(model.trees(), 7);
        let predicted = model.predict(&x, &rows).unwrap();
        // The target's variance is 2.25; a forest should explain nearly all of it.
        let error = mse(&predicted, &y);
        assert!(error < 0.1, "mse {error}");
        let again = fit_forest(&x, &y, &rows, FEATURES, &options, 1).unwrap();
        assert_eq!(again.trees, model.trees);
        let other = fit_forest(&x, &y, &rows, FEATURES, &options, 2).unwrap();
        assert_ne!(other.trees, model.trees);
    }

    #[test]
    fn chunking_does_not_change_the_forest() {
        let titles = crate::generate::extract_titles(3000, 11);
        let data = crate::model::features::dataset(
            &titles,
            &crate::yearly::Filter::default(),
            crate::model::FeatureSet::Base,
        );
        let rows: Vec<usize> = (0..data.len()).collect();
        let grown = |trees_per_chunk| {
            let options = ForestOptions {
                trees: 9,
                trees_per_chunk,
                ..ForestOptions::default()
            };
            let mut model = ForestModel::new();
            let mut calls = 0;
            while !model.is_complete(&options) {
                model
                    .grow(&data.x, &data.y, &rows, FEATURES, &options, 5)
                    .unwrap();
                calls += 1;
            }
            assert_eq!(calls, options.chunks());
            model.trees
        };
        let one_call = grown(9);
        assert_eq!(grown(1), one_call);
        assert_eq!(grown(4), one_call);
    }

    #[test]
    fn cuts_are_exact_values_or_quantiles() {
        assert_eq!(cuts(&[1.0, 1.0, 2.0, 5.0, 5.0]), [1.0, 2.0]);
        assert_eq!(cuts(&[3.0, 3.0]), Vec::<f64>::new());
        let many: Vec<f64> = (0..10_000).map(f64::from).collect();
        let quantiles = cuts(&many);
        assert_eq!(quantiles.len(), MAX_BINS - 1);
        assert!(quantiles.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(quantiles[0], 39.0);
        // Heavy ties: cuts stay distinct and below the maximum.
        let mut tied = vec![0.0; 5000];
        tied.extend((0..400).map(f64::from));
        tied.sort_by(f64::total_cmp);
        let tied_cuts = cuts(&tied);
        assert!(tied_cuts.windows(2).all(|w| w[0] < w[1]));
        assert!(tied_cuts.iter().all(|&c| c < 399.0));
    }

    #[test]
    fn a_tree_never_splits_below_the_minimum_leaf() {
        let (x, y) = data();
        let rows: Vec<usize> = (0..300).collect();
        let options = ForestOptions {
            trees: 3,
            max_depth: 30,
            min_samples_leaf: 40,
            ..ForestOptions::default()
        };
        let model = fit_forest(&x, &y, &rows, FEATURES, &options, 3).unwrap();
        for (t, tree) in model.trees.iter().enumerate() {
            // Replay the bootstrap draw of tree t and count the samples reaching each leaf.
            let mut rng = Rng::new(tree_seed(3, t));
            let mut weight = vec![0u32; rows.len()];
            for _ in 0..rows.len() {
                weight[rng.below(rows.len() as u64) as usize] += 1;
            }
            let mut reached = vec![0u32; tree.nodes.len()];
            for (i, row) in x.iter().enumerate() {
                let mut at = 0;
                while let Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } = tree.nodes[at]
                {
                    at = if row[usize::from(feature)] <= threshold {
                        left
                    } else {
                        right
                    } as usize;
                }
                reached[at] += weight[i];
            }
            for (node, &count) in tree.nodes.iter().zip(&reached) {
                if matches!(node, Node::Leaf(_)) && count > 0 {
                    assert!(count >= 40, "tree {t}: a leaf holds {count} samples");
                }
            }
        }
    }

    /// smartcore's forest is the independent reference: on the same training rows, with the
    /// same shape (trees, depth, leaf size, features per split), this forest's test error must
    /// be as low as smartcore's, within a margin for the binning and the different random draws.
    #[test]
    fn test_error_matches_smartcores_forest() {
        use smartcore::ensemble::random_forest_regressor::{
            RandomForestRegressor, RandomForestRegressorParameters,
        };
        use smartcore::linalg::basic::matrix::DenseMatrix;

        let titles = crate::generate::extract_titles(8000, 21);
        let data = crate::model::features::dataset(
            &titles,
            &crate::yearly::Filter::default(),
            crate::model::FeatureSet::Base,
        );
        let split = crate::model::split::split(data.len(), 0.2, 21).unwrap();
        let options = ForestOptions::default();
        let ours = fit_forest(&data.x, &data.y, &split.train, FEATURES, &options, 21).unwrap();
        let actual: Vec<f64> = split.test.iter().map(|&r| data.y[r]).collect();
        let ours = mse(&ours.predict(&data.x, &split.test).unwrap(), &actual);

        let matrix = |rows: &[usize]| {
            let values: Vec<f64> = rows
                .iter()
                .flat_map(|&r| data.x[r][..FEATURES].to_vec())
                .collect();
            DenseMatrix::new(rows.len(), FEATURES, values, false).unwrap()
        };
        let train_y: Vec<f64> = split.train.iter().map(|&r| data.y[r]).collect();
        let parameters = RandomForestRegressorParameters::default()
            .with_n_trees(options.trees)
            .with_max_depth(options.max_depth)
            .with_min_samples_leaf(options.min_samples_leaf)
            .with_m(options.tried_per_split(FEATURES))
            .with_seed(21);
        let reference = RandomForestRegressor::<f64, f64, DenseMatrix<f64>, Vec<f64>>::fit(
            &matrix(&split.train),
            &train_y,
            parameters,
        )
        .unwrap();
        let theirs = mse(&reference.predict(&matrix(&split.test)).unwrap(), &actual);
        assert!(
            ours <= theirs * 1.03,
            "test mse: ours {ours}, smartcore {theirs}"
        );
        eprintln!("test mse: ours {ours}, smartcore {theirs}");
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
                fit_forest(&x, &y, &rows, FEATURES, &options, 0),
                Err(ModelError::ForestOptions(_))
            ));
        }
        assert!(ForestModel::new().predict(&x, &rows).is_err());
        // Growing on other rows than the first chunk's is refused, not silently mixed.
        let options = ForestOptions {
            trees: 2,
            trees_per_chunk: 1,
            ..ForestOptions::default()
        };
        let mut model = ForestModel::new();
        model.grow(&x, &y, &rows, FEATURES, &options, 0).unwrap();
        assert!(matches!(
            model.grow(&x, &y, &rows[..100], FEATURES, &options, 0),
            Err(ModelError::Forest(_))
        ));
    }
}
