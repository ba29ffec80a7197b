#!/usr/bin/env python3
"""Expected values for cinelake's model, computed outside Rust (numpy + scipy).

Reads the committed extracts in this folder and writes one JSON file per case into
`expected/`. `crates/core/tests/model_fixtures.rs` compares `cinelake_core::model` with them:
coefficients to 1e-6, metrics to 1e-9. Tests never run this script; rerun it only when the inputs
or the definitions change:

    python3 -m venv ~/.cache/cinelake/tools/numpy-venv
    ~/.cache/cinelake/tools/numpy-venv/bin/pip install numpy==2.2.6 scipy==1.15.3
    ~/.cache/cinelake/tools/numpy-venv/bin/python testdata/model/make_fixtures.py

Independent of the Rust code on purpose: the features are re-derived from the CSV here, OLS is
`numpy.linalg.lstsq`, the t quantile is `scipy.stats.t.ppf`. Only the split is shared by
definition: a Fisher-Yates shuffle driven by xoshiro256** seeded through splitmix64, exactly as
`cinelake_core::generate::Rng` (re-implemented below in integer arithmetic).
"""

import csv
import json
import math
import os
from collections import defaultdict

import numpy as np
import scipy
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
MASK = (1 << 64) - 1


class Rng:
    """xoshiro256** seeded by splitmix64, as crates/core/src/generate.rs."""

    def __init__(self, seed):
        x = seed & MASK
        state = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
            state.append(z ^ (z >> 31))
        self.s = state

    def next_u64(self):
        s = self.s
        rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & MASK
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        return (self.next_u64() * n) >> 64


def split(n, test_fraction, seed):
    order = list(range(n))
    rng = Rng(seed)
    for i in range(n - 1, 0, -1):
        j = rng.below(i + 1)
        order[i], order[j] = order[j], order[i]
    # Rust's f64::round rounds half away from zero; Python's round() would round half to even.
    wanted = math.floor(n * test_fraction + 0.5)
    n_test = min(max(wanted, 1), max(n - 1, 1))
    return sorted(order[n_test:]), sorted(order[:n_test])


