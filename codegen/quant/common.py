"""Choosing quantization parameters from calibration ranges (shared by all schemes).

>>> p = activation_qparams(Range(-1.0, 3.0, 10), "int8")
>>> round(p.scale, 6), p.zero_point
(0.015686, -64)
>>> activation_qparams(Range(-2.0, 1.0, 10), "int16")
QuantParams(scale=6.103701889514923e-05, zero_point=0, dtype='int16')
"""
from __future__ import annotations

import math

import numpy as np

from ..calibrate import Range
from ..errors import UnsupportedError
from ..fixedpoint import mul_multiplier, quantize_multiplier
from ..ir import QuantParams

DTYPE_RANGE = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-2**31, 2**31 - 1)}


def activation_qparams(r: Range, dtype: str) -> QuantParams:
    """Asymmetric int8 (zero point inside the range, 0.0 exactly representable) or
    symmetric int16 (zero point 0), the TFLite conventions for activations. Scales are float32
    values, as a .tflite stores them: an exported model's interpreter derives exactly the
    multipliers rnnc derived (codegen/tflite_export)."""
    lo, hi = min(r.min, 0.0), max(r.max, 0.0)
    if not r.count or hi - lo < 1e-9:
        lo, hi = -1.0, 1.0
    qmin, qmax = DTYPE_RANGE[dtype]
    if dtype == "int16":
        return QuantParams(_f32(max(abs(lo), abs(hi)) / qmax), 0, dtype)
    scale = _f32((hi - lo) / (qmax - qmin))
    zp = int(np.clip(qmin - _round_half_away(lo / scale), qmin, qmax))
    return QuantParams(scale, zp, dtype)


def _f32(v: float) -> float:
    return float(np.float32(v))


def quantize_array(x: np.ndarray, q: QuantParams) -> np.ndarray:
    """float -> integer with round-half-away-from-zero and saturation (TFLite QUANTIZE)."""
    qmin, qmax = DTYPE_RANGE[q.dtype]
    v = _round_half_away(np.asarray(x, np.float64) / q.scale) + q.zero_point
    return np.clip(v, qmin, qmax).astype({"int8": np.int8, "int16": np.int16, "int32": np.int32}[q.dtype])


def dequantize_array(x: np.ndarray, q: QuantParams) -> np.ndarray:
    return ((np.asarray(x, np.float64) - q.zero_point) * q.scale).astype(np.float32)


def power_of_two_scale(absmax: float, qmax: int = 32767) -> float:
    """Smallest power-of-two scale that represents absmax without saturating."""
    if absmax <= 0:
        return 2.0 ** -15
    return 2.0 ** math.ceil(math.log2(absmax / qmax))


def _round_half_away(v):
    v = np.asarray(v, np.float64)
    out = np.sign(v) * np.floor(np.abs(v) + 0.5)
    return out if out.ndim else float(out)


INT32_MAX = 2 ** 31 - 1
BIAS64_LIMIT = 2 ** 40    # int16 FCs: bias + 32767 * sum|w| times a 16-bit multiplier stays in int64


