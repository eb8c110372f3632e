"""Choosing quantization parameters from calibration ranges (shared by all schemes).

>>> p = activation_qparams(Range(-1.0, 3.0, 10), "int8")
>>> round(p.scale, 6), p.zero_point
(0.015686, -64)
>>> activation_qparams(Range(-2.0, 1.0, 10), "int16")
QuantParams(scale=6.103701895199438e-05, zero_point=0, dtype='int16')
"""
from __future__ import annotations

import math

import numpy as np

from ..calibrate import Range
from ..ir import QuantParams

#: Activation dtype that each scheme uses between layers.
SCHEME_ACTIVATION_DTYPE = {"float": "float32", "int8": "int8", "int16x8": "int16"}
DTYPE_RANGE = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-2**31, 2**31 - 1)}


def activation_qparams(r: Range, dtype: str) -> QuantParams:
    """Asymmetric int8 (zero point inside the range, 0.0 exactly representable) or
    symmetric int16 (zero point 0), the TFLite conventions for activations."""
    lo, hi = min(r.min, 0.0), max(r.max, 0.0)
    if not r.count or hi - lo < 1e-9:
        lo, hi = -1.0, 1.0
    qmin, qmax = DTYPE_RANGE[dtype]
    if dtype == "int16":
        return QuantParams(max(abs(lo), abs(hi)) / qmax, 0, dtype)
    scale = (hi - lo) / (qmax - qmin)
    zp = int(np.clip(qmin - _round_half_away(lo / scale), qmin, qmax))
    return QuantParams(scale, zp, dtype)


def symmetric_weight_scale(w: np.ndarray, bits: int = 8) -> float:
    """Per-tensor symmetric scale: max|w| maps to 2^(bits-1)-1."""
    m = float(np.max(np.abs(w))) if w.size else 0.0
    return m / (2 ** (bits - 1) - 1) if m > 0 else 1.0


def quantize_symmetric(w: np.ndarray, scale: float | np.ndarray, bits: int = 8) -> np.ndarray:
    q = np.clip(np.round(np.asarray(w, np.float64) / scale), -(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1)
    return q.astype(np.int8 if bits <= 8 else np.int16)


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
