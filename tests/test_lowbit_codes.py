"""The low-bit weight coders (codegen/quant/lowbit_codes.py) against their definitions:
exact integer levels, the papers' orderings of error, brute-force optima on small rows."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from codegen.quant.lowbit_codes import (binary_codes, magnitude_mask, mmse_step, ternary, uniform_mmse,
                                        with_residual)

SEEDS = range(5)


def _w(seed, rows=6, n=97):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((rows, n)) * rng.uniform(0.01, 3.0, (rows, 1))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bits", [2, 3, 4])
def test_mmse_step_is_no_worse_than_a_fine_brute_force(seed, bits):
    w = _w(seed, rows=3, n=40)
    qmax = 2 ** (bits - 1) - 1
    step = mmse_step(w, bits)

    def err(row, s):
        v = row / s
        q = np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5), -qmax, qmax)
        return np.sum((row - q * s) ** 2)
    for r in range(3):
        amax = np.abs(w[r]).max()
        brute = min(err(w[r], f * amax / qmax) for f in np.linspace(0.02, 1.0, 2000))
        assert err(w[r], step[r]) <= brute * (1 + 1e-3)


@pytest.mark.parametrize("seed", SEEDS)
def test_uniform_and_residual_levels_are_exact_integers(seed):
    w = _w(seed)
    c = uniform_mmse(w, 4)
    assert c.levels.dtype == np.int32 and np.abs(c.levels).max() <= 7
    r = with_residual(w, 4)
    m = r.meta["shift"].astype(np.int64)
    np.testing.assert_array_equal(r.levels, r.meta["first"] * (2 ** m)[:, None] + r.meta["second"])
    np.testing.assert_allclose(r.row_scale * 2.0 ** m, c.row_scale)   # s1 = s2 * 2**m
    assert r.sqnr_db(w) > c.sqnr_db(w)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_binary_codes_levels_and_error_order(seed, k):
    w = _w(seed)
    out = {m: binary_codes(w, k, m) for m in ("greedy", "refined", "alternating")}
    for c in out.values():
        np.testing.assert_array_equal(c.levels, np.einsum("rk,krn->rn", c.coef.astype(np.int64),
                                                          c.planes.astype(np.int64)))
        assert set(np.unique(c.planes)) <= {-1, 1}
    # least squares cannot lose to greedy's coefficients; alternating starts from refined
    # (16-bit coefficients: allow their rounding)
    assert out["greedy"].sqnr_db(w) <= out["refined"].sqnr_db(w) + 1e-3
    assert out["refined"].sqnr_db(w) <= out["alternating"].sqnr_db(w) + 1e-3


@pytest.mark.parametrize("k", [1, 2, 3])
def test_binary_code_assignment_is_the_nearest_level(k):
    """The binary search over sorted midpoints picks the same level as an exhaustive search."""
    from codegen.quant.lowbit_codes import _assign_codes
    rng = np.random.default_rng(k)
    w = rng.standard_normal((3, 200))
    alpha = np.abs(rng.standard_normal((3, k))) + 0.05
    planes = _assign_codes(w, alpha, np.ones(w.shape, bool))
    signs = np.array(list(itertools.product((-1, 1), repeat=k)))       # (2^k, k)
    for r in range(3):
        levels = signs @ alpha[r]
        got = np.einsum("k,kn->n", alpha[r], planes[:, r, :].astype(np.float64))
        best = levels[np.argmin(np.abs(w[r][:, None] - levels[None, :]), axis=1)]
        np.testing.assert_allclose(np.abs(w[r] - got), np.abs(w[r] - best), atol=1e-12)


def test_pruned_weights_stay_zero_and_are_excluded_from_the_fit():
    w = _w(3)
    mask = magnitude_mask(w, 0.5)
    assert (~mask).sum() == round(0.5 * w.size)
    assert np.abs(w[~mask]).max() <= np.abs(w[mask]).min()
    for c in (uniform_mmse(w, 4, mask), with_residual(w, 4, mask), binary_codes(w, 2, mask=mask), ternary(w, mask)):
        assert np.all(c.levels[~mask] == 0)
    c = binary_codes(w, 1, "greedy", mask=mask, coef_bits=24)
    alpha = c.coef[:, 0] * c.row_scale
    np.testing.assert_allclose(alpha, np.array([np.abs(w[r][mask[r]]).mean() for r in range(len(w))]), rtol=1e-5)


def test_ternary_threshold_rule():
    w = _w(4)
    c = ternary(w)
    for r in range(len(w)):
        delta = 0.7 * np.abs(w[r]).mean()
        np.testing.assert_array_equal(c.levels[r], np.where(np.abs(w[r]) > delta, np.sign(w[r]), 0))
        assert c.row_scale[r] == pytest.approx(np.abs(w[r])[np.abs(w[r]) > delta].mean())


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="sparsity"):
        magnitude_mask(np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError, match="method"):
        binary_codes(np.ones((2, 4)), 2, "exhaustive")
