"""The 'litert' numerics flavour: a model compiled to compute, bit for bit, what full TFLite
(LiteRT, ai-edge-litert) computes for it, instead of TensorFlow Lite Micro.

Two layer kinds differ (docs/numerics-lstm.md and docs/numerics-glue.md, "LiteRT flavour"):
the int8 LSTM (LiteRT's own kernel: gemmlowp activations, single-rounded cell products and
the hidden multiplier QM(float32(2^-15 / s_h * 2^-15))), and the int8 dense layer, which LiteRT
hands to its default XNNPACK delegate (float32 requantization, rounding to nearest even).
int16 dense layers and conversions are the same in both interpreters. GRU and simple RNN layers
have no LiteRT op and keep rnnc's own arithmetic.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from ..fixedpoint import quantize_multiplier

NUMERICS = ("tflm", "litert")


def use_numerics(qm, numerics: str) -> None:
    """Give the model's layers the numerics of `numerics` (tflm: nothing changes)."""
    if numerics not in NUMERICS:
        raise UnsupportedError(f"unknown numerics '{numerics}' (one of {', '.join(NUMERICS)})")
    if numerics == "tflm":
        return
    if qm.kernels == "cmsis-nn":
        raise UnsupportedError("--numerics litert and --kernels cmsis-nn exclude each other (CMSIS-NN computes "
                               "TFLM's arithmetic)", file=qm.source)
    for q in qm.layers:
        if q.kind == "dense" and q.scheme == "int8":
            _dense_litert(q)
            continue
        if q.kind != "lstm" or q.scheme == "float":
            continue
        if q.scheme != "int8":
            raise UnsupportedError("LiteRT numerics are defined for int8 LSTMs only (LiteRT has no other integer "
                                   "LSTM a converter makes)", file=qm.source, where=q.where)
        for p in q.attrs["dirs"]:
            ib = 15 + p["cell_shift"]
            if not 0 <= ib <= 6:
                raise UnsupportedError(f"the cell scale 2^{p['cell_shift']} is outside 2^-15..2^-9, where LiteRT's "
                                       "integer tanh of the cell is defined (it computes garbage there)",
                                       file=qm.source, where=q.where)
            p["h_mult"], p["h_shift"] = hidden_multiplier(q.out_q.scale)
        q.attrs["flavour"] = "litert"
    qm.flavour = "litert"


def hidden_multiplier(hidden_scale: float) -> tuple[int, int]:
    """LiteRT's o * tanh(c) -> hidden multiplier: 2^-15 / s_h * 2^-15 in double, stored in a
    float32, then quantized (TFLM forms 2^-30 / s_h in double without the float32)."""
    return quantize_multiplier(float(np.float32(2.0 ** -15 / float(np.float32(hidden_scale)) * 2.0 ** -15)))


def _dense_litert(q) -> None:
    """XNNPACK's per-channel requantization scale: s_x * s_w / s_out in float32, left to right."""
    ws = q.attrs.get("w_scale")
    if ws is None:
        raise UnsupportedError("the dense layer has no weight scales to requantize in float32", where=q.where)
    s_in, s_out = np.float32(q.in_q.scale), np.float32(q.out_q.scale)
    q.arrays["fp32_scale"] = np.array([np.float32(s_in * np.float32(w)) / s_out for w in ws], np.float32)
    q.attrs["flavour"] = "litert"
