"""Low-bit weight coders: MMSE uniform (int4 and a residual tensor), alternating multi-bit
binary codes, threshold ternary, magnitude pruning (docs/numerics-lowbit.md).

Every coder returns a `Coded` weight matrix: an exact integer matrix `levels` and one float
scale per row, W[r] ~ row_scale[r] * levels[r]. The integer matrix is what the C computes with,
whatever its storage (two int4 per byte, bit-planes, ternary codes): a kernel is correct when it
gives sum_j levels[r, j] * x[j] exactly, so the simulator needs only `levels`. Binary codes keep
their planes (`planes`, `coef`) for packing: levels = sum_i coef[:, i] * planes[i] with integer
coefficients (the float coefficients alpha rounded to `coef_bits` bits, one scale per row).

>>> rng = np.random.default_rng(0)
>>> w = rng.standard_normal((4, 64))
>>> c = uniform_mmse(w, 4)
>>> int(np.abs(c.levels).max()) <= 7, c.levels.dtype
(True, dtype('int32'))
>>> b = binary_codes(w, 2)
>>> sorted(np.unique(b.planes).tolist())
[-1, 1]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Coded:
    """W[r] ~ row_scale[r] * levels[r] (levels: exact integers)."""
    levels: np.ndarray                 # (rows, n) int32
    row_scale: np.ndarray              # (rows,) float64
    planes: np.ndarray | None = None   # binary codes: (k, rows, n) in {-1, +1} (0 where pruned)
    coef: np.ndarray | None = None     # binary codes: (rows, k) integer coefficients
    meta: dict = field(default_factory=dict)

    def dequantized(self) -> np.ndarray:
        return self.levels * self.row_scale[:, None]

    def sqnr_db(self, w: np.ndarray) -> float:
        """Signal-to-quantization-noise ratio of this coding of w, in dB."""
        err = float(np.sum((np.asarray(w, np.float64) - self.dequantized()) ** 2))
        sig = float(np.sum(np.asarray(w, np.float64) ** 2))
        return float("inf") if err == 0 else 10.0 * np.log10(max(sig, 1e-300) / err)


# -- uniform MMSE (Choukroun et al.) ---------------------------------------------------------

def _uniform_levels(w: np.ndarray, step: np.ndarray, qmax: int) -> np.ndarray:
    """Round half away from zero to the grid, clipped to +-qmax."""
    v = w / step[:, None]
    return np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5), -qmax, qmax)


def mmse_step(w: np.ndarray, bits: int, grid: int = 128, mask: np.ndarray | None = None) -> np.ndarray:
    """Per row, the step of the symmetric `bits`-bit quantizer (levels -qmax..qmax,
    qmax = 2**(bits-1) - 1) that minimises the squared error over the row's unmasked weights.

    The clipping value c = qmax * step is searched on `grid` fractions of max|w| and refined
    once around the best (the error is not unimodal in c, so a grid, not bisection).

    >>> w = np.array([[0.0, 0.1, -0.2, 0.3, 5.0]])
    >>> abs(float(mmse_step(w, 8)[0]) - 5.0 / 127) < 0.001   # 8 bits: hardly any clipping
    True
    >>> g = np.random.default_rng(0).standard_normal((1, 1000))   # Gaussian row, max |g| 3.9
    >>> round(float(mmse_step(g, 2)[0]), 2), round(float(mmse_step(g, 4)[0]) * 7, 2)  # clip at 1.19, 2.61
    (1.19, 2.61)
    """
    w = np.asarray(w, np.float64)
    mask = np.ones(w.shape, bool) if mask is None else mask
    qmax = 2 ** (bits - 1) - 1
    amax = np.max(np.where(mask, np.abs(w), 0.0), axis=1)
    best = np.where(amax > 0, amax / qmax, 1.0)
    best_err = _row_error(w, best, qmax, mask)
    for frac in np.linspace(1.0 / grid, 1.0, grid):
        step = np.where(amax > 0, frac * amax / qmax, 1.0)
        err = _row_error(w, step, qmax, mask)
        better = err < best_err
        best, best_err = np.where(better, step, best), np.where(better, err, best_err)
    # refine: a finer grid within one coarse step around each row's best
    width = amax / qmax / grid
    for frac in np.linspace(-1.0, 1.0, 2 * 16 + 1):
        step = np.maximum(best + frac * width, 1e-30)
        err = _row_error(w, step, qmax, mask)
        better = err < best_err
        best, best_err = np.where(better, step, best), np.where(better, err, best_err)
    return best


def _row_error(w, step, qmax, mask):
    q = _uniform_levels(w, step, qmax) * step[:, None]
    return np.sum(np.where(mask, (w - q) ** 2, 0.0), axis=1)


def uniform_mmse(w: np.ndarray, bits: int, mask: np.ndarray | None = None) -> Coded:
    """Symmetric uniform `bits`-bit weights, per-row MMSE clipping (pruned weights stay 0)."""
    w = np.asarray(w, np.float64)
    mask = np.ones(w.shape, bool) if mask is None else mask
    step = mmse_step(w, bits, mask=mask)
    levels = np.where(mask, _uniform_levels(w, step, 2 ** (bits - 1) - 1), 0)
    return Coded(levels.astype(np.int32), step, meta={"bits": bits})


def with_residual(w: np.ndarray, bits: int, mask: np.ndarray | None = None, max_shift: int = 8) -> Coded:
    """W ~ Q1 + Q2 with Q2 a second `bits`-bit tensor for W - Q1 (Choukroun et al.'s extra
    low-precision tensor). Q2's step is Q1's divided by 2**m (m in 1..max_shift, the best per
    row), so that s1*L1 + s2*L2 = s2*(2**m * L1 + L2): still one exact integer matrix.

    >>> rng = np.random.default_rng(1)
    >>> w = rng.standard_normal((8, 100))
    >>> bool(uniform_mmse(w, 4).sqnr_db(w) + 10 < with_residual(w, 4).sqnr_db(w))
    True
    """
    w = np.asarray(w, np.float64)
    mask = np.ones(w.shape, bool) if mask is None else mask
    first = uniform_mmse(w, bits, mask)
    qmax = 2 ** (bits - 1) - 1
    rest = w - first.dequantized()
    best_err, best_levels, best_scale, best_m = None, None, None, None
    for m in range(1, max_shift + 1):
        s2 = first.row_scale / 2 ** m
        l2 = np.where(mask, _uniform_levels(rest, s2, qmax), 0)
        err = np.sum((rest - l2 * s2[:, None]) ** 2, axis=1)
        if best_err is None:
            best_err, best_levels, best_scale, best_m = err, l2, s2, np.full(len(s2), m)
            continue
        better = err < best_err
        best_err = np.where(better, err, best_err)
        best_levels = np.where(better[:, None], l2, best_levels)
        best_scale = np.where(better, s2, best_scale)
        best_m = np.where(better, m, best_m)
    levels = first.levels.astype(np.int64) * (2 ** best_m)[:, None] + best_levels
    return Coded(levels.astype(np.int32), best_scale, meta={"bits": bits, "residual": True,
                                                             "first": first.levels, "second": best_levels.astype(np.int32),
                                                             "shift": best_m.astype(np.int32)})


# -- alternating multi-bit binary codes (Xu et al.) ------------------------------------------

def _least_squares_alpha(w: np.ndarray, planes: np.ndarray) -> np.ndarray:
    """Per row, alpha minimising ||w - sum_i alpha_i b_i||^2 for fixed codes b (k, rows, n)."""
    k, rows, _ = planes.shape
    alpha = np.zeros((rows, k))
    for r in range(rows):
        B = planes[:, r, :].T.astype(np.float64)           # (n, k)
        alpha[r] = np.linalg.lstsq(B, w[r], rcond=None)[0]
    return alpha


def _assign_codes(w: np.ndarray, alpha: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per element, the nearest of the 2**k levels sum_i +-alpha_i, by binary search over the
    sorted midpoints (Xu et al.'s binary search tree); ties go to the lower level."""
    rows, n = w.shape
    k = alpha.shape[1]
    signs = np.array([[1 if (c >> i) & 1 else -1 for i in range(k)] for c in range(2 ** k)])  # (2^k, k)
    planes = np.zeros((k, rows, n), np.int8)
    for r in range(rows):
        levels = signs @ alpha[r]
        order = np.argsort(levels, kind="stable")
        mids = (levels[order][1:] + levels[order][:-1]) / 2
        idx = order[np.searchsorted(mids, w[r], side="left")]
        planes[:, r, :] = np.where(mask[r], signs[idx].T, 0)
    return planes


