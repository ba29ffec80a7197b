//! The seeded train/test split.
//!
//! A Fisher–Yates shuffle driven by the core's own [`Rng`] (integer draws only), so the same seed
//! gives the same split natively, in wasm, and in the fixture script that re-implements it
//! (`testdata/model/make_fixtures.py`). smartcore's `train_test_split` is not used: it panics on
//! sizes it does not like, and its RNG is not ours to pin.

use serde::Serialize;

use super::{BLOCK, ModelError};
use crate::generate::Rng;

/// Row indices (into a [`Dataset`](super::Dataset)) of each side, both sorted ascending.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// How many of `n` rows go to the test side: `round(n × fraction)`, at least one and leaving at
/// least one for training.
pub fn test_size(n: usize, test_fraction: f64) -> usize {
    let wanted = (n as f64 * test_fraction).round() as usize;
    wanted.clamp(1, n.saturating_sub(1).max(1))
}

/// The Fisher–Yates steps for `i` in `steps`, highest first (one call per [`BLOCK`]).
#[inline(never)]
fn shuffle_block(order: &mut [usize], rng: &mut Rng, steps: std::ops::Range<usize>) {
    for i in steps.rev() {
        // i + 1 ≤ n fits in u64 and the draw is below it, so it fits back in usize.
        let j = rng.below((i + 1) as u64) as usize;
        order.swap(i, j);
    }
}

/// Shuffles `0..n` with `seed` and puts the first [`test_size`] indices on the test side.
pub fn split(n: usize, test_fraction: f64, seed: u64) -> Result<Split, ModelError> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(ModelError::TestFraction(test_fraction));
    }
    if n < 2 {
        return Err(ModelError::TooFewRows {
            usable: n,
            required: 2,
        });
    }
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Rng::new(seed);
    // Fisher–Yates from the top, i = n − 1 down to 1, one block of i per call.
    let mut top = n;
    while top > 1 {
        let bottom = top.saturating_sub(BLOCK).max(1);
        shuffle_block(&mut order, &mut rng, bottom..top);
        top = bottom;
    }
    // The first `test_size` shuffled indices are the test side; listing both sides from a mask
    // gives them in ascending order without sorting.
    let test_rows = test_size(n, test_fraction);
    let mut is_test = vec![false; n];
    for &i in &order[..test_rows] {
        is_test[i] = true;
    }
    let mut split = Split {
        train: Vec::with_capacity(n - test_rows),
        test: Vec::with_capacity(test_rows),
    };
    for (i, &test) in is_test.iter().enumerate() {
        if test {
            split.test.push(i);
        } else {
            split.train.push(i);
        }
    }
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_sizes_follow_the_fraction() {
        let check = |n: usize, fraction: f64, expected_test: usize| {
            let split = split(n, fraction, 7).unwrap();
            assert_eq!(split.test.len(), expected_test, "n={n} fraction={fraction}");
            assert_eq!(split.train.len(), n - expected_test, "n={n}");
        };
        check(100, 0.2, 20);
        check(30, 0.2, 6);
        check(2, 0.2, 1);
        check(2, 0.9, 1);
        check(11, 0.2, 2);
        check(13, 0.2, 3);
    }

    #[test]
    fn split_is_a_partition_and_depends_on_the_seed() {
        let a = split(1000, 0.2, 1).unwrap();
        let mut all: Vec<usize> = a.train.iter().chain(&a.test).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        assert_eq!(a, split(1000, 0.2, 1).unwrap());
        assert_ne!(a.test, split(1000, 0.2, 2).unwrap().test);
    }

    #[test]
    fn split_refuses_bad_sizes_instead_of_panicking() {
        assert!(matches!(
            split(1, 0.2, 0),
            Err(ModelError::TooFewRows { usable: 1, .. })
        ));
        assert!(matches!(
            split(0, 0.2, 0),
            Err(ModelError::TooFewRows { usable: 0, .. })
        ));
        for fraction in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(matches!(
                split(10, fraction, 0),
                Err(ModelError::TestFraction(_))
            ));
        }
    }
}
