"""Fixed-point primitives of the TFLite / TFLite Micro integer kernels, vectorised in numpy.

Used by the quantizers (to derive multipliers) and the reference simulator (to compute).
Every function takes scalars or int64 arrays and reproduces C int32/int64 semantics exactly;
the C kernels in templates/kernels implement the same arithmetic independently.

>>> quantize_multiplier(2.0 ** -15)
(1073741824, -14)
>>> quantize_multiplier(0.0)
(0, 0)
>>> int(multiply_by_quantized_multiplier(49151, 1 << 30, -14))  # double rounding
2
>>> int(rounding_divide_by_pot(49151, 15))                     # single rounding differs
1
>>> int(sigmoid_s16(0)), int(sigmoid_s16(32767)), int(sigmoid_s16(-32768))
(16384, 32757, 11)
>>> int(tanh_s16(0, 0)), int(tanh_s16(32767, 0))
(0, 32767)
"""
from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np

INT32_MIN, INT32_MAX = -2 ** 31, 2 ** 31 - 1
SIGMOID_TABLE_SHA256 = "c79a34d2c8c6e794fbb0207601538fe0169e968cd6d9d5ca65fff859dcd55183"


def _load_sigmoid_table() -> np.ndarray:
    text = (Path(__file__).parent / "data" / "sigmoid_table_u16.txt").read_text()
    values = [int(v) for line in text.splitlines() if not line.startswith("#") for v in line.split()]
    table = np.array(values, np.int64)
    digest = hashlib.sha256(table.astype("<u2").tobytes()).hexdigest()
    if table.size != 256 or digest != SIGMOID_TABLE_SHA256:
        raise RuntimeError("codegen/data/sigmoid_table_u16.txt is corrupt (sha256 mismatch)")
    return table


#: sigmoid(i/24) in unsigned 0.16, the interpolation table of TFLite's int16 LOGISTIC/TANH.
SIGMOID_TABLE_U16 = _load_sigmoid_table()


def round_half_away(x: float) -> int:
    """C's round(): halves go away from zero (Python's round() goes to even)."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplier: real ~= M * 2^(shift - 31), M in [2^30, 2^31)."""
    if real == 0.0:
        return 0, 0
    frac, shift = math.frexp(real)
    q = round_half_away(frac * (1 << 31))
    if q == (1 << 31):
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        return (1 << 31) - 1, 30
    return int(q), int(shift)


def conv_multiplier_f32(s_in: float, s_w: float, s_out: float) -> float:
    """GetQuantizedConvolutionMultipler: the scale product in float32, the division in double."""
    return float(np.float32(s_in) * np.float32(s_w)) / float(np.float32(s_out))


def mul_multiplier(s1: float, s2: float, s_out: float) -> float:
    """The element-wise Mul multiplier of the LSTM: products and division in double."""
    return float(np.float32(s1)) * float(np.float32(s2)) / float(np.float32(s_out))


