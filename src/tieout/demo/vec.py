"""Small numpy idioms the volume generators share (ragged expansion, exact money rounding)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from tieout.demo.fmt import FloatArray, IntArray, i64, salesforce_ids


def expand(counts: IntArray) -> tuple[IntArray, IntArray]:
    """For parents with `counts` children: each child's parent index and 0-based ordinal."""
    c = i64(counts)
    owner = np.repeat(np.arange(len(c), dtype=np.int64), c)
    starts = np.cumsum(c) - c
    return owner, np.arange(len(owner), dtype=np.int64) - starts[owner]


def round_div(num: IntArray, den: int | IntArray) -> IntArray:
    """Integer division rounding half away from zero, as accounting systems round money."""
    n = i64(num)
    d = i64(den)
    return i64(np.sign(n) * ((2 * np.abs(n) + d) // (2 * d)))


def line_amount(q4: IntArray, unit: IntArray, disc_bp: IntArray) -> IntArray:
    """Minor units of quantity (quarters) x unit price (whole units) less a discount (bp)."""
    return round_div(i64(q4) * i64(unit) * (10000 - i64(disc_bp)), 400)


def choose(rng: np.random.Generator, weights: FloatArray, n: int) -> IntArray:
    """n indexes drawn with probability proportional to weights."""
    p = np.asarray(weights, dtype=np.float64)
    return i64(rng.choice(len(p), size=n, p=p / p.sum()))


def uniform_int(rng: np.random.Generator, lo: IntArray, hi: IntArray) -> IntArray:
    """One integer per row, uniform on [lo, hi] (inclusive; hi < lo gives lo)."""
    lo_ = i64(lo)
    span = np.maximum(i64(hi) - lo_ + 1, 1)
    return i64(lo_ + (rng.random(len(lo_)) * span).astype(np.int64))


def ranks(keys: IntArray) -> IntArray:
    """Position of each row when sorted by keys (stable)."""
    order = np.argsort(i64(keys), kind="stable")
    out = np.empty(len(order), dtype=np.int64)
    out[order] = np.arange(len(order), dtype=np.int64)
    return out


def ids_in_time_order(rng: np.random.Generator, prefix: str, created: IntArray) -> pa.Array:
    """Salesforce ids that rise with creation time, as real ids do."""
    ids = salesforce_ids(rng, prefix, len(created))
    return ids.take(pa.array(ranks(created)))


def occurrence(groups: IntArray, keys: IntArray) -> IntArray:
    """0-based rank of each row within its group, ordered by keys."""
    g, k = i64(groups), i64(keys)
    order = np.lexsort((k, g))
    sorted_g = g[order]
    start = np.r_[True, sorted_g[1:] != sorted_g[:-1]] if len(g) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(start, np.arange(len(g)), 0))
    out = np.empty(len(g), dtype=np.int64)
    out[order] = np.arange(len(g)) - first
    return out
