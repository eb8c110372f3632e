"""Reference simulator of the integer LSTM (TFLM arithmetic; docs/numerics-lstm.md).

Exact integer arithmetic in int64 numpy, vectorised over the batch, written from the spec and
independent of the C kernels.

Numerics flavours (q.attrs['flavour'], default 'tflm'):
- 'tflm': TFLite Micro's reference LSTM. Each FC term is saturated to int16 before the gate
  sum; the two cell-update terms are saturated separately, then their sum.
- 'cmsis-nn': CMSIS-NN's arm_lstm_unidirectional_s8/_s16. The input FC term is saturated,
  the recurrent term is added to it unsaturated and the sum saturated once; the cell update
  adds the unsaturated i*g term to f*c and clamps once (to +-clip when set). The two flavours
  differ only where one of those terms saturates on its own. int16x8 FC terms are requantized
  with arm_nn_requantize_s64, which truncates to int32 one bit before the final rounding
  (TFLM truncates after it); the two agree whenever the term fits int32.
- 'litert': full TFLite's (LiteRT) kernel, int8 only: the gate sum as 'cmsis-nn'; gemmlowp's
  fixed-point logistic and tanh (codegen/fixedpoint_gemmlowp.py) instead of the LUT; f*c and
  i*g each rounded once (RoundingDivideByPOT by 15 and by 30 + log2 of the cell scale), then
  added with saturation and clipped; tanh(c) with 15 + log2(cell scale) integer bits; the hidden
  multiplier is the quantizer's (formed through a float32, as LiteRT's Prepare does).
"""
from __future__ import annotations

import numpy as np

from ..fixedpoint import (multiply_by_quantized_multiplier as mbqm, requantize_fc, sat16, saturate,
                          sigmoid_s16, tanh_s16)
from ..registry import simulator
from ._recurrent import gate_accumulator, keep_final, run_directions, start_state

FLAVOURS = ("tflm", "cmsis-nn", "litert")


def _fc_term(v, arrays, side, g, p, act, flavour="tflm"):
    """One FC term of a gate, requantized to Q3.12 but NOT yet saturated to int16."""
    return requantize_fc(gate_accumulator(v, arrays, side, g), p[f"{side}_mult"][g], p[f"{side}_shift"][g], act,
                         flavour)


def gate_preactivation(x, h, arrays, p, g, act, flavour="tflm"):
    ax = sat16(_fc_term(x, arrays, "in", g, p, act, flavour))
    ah = _fc_term(h, arrays, "rec", g, p, act, flavour)
    if flavour == "tflm":
        ah = sat16(ah)
    return sat16(ax + ah)


def lstm_step(x, h, c, arrays, p, act, flavour="tflm"):
    """One step for a batch: x (B, In), h (B, H), c (B, H) int64 -> new (h, c)."""
    pre = [gate_preactivation(x, h, arrays, p, g, act, flavour) for g in range(4)]
    if flavour == "litert":
        return _litert_update(pre, c, p, act)
    i, f, o = sigmoid_s16(pre[0]), sigmoid_s16(pre[1]), sigmoid_s16(pre[3])
    g = tanh_s16(pre[2], 0)
    fc = sat16(mbqm(f * c, p["fc_mult"], p["fc_shift"]))  # |f*c| < 2^15 * |c|: never saturates
    ig = mbqm(i * g, p["ig_mult"], p["ig_shift"])
    if flavour == "tflm":
        c_new = sat16(fc + sat16(ig))
        if p["cell_clip"] > 0:
            c_new = saturate(c_new, -p["cell_clip"], p["cell_clip"])
    else:
        c_new = fc + ig
        c_new = saturate(c_new, -p["cell_clip"], p["cell_clip"]) if p["cell_clip"] > 0 else sat16(c_new)
    t = tanh_s16(c_new, p["tanh_shift"])
    lo, hi = (-128, 127) if act == "int8" else (-32768, 32767)
    h_new = saturate(p["zp_h"] + mbqm(t * o, p["h_mult"], p["h_shift"]), lo, hi)
    return h_new, c_new


def _litert_update(pre, c, p, act):
    """LiteRT's element-wise part (docs/numerics-lstm.md, LiteRT flavour)."""
    from ..fixedpoint_gemmlowp import logistic_q3, rdbp, tanh_q
    i, f, o = logistic_q3(pre[0]), logistic_q3(pre[1]), logistic_q3(pre[3])
    g = tanh_q(pre[2], 3)
    ib = 15 + p["cell_shift"]                         # integer bits of the cell (0..6: quantizer)
    c_new = sat16(rdbp(f * c, 15) + rdbp(i * g, 30 + p["cell_shift"]))   # both fit int16 for ib >= 0
    if p["cell_clip"] > 0:
        c_new = saturate(c_new, -p["cell_clip"], p["cell_clip"])
    t = tanh_q(c_new, ib)
    lo, hi = (-128, 127) if act == "int8" else (-32768, 32767)
    return saturate(p["zp_h"] + mbqm(o * t, p["h_mult"], p["h_shift"]), lo, hi), c_new


@simulator("lstm", family="tflite-int")
def simulate_lstm_int(q, x, lengths, stats, state=None, arrays=None):
    """arrays: per direction, what gate_accumulator reads (default: the layer's w, r, bx, bh)."""
    H, act, zp = q.attrs["hidden_size"], q.attrs["act"], q.attrs["zp_h"]
    flavour = q.attrs.get("flavour", "tflm")
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown numerics flavour '{flavour}'")
    arrays = arrays or [{k: q.arrays[f"{k}{d}"].astype(np.int64) for k in ("w", "r", "bx", "bh")}
                        for d in range(len(q.attrs["dirs"]))]
    params = [dict(p, zp_h=zp) for p in q.attrs["dirs"]]

    def step(d, xt, state, valid):
        return lstm_step(xt.astype(np.int64), state[0], state[1], arrays[d], params[d], act, flavour)
    y, finals = run_directions(x, lengths, q.attrs["direction"], H, np.int64, lambda d, B: start_state(
        state, ("h", "c"), (np.full((B, H), zp, np.int64), np.zeros((B, H), np.int64)), d), step)
    keep_final(state, ("h", "c"), finals)
    return y
