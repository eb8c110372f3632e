"""Reference simulators of the integer non-recurrent layers."""
from __future__ import annotations

import numpy as np

from ..errors import RnncError
from ..fixedpoint import multiply_by_quantized_multiplier as mbqm
from ..fixedpoint import requantize_fc, sat16, sigmoid_s16, tanh_s16
from ..registry import simulator
from .glue_float import take_last_step


@simulator("dense", family="tflite-int")
def simulate_dense_int(q, x, lengths, stats):
    """TFLM FULLY_CONNECTED; with the 'cmsis-nn' flavour the 16x8 layer rounds like CMSIS-NN's
    arm_fully_connected_s16 (int8 layers compute the same numbers in both libraries)."""
    acc = x.astype(np.int64) @ q.arrays["weight"].T.astype(np.int64) + q.arrays["bias"].astype(np.int64)
    flavour = q.attrs.get("flavour", "tflm")
    if flavour == "litert":
        return _dense_fp32_requantized(q, acc)
    out = np.empty_like(acc)
    for o in range(acc.shape[-1]):
        m, s = int(q.arrays["mult"][o]), int(q.arrays["shift"][o])
        out[..., o] = requantize_fc(acc[..., o], m, s, q.attrs["act"], flavour)
    return np.clip(out + q.attrs["zp_out"], q.attrs["act_min"], q.attrs["act_max"])


def _dense_fp32_requantized(q, acc):
    """LiteRT's default int8 FULLY_CONNECTED (its XNNPACK delegate): the int32 accumulator
    converted to float32, times the float32 scale s_x * s_w / s_out, clamped to the output
    range less the zero point, rounded to nearest even, plus the zero point."""
    zp = q.attrs["zp_out"]
    v = acc.astype(np.int32).astype(np.float32) * q.arrays["fp32_scale"].astype(np.float32)
    v = np.clip(v, np.float32(q.attrs["act_min"] - zp), np.float32(q.attrs["act_max"] - zp))
    return np.rint(v).astype(np.int64) + zp


@simulator("activation", family="tflite-int")
def simulate_activation_int(q, x, lengths, stats):
    a = q.attrs
    fn = a["function"]
    x = x.astype(np.int64)
    lo, hi = (-128, 127) if a["act"] == "int8" else (-32768, 32767)
    if fn == "identity":
        return x
    if fn == "relu":
        return np.maximum(x, a["low"])
    if fn in ("sigmoid", "tanh"):
        v = sat16(mbqm(x - a["in_zp"], a["in_mult"], a["in_shift"]))      # Q3.12
        s = sigmoid_s16(v) if fn == "sigmoid" else tanh_s16(v, 0)          # Q0.15
        return np.clip(a["out_zp"] + mbqm(s, a["out_mult"], a["out_shift"]), lo, hi)
    # softmax: exp(x - max) from a table, normalised with rounded integer division
    d = x.max(axis=-1, keepdims=True) - x                                  # >= 0, input units
    k = np.minimum(mbqm(d, a["step_mult"], a["step_shift"]), len(q.arrays["exp_table"]) - 1)
    e = q.arrays["exp_table"].astype(np.int64)[k]
    total = e.sum(axis=-1, keepdims=True)
    p = (e * a["out_one"] + total // 2) // total
    return np.clip(p + a["out_zp"], lo, hi)


@simulator("embedding", family="tflite-int")
def simulate_embedding_int(q, x, lengths, stats):
    ids = x[..., 0].astype(np.int64)
    table = q.arrays["table"]
    if np.any((ids < 0) | (ids >= table.shape[0])):
        raise RnncError(f"token ids must lie in [0, {table.shape[0]})", where=q.where)
    return table[ids]


@simulator("last_step", family="tflite-int")
def simulate_last_step_int(q, x, lengths, stats):
    return take_last_step(x, lengths, q.attrs.get("reverse_width", 0))
