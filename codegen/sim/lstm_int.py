"""Reference simulator of the integer LSTM (TFLM arithmetic; docs/numerics-lstm.md).

Numerics flavours: 'tflm' (default) saturates each FC term to int16 before the gate sum and
the two cell-update terms separately; 'cmsis-nn' saturates only the sums (CMSIS-NN's
arm_lstm_unidirectional_s8/s16).
"""
from __future__ import annotations

import numpy as np

from ..fixedpoint import (multiply_by_quantized_multiplier as mbqm,
                          multiply_by_quantized_multiplier_int64 as mbqm64, sat16, saturate,
                          sigmoid_s16, tanh_s16)
from ..registry import simulator


def _fc(x, w, b, mult, shift, act):
    acc = x.astype(np.int64) @ w.T.astype(np.int64) + b
    return sat16(mbqm(acc, mult, shift) if act == "int8" else mbqm64(acc, mult, shift))


def lstm_step(x, h, c, arrays, p, act, flavour="tflm"):
    """One step for a batch: x (B, In), h (B, H), c (B, H) int64 -> new (h, c)."""
    pre = []
    for g in range(4):
        ax = _fc(x, arrays["w"][g], arrays["bx"][g], p["in_mult"][g], p["in_shift"][g], act)
        ah = _fc(h, arrays["r"][g], arrays["bh"][g], p["rec_mult"][g], p["rec_shift"][g], act)
        pre.append(sat16(ax + ah))
    i, f, o = sigmoid_s16(pre[0]), sigmoid_s16(pre[1]), sigmoid_s16(pre[3])
    g = tanh_s16(pre[2], 0)
    fc = mbqm(f * c, p["fc_mult"], p["fc_shift"])
    ig = mbqm(i * g, p["ig_mult"], p["ig_shift"])
    if flavour == "cmsis-nn":
        c_new = fc + ig
    else:
        c_new = sat16(sat16(fc) + sat16(ig))
    if p["cell_clip"] > 0:
        c_new = saturate(c_new, -p["cell_clip"], p["cell_clip"])
    c_new = sat16(c_new)
    t = tanh_s16(c_new, p["tanh_shift"])
    lo, hi = (-128, 127) if act == "int8" else (-32768, 32767)
    zp = p["zp_h"]
    h_new = saturate(zp + mbqm(t * o, p["h_mult"], p["h_shift"]), lo, hi)
    return h_new, c_new


@simulator("lstm", "int8", "int16x8")
def simulate_lstm_int(q, x, lengths, stats):
    B, T, _ = x.shape
    H = q.attrs["hidden_size"]
    act = q.attrs["act"]
    ndir = len(q.attrs["dirs"])
    y = np.zeros((B, T, H * ndir), np.int64)
    rows = np.arange(B)
    flavour = q.attrs.get("flavour", "tflm")
    for d in range(ndir):
        reverse = q.attrs["direction"] == "reverse" or d == 1
        arrays = {k: q.arrays[f"{k}{d}"].astype(np.int64) for k in ("w", "r", "bx", "bh")}
        p = dict(q.attrs["dirs"][d], zp_h=q.attrs["zp_h"])
        h = np.full((B, H), q.attrs["zp_h"], np.int64)
        c = np.zeros((B, H), np.int64)
        for k in range(T):
            valid = k < lengths
            t = np.where(valid, (lengths - 1 - k) if reverse else k, 0)
            h_new, c_new = lstm_step(x[rows, t].astype(np.int64), h, c, arrays, p, act, flavour)
            h = np.where(valid[:, None], h_new, h)
            c = np.where(valid[:, None], c_new, c)
            y[rows[valid], t[valid], d * H:(d + 1) * H] = h[valid]
    return y