def check_fc_limits(W: np.ndarray, bias_eff: np.ndarray, shifts, act: str, what: str) -> None:
    """Refuse an integer FC whose arithmetic the kernels cannot carry out exactly.

    W (rows, cols) int8, bias_eff (rows,) the effective bias (input zero point folded in),
    shifts per row (or one). int8: the C kernels accumulate in int32, rnnc's packed layout as
    bias - 128 * rowsum(W) + sum W (x + 128), so every partial sum is bounded by
    |bias| + 383 * sum|W|; TFLM first multiplies the accumulator by 2^shift in int32 (undefined
    behaviour past it), bounded by (|bias| + 128 * sum|W|) * 2^shift. int16: the int64
    requantization shifts right by 15 - shift (shift <= 14), and the bias must leave room."""
    W = np.asarray(W, np.int64)
    bias = np.abs(np.asarray(bias_eff, np.int64))
    wsum = np.abs(W).sum(axis=-1)
    shifts = np.broadcast_to(np.asarray(shifts, np.int64), bias.shape)
    if act == "int8":
        if np.any(bias + 383 * wsum > INT32_MAX):
            raise UnsupportedError(f"the {what} FC can overflow its int32 accumulator: the bias is too large "
                                   "for the scales (use --scheme int16x8 or normalise the layer input)")
        if np.any((bias + 128 * wsum) << np.maximum(shifts, 0) > INT32_MAX):
            raise UnsupportedError(f"the {what} FC can overflow TFLM's int32 requantization (left shift "
                                   f"{int(shifts.max())}): the scale product s_x*s_W is too large for int8; "
                                   "use --scheme int16x8 or normalise the layer input")
    else:
        if np.any(shifts > 14):
            raise UnsupportedError(f"the {what} FC's scale product s_x*s_W exceeds 2^{int(shifts.max()) - 15}: "
                                   "the int64 requantization of 16-bit activations cannot express it "
                                   "(shift > 14); the weight or input scales are unusable")
        if np.any(bias > BIAS64_LIMIT):
            raise UnsupportedError(f"the {what} FC's bias is too large for its scales (more than 2^40 units)")


def bias_to_int(bias: np.ndarray, scale, what: str) -> np.ndarray:
    """round(bias / scale) as int64, refusing values no kernel accumulator could hold."""
    v = np.round(np.asarray(bias, np.float64) / np.asarray(scale, np.float64))
    if not np.all(np.isfinite(v)) or np.any(np.abs(v) > BIAS64_LIMIT):
        raise UnsupportedError(f"the {what} bias is too large for the scales (more than 2^40 units)")
    return v.astype(np.int64)


def fc_multiplier(s_act: float, s_w, out_scale: float):
    """(multiplier, shift) of an FC term s_act * s_w -> out_scale: scalars for one weight scale
    (per tensor), lists for one per output row (the low-bit codes' row scales)."""
    if np.ndim(s_w) == 0:
        return quantize_multiplier(mul_multiplier(s_act, float(s_w), out_scale))
    pairs = [quantize_multiplier(mul_multiplier(s_act, float(v), out_scale)) for v in np.asarray(s_w)]
    return [m for m, _ in pairs], [s for _, s in pairs]


def product_scale(s_act: float, s_w):
    """The accumulator scale s_act * s_w as TFLite forms it (float32 product), scalar or per row."""
    v = np.float32(s_act) * np.asarray(s_w, np.float32)
    return float(v) if np.ndim(v) == 0 else v.astype(np.float64)


def int8_per_tensor(w: np.ndarray):
    """Symmetric int8 with one scale per tensor (a float32 value): (levels int8, scale)."""
    m = float(np.max(np.abs(w))) if w.size else 0.0
    s = float(np.float32(m / 127.0)) if m > 0 else 1.0
    return np.clip(np.round(w / s), -127, 127).astype(np.int8), s


def project_int8_per_tensor(layer, ctx):
    """Weight projector of the int8 recurrent layers: each gate matrix as its per-tensor int8
    levels times the scale."""
    def code(w, *where):
        levels, s = int8_per_tensor(w)
        return levels.astype(np.float64) * s
    return project_gates(layer, code)


def project_gates(layer, code):
    """A copy of a recurrent IR layer whose gate matrices are replaced by code(w, d, side, gate)
    (side 'w': input weights, 'r': recurrent; what a weight projector returns)."""
    import dataclasses
    dirs = []
    for d, dp in enumerate(layer.dirs):
        gates = {g: dataclasses.replace(gw, W=np.asarray(code(gw.W, d, "w", g), np.float32),
                                        R=np.asarray(code(gw.R, d, "r", g), np.float32))
                 for g, gw in dp.gates.items()}
        dirs.append(dataclasses.replace(dp, gates=gates))
    return dataclasses.replace(layer, dirs=dirs)
