"""gemmlowp's int16 fixed-point logistic and tanh, as full TFLite (LiteRT) computes its integer
LSTM's gates and cell output (docs/numerics-lstm.md, "LiteRT flavour").

Every value is a raw int16 of a FixedPoint<int16, k> (k integer bits, 15 - k fraction bits);
numpy int64 arrays carry them. gemmlowp's +, - and negation narrow back to int16, so they wrap
(wrap16); multiplications are SaturatingRoundingDoublingHighMul (srdhm16); divisions by powers of
two round half away from zero (rdbp). The C in templates/kernels/rnnc_gemmlowp_s16.h computes
the same steps.

>>> [int(v) for v in logistic_q3(np.array([-32768, -1, 0, 1, 4096, 32767]))]
[11, 16383, 16384, 16384, 23952, 32756]
>>> [int(v) for v in tanh_q(np.array([-32768, 1, 4096, 32767]), 3)]
[-32767, 8, 24964, 32767]
"""
from __future__ import annotations

import numpy as np

ONE_Q0 = 32767


def wrap16(x):
    """An int16 result of C++ int arithmetic narrowed back to int16."""
    return ((np.asarray(x, np.int64) + 32768) & 0xFFFF) - 32768


def _tdiv(a, d: int):
    """C's integer division (truncation toward zero) by a positive d."""
    a = np.asarray(a, np.int64)
    return np.where(a >= 0, a // d, -((-a) // d))


def rdbp(x, e: int):
    """RoundingDivideByPOT: x / 2^e rounded half away from zero."""
    x = np.asarray(x, np.int64)
    mask = (1 << e) - 1
    return (x >> e) + ((x & mask) > (mask >> 1) + (x < 0))


def srdhm16(a, b):
    """SaturatingRoundingDoublingHighMul on int16: round(a * b / 2^15), the one overflow
    (-32768 * -32768) saturated."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    p = a * b
    r = wrap16(_tdiv(p + np.where(p >= 0, 1 << 14, 1 - (1 << 14)), 1 << 15))
    return np.where((a == -32768) & (b == -32768), 32767, r)


def sat_mul_pot(x, e: int):
    """SaturatingRoundingMultiplyByPOT<e>: x * 2^e, saturated (e > 0) or rounded (e < 0)."""
    x = np.asarray(x, np.int64)
    if e == 0:
        return x
    if e < 0:
        return rdbp(x, -e)
    thr = (1 << (15 - e)) - 1
    return np.where(x > thr, 32767, np.where(x < -thr, -32768, x << e))


def const16(c32: int) -> int:
    """A gemmlowp constant given as int32 raw, narrowed to int16 (RescaleConstantInitializer)."""
    return int(rdbp(np.int64(c32), 16))


EXP_MINUS_EIGHTH = const16(1895147668)
ONE_THIRD = const16(715827883)
NEWTON_A, NEWTON_B = const16(1515870810), const16(-1010580540)     # 48/17, -32/17 in Q2.13
#: exp(-2^e) for e = -2..4 (Q0.15): the barrel shifter of exp_on_negative_values
BARREL = [(-2, const16(1672461947)), (-1, const16(1302514674)), (0, const16(790015084)), (1, const16(290630308)),
          (2, const16(39332535)), (3, const16(720401)), (4, const16(242))]


def _exp_quarter(a):
    """exp(a) for a in [-1/4, 0) (Q0.15): a Taylor polynomial around -1/8."""
    x = wrap16(a + (1 << 12))
    x2 = srdhm16(x, x)
    x3 = srdhm16(x2, x)
    x4 = srdhm16(x2, x2)
    t = sat_mul_pot(wrap16(srdhm16(wrap16(rdbp(x4, 2) + x3), ONE_THIRD) + x2), -1)
    return np.clip(EXP_MINUS_EIGHTH + srdhm16(EXP_MINUS_EIGHTH, wrap16(x + t)), -32768, 32767)


def exp_on_negative_values(a, ib: int):
    """exp(a) for a <= 0 given with ib integer bits, result Q0.15."""
    fb = 15 - ib
    quarter = 1 << (fb - 2)
    amq = wrap16((np.asarray(a, np.int64) & (quarter - 1)) - quarter)     # a mod 1/4, in [-1/4, 0)
    r = _exp_quarter(sat_mul_pot(amq, ib))
    rem = wrap16(amq - a)
    for e, m in BARREL:
        if ib > e:
            r = np.where((rem & (1 << (fb + e))) != 0, srdhm16(r, m), r)
    if ib > 5:
        r = np.where(a < const16(-(1 << (36 - ib))), 0, r)
    return np.where(a == 0, ONE_Q0, r)


def _newton_reciprocal(a):
    """1 / (1 + a) for a in [0, 1] (Q0.15 in), Q2.13 out: three Newton-Raphson steps."""
    half = wrap16(_tdiv(np.asarray(a, np.int64) + ONE_Q0 + np.where(a + ONE_Q0 >= 0, 1, -1), 2))
    x = wrap16(NEWTON_A + srdhm16(half, NEWTON_B))
    for _ in range(3):
        x = wrap16(x + sat_mul_pot(srdhm16(x, wrap16(8192 - srdhm16(half, x))), 2))
    return x


def logistic_q3(a):
    """gemmlowp logistic of a Q3.12 int16, Q0.15 out (range [11, 32756])."""
    a = np.asarray(a, np.int64)
    pos = a > 0
    neg_abs = wrap16(-np.where(pos, a, wrap16(-a)))
    rp = sat_mul_pot(_newton_reciprocal(exp_on_negative_values(neg_abs, 3)), 1)
    return np.where(a == 0, 16384, np.where(pos, rp, wrap16(ONE_Q0 - rp)))


def tanh_q(a, ib: int):
    """gemmlowp tanh of an int16 with ib (0..6) integer bits, Q0.15 out."""
    if not 0 <= ib <= 6:
        raise ValueError(f"gemmlowp tanh takes 0..6 integer bits, not {ib}")
    a = np.asarray(a, np.int64)
    neg = a < 0
    n = np.where(neg, a, wrap16(-a))
    t = sat_mul_pot(wrap16(_newton_reciprocal(exp_on_negative_values(n, ib + 1)) - 8192), 2)
    return np.where(a == 0, 0, np.where(neg, wrap16(-t), t))