def binary_codes(w: np.ndarray, k: int, method: str = "alternating", cycles: int = 2,
                 mask: np.ndarray | None = None, coef_bits: int = 16, shared_scale: bool = False) -> Coded:
    """W[r] ~ sum_i alpha[r, i] * b_i[r], b_i in {-1, +1}^n (0 where pruned), k codes per row.

    method: 'greedy' (b_i = sign(residual), alpha_i = mean|residual|), 'refined' (greedy codes,
    least-squares alpha) or 'alternating' (then `cycles` rounds of least-squares alpha and
    binary-search code assignment). Coefficients are rounded to signed `coef_bits`-bit integers
    with one scale per row (the largest |alpha| of the row at full scale), so levels are exact;
    with shared_scale, one scale for the whole matrix (the largest |alpha| of all rows), so that
    one requantization multiplier serves every row.

    >>> rng = np.random.default_rng(2)
    >>> w = rng.standard_normal((16, 200))
    >>> e = {m: binary_codes(w, 2, m).sqnr_db(w) for m in ("greedy", "refined", "alternating")}
    >>> bool(e["greedy"] <= e["refined"] + 1e-9 <= e["alternating"] + 2e-9)
    True
    """
    if method not in ("greedy", "refined", "alternating"):
        raise ValueError(f"unknown binary coding method '{method}'")
    w = np.asarray(w, np.float64)
    mask = np.ones(w.shape, bool) if mask is None else mask
    rows, n = w.shape
    planes = np.zeros((k, rows, n), np.int8)
    alpha = np.zeros((rows, k))
    rest = np.where(mask, w, 0.0)
    count = np.maximum(mask.sum(axis=1), 1)
    for i in range(k):
        planes[i] = np.where(mask, np.where(rest >= 0, 1, -1), 0)
        alpha[:, i] = np.sum(np.abs(rest), axis=1) / count
        rest = rest - alpha[:, i:i + 1] * planes[i]
    if method != "greedy":
        alpha = _least_squares_alpha(np.where(mask, w, 0.0), planes)
    if method == "alternating":
        for _ in range(cycles):
            planes = _assign_codes(w, alpha, mask)
            alpha = _least_squares_alpha(np.where(mask, w, 0.0), planes)
    return _integer_coefficients(planes, alpha, coef_bits, {"bits": k, "method": method}, shared_scale)