def saturating_rounding_doubling_high_mul(a, b):
    """gemmlowp SRDHM: (a*b*2 + 2^31 rounding) >> 32 in int32, saturating INT32_MIN^2."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    # C integer division truncates toward zero
    res = np.where(s >= 0, s >> 31, -((-s) >> 31))
    return np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, res)


def rounding_divide_by_pot(x, exponent):
    """x / 2^exponent rounded half away from zero (gemmlowp RoundingDivideByPOT)."""
    x = np.asarray(x, np.int64)
    exponent = np.asarray(exponent, np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    """TFLM's int32 MultiplyByQuantizedMultiplier: left shift, SRDHM, then rounding right shift.

    The left-shifted value is kept in int32 as TFLite does (it wraps only for inputs the
    quantizer never produces; the simulator saturates there instead of wrapping).
    `multiplier` and `shift` may be arrays that broadcast against x (one per output channel)."""
    x = np.asarray(x, np.int64)
    shift = np.asarray(shift, np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    xs = np.clip(x * (np.int64(1) << left), INT32_MIN, INT32_MAX)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(xs, multiplier), right)


def multiply_by_quantized_multiplier_int64(acc, multiplier, shift):
    """The int64-accumulator overload used by 16x8 FULLY_CONNECTED (single rounding):
    the multiplier is reduced to 16 bits, then (acc * m + round) >> (15 - shift)."""
    acc = np.asarray(acc, np.int64)
    m = int(multiplier)
    reduced = (m + (1 << 15)) >> 16 if m < 0x7FFF0000 else 0x7FFF
    total = 15 - int(shift)
    return ((acc * reduced + (1 << (total - 1))) >> total).astype(np.int64)


def requantize_s64_cmsis(acc, multiplier, shift):
    """CMSIS-NN's arm_nn_requantize_s64 (its 16x8 FC and LSTM): the same reduced multiplier as
    TFLM, but (int32)((acc * m) >> (14 - shift)) truncates to int32 before the last rounding
    shift (r + 1) >> 1, one bit earlier than TFLM."""
    m = int(multiplier)
    reduced = (m + (1 << 15)) >> 16 if m < 0x7FFF0000 else 0x7FFF
    r = wrap_int32((np.asarray(acc, np.int64) * reduced) >> (14 - int(shift)))
    return (r + 1) >> 1


def requantize_fc(acc, multiplier, shift, act: str, flavour: str = "tflm"):
    """The one requantizer of every integer FC in the simulator (dense layers and the gate FCs
    of LSTM, GRU and RNN), before any saturation:
    - int8 activations: int32 accumulator, MultiplyByQuantizedMultiplier (double rounding);
    - int16 activations: int64 accumulator, the 16-bit reduced multiplier with one rounding,
      the result truncated to int32 as C's (int32_t) cast does (TFLM's int64 overload returns
      static_cast<int32_t>); with flavour 'cmsis-nn', arm_nn_requantize_s64's rounding.
    The truncation only matters for terms beyond 2^31, e.g. full-scale int16 inputs against
    large weight scales; the kernels in C do exactly the same."""
    if act == "int8":
        return multiply_by_quantized_multiplier(acc, multiplier, shift)
    if flavour == "cmsis-nn":
        return requantize_s64_cmsis(acc, multiplier, shift)
    return wrap_int32(multiply_by_quantized_multiplier_int64(acc, multiplier, shift))


def wrap_int32(v):
    """Two's-complement truncation of an int64 to int32 (C/C++ static_cast<int32_t>)."""
    v = np.asarray(v, np.int64)
    return ((v + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def saturate(x, lo: int, hi: int):
    return np.clip(np.asarray(x, np.int64), lo, hi)


def sat16(x):
    return saturate(x, -32768, 32767)


def _lut_lookup(abs_v, frac_bits: int):
    """Linear interpolation in the sigmoid table; abs_v >= 0, index = abs_v >> frac_bits."""
    t = SIGMOID_TABLE_U16
    uh = abs_v >> frac_bits
    idx = np.minimum(uh, 254)
    frac = abs_v & ((1 << frac_bits) - 1)
    interp = (t[idx] << frac_bits) + frac * (t[idx + 1] - t[idx])
    return uh, interp


def sigmoid_s16(x):
    """int16 LOGISTIC of the LSTM gates: Q3.12 in, Q0.15 out (input multiplier 3)."""
    v = np.asarray(x, np.int64) * 3
    a = np.abs(v)
    uh, r = _lut_lookup(a, 9)
    r = np.where(uh >= 255, 0x7FFF << 10, r)
    r = np.where(v >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1)
    return r >> 10


def tanh_s16(x, input_left_shift: int):
    """int16 TANH with TFLM's LSTM input scaling: L >= 0 multiplies by 3 << L, L < 0
    multiplies by 3 and divides by 2^-L with rounding. Gate tanh uses L = 0 (Q3.12 in)."""
    x = np.asarray(x, np.int64)
    if input_left_shift >= 0:
        v = x * (3 << input_left_shift)
    else:
        s = -input_left_shift
        v = (x * 3 + (1 << (s - 1))) >> s
    a = np.abs(v)
    uh, r = _lut_lookup(a, 8)
    r = np.where(uh >= 255, 0xFFFF << 8, r)
    r = np.where(v >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1)
    return (r >> 8).astype(np.int64)


def quantize_f32(x, scale: float, zero_point: int, lo: int, hi: int):
    """float32 -> integer exactly as rnnc_quantize_s8/_s16 compute it (conversion layers):
    v = x / scale in float32 (one IEEE division, as C does with float operands), NaN -> 0,
    rounded half away from zero (C's roundf), plus the zero point, saturated to [lo, hi]."""
    with np.errstate(over="ignore", invalid="ignore"):                   # inf saturates below
        v = np.asarray(x, np.float32) / np.float32(scale)
    v = np.where(np.isnan(v), np.float32(0), v).astype(np.float64)       # exact widening
    v = np.clip(v, lo - zero_point - 1, hi - zero_point + 1)             # saturates like C's clamp
    r = np.sign(v) * np.floor(np.abs(v) + 0.5)                           # exact in float64
    return np.clip(r.astype(np.int64) + zero_point, lo, hi)


def dequantize_f32(q, scale: float, zero_point: int):
    """integer -> float32 as rnnc_dequantize_s8/_s16: (float)(q - zero_point) * scale, one
    float32 multiplication of exact operands."""
    return (np.asarray(q, np.int64) - zero_point).astype(np.float32) * np.float32(scale)