def read_extract(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def dataset(rows):
    """Usable rows (features, rating, row) and the exclusion counts, as DESIGN.md defines them."""
    x, y, used = [], [], []
    excluded = dict(filtered=0, total=0, no_year=0, no_runtime=0, no_votes=0, no_rating=0)
    for row in rows:
        fields = {k: row[k] for k in ("year", "runtime_minutes", "votes", "rating")}
        if all(fields.values()):
            genres = row["genres"].split(";") if row["genres"] else []
            x.append([
                float(row["year"]),
                float(row["runtime_minutes"]),
                math.log1p(float(row["votes"])),
                1.0 if "Comedy" in genres else 0.0,
                1.0 if "Animation" in genres else 0.0,
                1.0 if row["kind"] == "series" else 0.0,
            ])
            y.append(float(row["rating"]))
            used.append(row)
        else:
            excluded["total"] += 1
            for key, name in [("year", "no_year"), ("runtime_minutes", "no_runtime"),
                              ("votes", "no_votes"), ("rating", "no_rating")]:
                excluded[name] += 0 if fields[key] else 1
    return np.array(x), np.array(y), used, excluded


def metrics(actual, predicted):
    e = actual - predicted
    sse = float(np.sum(e * e))
    sst = float(np.sum((actual - actual.mean()) ** 2))
    mse = sse / len(actual)
    return dict(mse=mse, mae=float(np.mean(np.abs(e))), rmse=math.sqrt(mse),
                r2=1.0 - sse / sst if sst > 0 else (1.0 if sse == 0 else 0.0))


def trend(rows, horizon, level):
    """OLS of the yearly mean rating (every rated title with a year) on the year."""
    sums = defaultdict(lambda: [0, 0])
    for row in rows:
        if row["year"] and row["rating"]:
            tenths = round(float(row["rating"]) * 10)
            sums[int(row["year"])][0] += tenths
            sums[int(row["year"])][1] += 1
    years = sorted(sums)
    xs = np.array(years, dtype=float)
    ys = np.array([sums[y][0] / sums[y][1] / 10.0 for y in years])
    n = len(xs)
    design = np.column_stack([np.ones(n), xs])
    (intercept, slope), *_ = np.linalg.lstsq(design, ys, rcond=None)
    fitted = intercept + slope * xs
    sigma = math.sqrt(float(np.sum((ys - fitted) ** 2)) / (n - 2))
    t = float(stats.t.ppf(0.5 + level / 2, n - 2))
    x_mean = xs.mean()
    sxx = float(np.sum((xs - x_mean) ** 2))
    forecasts = []
    for k in range(1, horizon + 1):
        x0 = years[-1] + k
        predicted = float(intercept + slope * x0)
        half = t * sigma * math.sqrt(1 + 1 / n + (x0 - x_mean) ** 2 / sxx)
        forecasts.append(dict(year=x0, predicted=predicted, lower=predicted - half,
                              upper=predicted + half))
    return dict(horizon=horizon, level=level, years=n, intercept=float(intercept),
                slope=float(slope), sigma=sigma, t=t, forecasts=forecasts)


def case(name, extract, seed, test_fraction=0.2, bins=30, largest=20):
    rows = read_extract(os.path.join(HERE, extract))
    x, y, used, excluded = dataset(rows)
    train, test = split(len(y), test_fraction, seed)
    design = np.column_stack([np.ones(len(train)), x[train]])
    beta, *_ = np.linalg.lstsq(design, y[train], rcond=None)
    predicted = beta[0] + x[test] @ beta[1:]
    actual = y[test]
    training_mean = float(y[train].mean())
    residual = actual - predicted
    order = sorted(range(len(test)), key=lambda i: -abs(residual[i]))[:largest]
    by_year = defaultdict(list)
    for i, r in zip(test, residual):
        by_year[int(x[i][0])].append(float(r))
    lo, hi = float(residual.min()), float(residual.max())
    width = (hi - lo) / bins
    counts = [0] * bins
    for r in residual:
        counts[min(int((r - lo) / width), bins - 1)] += 1
    expected = dict(
        extract=extract, seed=seed, test_fraction=test_fraction, usable=len(y),
        excluded=excluded, train=len(train), test=len(test), test_rows=test,
        intercept=float(beta[0]), coefficients=[float(b) for b in beta[1:]],
        training_mean=training_mean,
        metrics=metrics(actual, predicted),
        baseline=metrics(actual, np.full(len(actual), training_mean)),
        histogram=dict(start=lo, width=width, counts=counts),
        by_year=[dict(year=year, count=len(v), mean=sum(v) / len(v),
                      mean_abs=sum(abs(r) for r in v) / len(v))
                 for year, v in sorted(by_year.items())],
        largest=[used[test[i]]["id"] for i in order],
        trend=trend(rows, 5, 0.95),
        generated_by=f"make_fixtures.py (numpy {np.__version__}, scipy {scipy.__version__})",
    )
    out = os.path.join(HERE, "expected", f"{name}.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(f"{out}: {len(y)} usable, r2 {expected['metrics']['r2']:.4f}")


def t_quantiles():
    cases = [(p, df) for p in (0.9, 0.975, 0.995, 0.9995, 0.6)
             for df in (1, 2, 3, 4, 5, 7, 10, 28, 30, 50, 100, 113, 1000, 100000)]
    out = os.path.join(HERE, "expected", "t_quantiles.json")
    with open(out, "w") as f:
        json.dump([dict(p=p, df=df, t=float(stats.t.ppf(p, df))) for p, df in cases], f, indent=1)
        f.write("\n")
    print(f"{out}: {len(cases)} quantiles")


if __name__ == "__main__":
    case("input_seed42", "input.csv", 42)
    case("input_seed7", "input.csv", 7)
    case("tiny_seed1", "tiny.csv", 1)
    t_quantiles()
