"""Sorted-array helpers for the numpy builds of the registry and its index (100,000 custom names make millions of
rows, so these are plain sorts and run boundaries, not Python loops)."""

from __future__ import annotations

import numpy as np


def stable_order(values: np.ndarray, bound: int) -> np.ndarray:
    """np.argsort(values, kind="stable") for integers in [0, bound): value and place packed into one integer where
    they fit, whose plain sort is ten times faster than a stable argsort."""
    value_bits, place_bits = max(bound - 1, 1).bit_length(), max(len(values) - 1, 1).bit_length()
    if value_bits + place_bits > 64:
        return np.argsort(values, kind="stable")
    packed = (values.astype(np.uint64) << np.uint64(place_bits)) | np.arange(len(values), dtype=np.uint64)
    packed.sort()
    return (packed & np.uint64((1 << place_bits) - 1)).astype(np.int64)


def run_starts(values: np.ndarray) -> np.ndarray:
    """Where the runs of equal values begin in sorted ``values``."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


def run_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The sum of ``values`` over each run beginning at ``starts``."""
    return np.add.reduceat(values, starts) if len(starts) else np.zeros(0, dtype=np.int64)
