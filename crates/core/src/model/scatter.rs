//! Predicted-vs-actual as a density raster: 100k points as a few thousand pixel counts.
//!
//! Drawing each point on a canvas costs several JS calls (TOOLCHAIN.md); counting points per
//! pixel here and painting the counts once with `putImageData` keeps the scatter fast and
//! readable at any size (dense areas get darker instead of a solid blot). The counting is pure
//! arithmetic, so it lives in core and is tested natively.

/// A value range of one axis, `lo < hi`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub lo: f64,
    pub hi: f64,
}

/// Points per pixel, row-major from the top-left (row 0 is `y.hi`), `width × height` long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raster {
    pub width: usize,
    pub height: usize,
    pub counts: Vec<u32>,
    /// The largest count (0 for no points), for scaling the shading.
    pub max: u32,
}

/// Counts `(x, y)` points into pixels; points outside the ranges (or not finite) are dropped.
pub fn raster(
    points: impl IntoIterator<Item = (f64, f64)>,
    width: usize,
    height: usize,
    x: Range,
    y: Range,
) -> Raster {
    let mut counts = vec![0u32; width * height];
    let mut max = 0;
    let (sx, sy) = (width as f64 / (x.hi - x.lo), height as f64 / (y.hi - y.lo));
    if width > 0 && height > 0 && sx.is_finite() && sy.is_finite() && sx > 0.0 && sy > 0.0 {
        for (px, py) in points {
            let col = (px - x.lo) * sx;
            let row = (y.hi - py) * sy;
            if !(col >= 0.0 && row >= 0.0 && col <= width as f64 && row <= height as f64) {
                continue;
            }
            // The upper edges belong to the last column/row.
            let col = (col as usize).min(width - 1);
            let row = (row as usize).min(height - 1);
            let cell = &mut counts[row * width + col];
            *cell += 1;
            max = max.max(*cell);
        }
    }
    Raster {
        width,
        height,
        counts,
        max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raster_counts_points_per_pixel() {
        let r = Range { lo: 0.0, hi: 4.0 };
        let points = [
            (0.0, 0.0),
            (0.1, 0.2),
            (4.0, 4.0),
            (2.5, 1.5),
            (5.0, 1.0),
            (f64::NAN, 1.0),
        ];
        let raster = raster(points, 4, 2, r, r);
        // Row 0 is y in [2, 4], row 1 is y in [0, 2).
        assert_eq!(raster.counts, [0, 0, 0, 1, 2, 0, 1, 0]);
        assert_eq!(raster.max, 2);
        let empty = super::raster([(1.0, 1.0)], 0, 3, r, r);
        assert_eq!((empty.counts.len(), empty.max), (0, 0));
    }
}
