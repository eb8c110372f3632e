"""Reference simulator of the integer GRU and RNN (docs/numerics-gru-rnn.md)."""
from __future__ import annotations

import numpy as np

from ..fixedpoint import multiply_by_quantized_multiplier as mbqm
from ..fixedpoint import requantize_fc, sat16, saturate, sigmoid_s16, tanh_s16
from ..registry import simulator
from ._recurrent import gate_accumulator, keep_final, run_directions, start_state


def _fc(v, a, p, side, g, act):
    """One gate FC term in Q3.12, saturated to int16 as the kernels store it."""
    return sat16(requantize_fc(gate_accumulator(v, a, side, g), p[f"{side}_mult"][g], p[f"{side}_shift"][g], act))


def _gate(x, h, a, p, g, act):
    return sat16(_fc(x, a, p, "in", g, act) + _fc(h, a, p, "rec", g, act))


def gru_step(x, h, a, p, zp, lbr, act):
    lo, hi = (-128, 127) if act == "int8" else (-32768, 32767)
    z = sigmoid_s16(_gate(x, h, a, p, 0, act))
    r = sigmoid_s16(_gate(x, h, a, p, 1, act))
    ax = _fc(x, a, p, "in", 2, act)
    if lbr:
        b = _fc(h, a, p, "rec", 2, act)
        pre_n = sat16(ax + sat16(mbqm(r * b, p["rb_mult"], p["rb_shift"])))
    else:
        rh = saturate(zp + mbqm(r * (h - zp), p["rh_mult"], p["rh_shift"]), lo, hi)
        pre_n = sat16(ax + _fc(rh, a, p, "rec", 2, act))
    n = tanh_s16(pre_n, 0)
    t1 = saturate(zp + mbqm((32768 - z) * n, p["omz_mult"], p["omz_shift"]), lo, hi)
    t2 = saturate(zp + mbqm(z * (h - zp), p["zh_mult"], p["zh_shift"]), lo, hi)
    return saturate(zp + (t1 - zp) + (t2 - zp), lo, hi)


def rnn_step(x, h, a, p, zp, fn, act):
    lo, hi = (-128, 127) if act == "int8" else (-32768, 32767)
    pre = _gate(x, h, a, p, 0, act)
    v = tanh_s16(pre, 0) if fn == "tanh" else np.maximum(pre, 0)
    return saturate(zp + mbqm(v, p["out_mult"], p["out_shift"]), lo, hi)


@simulator("gru", family="tflite-int")
@simulator("rnn", family="tflite-int")
def simulate_gru_rnn_int(q, x, lengths, stats, state=None, arrays=None):
    """arrays: per direction, what gate_accumulator reads (default: the layer's w, r, bx, bh)."""
    H, act, zp = q.attrs["hidden_size"], q.attrs["act"], q.attrs["zp_h"]
    arrays = arrays or [{k: q.arrays[f"{k}{d}"].astype(np.int64) for k in ("w", "r", "bx", "bh")}
                        for d in range(len(q.attrs["dirs"]))]

    def step(d, xt, state, valid):
        a, p, h = arrays[d], q.attrs["dirs"][d], state[0]
        if q.kind == "gru":
            return (gru_step(xt.astype(np.int64), h, a, p, zp, q.attrs["linear_before_reset"], act),)
        return (rnn_step(xt.astype(np.int64), h, a, p, zp, q.attrs["activation"], act),)
    y, finals = run_directions(x, lengths, q.attrs["direction"], H, np.int64,
                               lambda d, B: start_state(state, ("h",), (np.full((B, H), zp, np.int64),), d), step)
    keep_final(state, ("h",), finals)
    return y