def _integer_coefficients(planes, alpha, coef_bits, meta, shared_scale=False) -> Coded:
    qmax = 2 ** (coef_bits - 1) - 1
    amax = np.max(np.abs(alpha), axis=1)
    if shared_scale:
        amax = np.full_like(amax, amax.max(initial=0.0))
    scale = np.where(amax > 0, amax / qmax, 1.0)
    coef = np.clip(np.sign(alpha) * np.floor(np.abs(alpha / scale[:, None]) + 0.5), -qmax, qmax).astype(np.int64)
    levels = np.einsum("rk,krn->rn", coef, planes.astype(np.int64))
    return Coded(levels.astype(np.int32), scale, planes=planes, coef=coef.astype(np.int32),
                 meta={**meta, "coef_bits": coef_bits})


# -- threshold ternary (HitNet) ----------------------------------------------------------------

def ternary(w: np.ndarray, mask: np.ndarray | None = None, ratio: float = 0.7) -> Coded:
    """Per row: t = sign(w) where |w| > Delta = ratio * mean|w|, else 0; the row's scale is the
    mean |w| of the weights above Delta (the least-squares scale for those codes).

    >>> c = ternary(np.array([[1.0, -1.0, 0.1, 0.0]]))
    >>> c.levels.tolist(), float(c.row_scale[0])
    ([[1, -1, 0, 0]], 1.0)
    """
    w = np.asarray(w, np.float64)
    mask = np.ones(w.shape, bool) if mask is None else mask
    a = np.where(mask, np.abs(w), 0.0)
    delta = ratio * a.sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
    keep = (a > delta[:, None]) & mask
    levels = np.where(keep, np.sign(w), 0).astype(np.int32)
    kept = np.maximum(keep.sum(axis=1), 1)
    scale = np.where(keep.any(axis=1), np.sum(np.where(keep, a, 0.0), axis=1) / kept, 1.0)
    return Coded(levels, scale, meta={"bits": 2, "ternary": True, "delta": delta})


