"""Samples and checks shared by the tests of calibration.metrics."""

from __future__ import annotations

import json
import math

import numpy as np

Z95 = 1.959963984540054

# 10 accounts:        red red red  yel yel yel yel  grn grn grn
HAND_BAND = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2], dtype=np.int8)
HAND_CHURN = np.array([1, 1, 0, 1, 0, 0, 0, 1, 0, 0], dtype=bool)
HAND_ARR = np.array([100, 200, 300, 100, 100, 100, 100, 400, 500, 600], dtype=float)
HAND_IDS = np.array([f"a{i}" for i in range(10)])


def make_sample(n: int, seed: int = 0, decimals: int | None = 1):
    """Scores that separate churned from renewed a little, with ties when rounded."""
    rng = np.random.default_rng(seed)
    churned = rng.random(n) < 0.2
    score = np.clip(rng.normal(55 + 12 * (~churned), 18), 0, 100)
    if decimals is not None:
        score = np.round(score, decimals)
    return score, churned


def bands_of(score: np.ndarray, red_max: float = 40, yellow_max: float = 70) -> np.ndarray:
    """Band codes like calibration.scoring.assign_bands."""
    band = np.where(score <= red_max, 0, np.where(score <= yellow_max, 1, 2))
    return np.where(np.isnan(score), -1, band).astype(np.int8)


def assert_plain_json(obj) -> None:
    """Only plain Python types, and JSON without NaN/inf."""
    json.dumps(obj, allow_nan=False)

    def walk(x):
        if isinstance(x, dict):
            assert all(isinstance(k, str) for k in x)
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        else:
            assert x is None or type(x) in (bool, int, float, str), (type(x), x)

    walk(obj)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval written out by hand."""
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half