def ternary_planes(t: Coded, coef_bits: int = 16) -> Coded:
    """Ternary codes as two binary planes with one integer coefficient per row and one scale
    for the matrix: t = +1 is (+1, +1), -1 is (-1, -1), 0 is (+1, -1); coef[r] = (c_r, c_r)
    with c_r = round(row_scale[r] / scale), so levels = 2 c_r t and W[r] ~ (scale / 2) levels.

    >>> c = ternary_planes(ternary(np.array([[1.0, -1.0, 0.1, 0.0], [0.5, 0.0, 0.0, -0.5]])), 8)
    >>> c.levels.tolist(), c.coef[:, 0].tolist(), round(float(c.row_scale[0]) * 127 * 2, 6)
    ([[254, -254, 0, 0], [128, 0, 0, -128]], [127, 64], 1.0)
    """
    lv = t.levels
    qmax = 2 ** (coef_bits - 1) - 1
    top = float(np.max(t.row_scale, initial=0.0))
    scale = top / qmax if top > 0 else 1.0
    c = np.clip(np.floor(t.row_scale / scale + 0.5), 0, qmax).astype(np.int64)
    planes = np.stack([np.where(lv >= 0, 1, -1), np.where(lv > 0, 1, -1)]).astype(np.int8)
    return Coded((2 * c[:, None] * lv).astype(np.int32), np.full(len(c), scale / 2), planes=planes,
                 coef=np.stack([c, c], axis=1).astype(np.int32), meta={**t.meta, "coef_bits": coef_bits})


# -- pruning and sizes -----------------------------------------------------------------------

def magnitude_mask(w: np.ndarray, sparsity: float) -> np.ndarray:
    """True for the weights kept: the (1 - sparsity) fraction of largest |w| of the whole tensor
    (ties at the threshold broken by position, so exactly round(sparsity * size) are pruned).

    >>> magnitude_mask(np.array([[3.0, -1.0], [0.5, 2.0]]), 0.5).tolist()
    [[True, False], [False, True]]
    """
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    flat = np.abs(np.asarray(w, np.float64)).ravel()
    drop = int(round(sparsity * flat.size))
    keep = np.ones(flat.size, bool)
    keep[np.argsort(flat, kind="stable")[:drop]] = False
    return keep.reshape(np.shape(w))


def bits_per_weight(k: int, n: int, coef_bits: int = 32) -> float:
    """k code bits per weight plus k coefficients of coef_bits bits per row of n weights
    (../shared/docs/lowbit.md: 'Physical limits').

    >>> [round(32 / bits_per_weight(k, 1500), 1) for k in (1, 2, 3, 4)]
    [31.3, 15.7, 10.4, 7.8]
    >>> round(32 / bits_per_weight(2, 300), 1)
    14.5
    """
    return k + k * coef_bits / n
