"""The integer layers around the recurrent ones as TFLite operators.

dense -> FULLY_CONNECTED (per-channel int8 weights, the fused RELU/RELU6 clamp), relu -> RELU,
identity -> nothing, last step -> STRIDED_SLICE of the final step, conversions -> QUANTIZE
(requantize int8 <-> int16; float -> int) or DEQUANTIZE. rnnc's own sigmoid, tanh and softmax
(docs/numerics-glue.md) are not TFLite's LOGISTIC, TANH and SOFTMAX and are refused.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from ..fixedpoint import quantize_multiplier, round_half_away
from ..quant.common import DTYPE_RANGE
from ..registry import tflite_exporter
from . import ExportContext, quant
from .writer import Quant, empty_options, schema

FUSED = {"none": 0, "relu": 1, "relu6": 3}
INT_SCHEMES = ("int8", "int16x8")


@tflite_exporter("dense", *INT_SCHEMES)
def export_dense(q, ctx: ExportContext, x: int) -> int:
    w = ctx.writer
    act = q.attrs["act"]
    W = q.arrays["weight"]
    ws = q.attrs.get("w_scale")
    if ws is None:
        raise UnsupportedError("the manifest has no weight scales (compiled before .tflite export existed); "
                               "compile the model again, then export")
    zp_in = q.in_q.zero_point
    bias = q.arrays["bias"].astype(np.int64) + zp_in * W.astype(np.int64).sum(axis=1)
    for k, s in enumerate(ws):
        if quantize_multiplier(float(np.float32(q.in_q.scale)) * float(s) / float(np.float32(q.out_q.scale))) != \
                (int(q.arrays["mult"][k]), int(q.arrays["shift"][k])):
            raise UnsupportedError(f"output {k}: the interpreter would derive another multiplier from the float32 "
                                   "scales a .tflite stores; compile the model again, then export")
    fused = _fused_activation(q)
    per_channel = len(set(ws)) > 1
    wq = Quant(list(ws), [0] * len(ws)) if per_channel else Quant([ws[0]], [0])
    bscale = [float(np.float32(q.in_q.scale) * np.float32(s)) for s in (ws if per_channel else ws[:1])]
    btype, bnp = ("int32", np.int32) if act == "int8" else ("int64", np.int64)
    wt = w.tensor(f"{q.name}_weights", W.shape, "int8", wq, data=W)
    bt = w.tensor(f"{q.name}_bias", (W.shape[0],), btype, Quant(bscale, [0] * len(bscale)), data=bias.astype(bnp))
    y = ctx.like(x, f"{q.name}_output", q.out_size, act, q.out_q)

    def options(b):
        O = schema("FullyConnectedOptions")
        O.FullyConnectedOptionsStart(b)
        O.FullyConnectedOptionsAddFusedActivationFunction(b, FUSED[fused])
        O.FullyConnectedOptionsAddKeepNumDims(b, True)      # (1, T, F) stays (1, T, out)
        return O.FullyConnectedOptionsEnd(b)
    w.op("FULLY_CONNECTED", [x, wt, bt], [y], ("FullyConnectedOptions", options))
    return y


def _fused_activation(q) -> str:
    """The fused activation whose clamp TFLite derives as the compiled act_min/act_max."""
    act, zp, scale = q.attrs["act"], q.out_q.zero_point, q.out_q.scale
    qmin, qmax = DTYPE_RANGE[act]
    six = zp + round_half_away(float(np.float32(6.0) / np.float32(scale)))
    clamps = {"none": (qmin, qmax), "relu": (max(qmin, zp), qmax), "relu6": (max(qmin, zp), min(qmax, six))}
    for name, (lo, hi) in clamps.items():
        if (q.attrs["act_min"], q.attrs["act_max"]) == (lo, hi):
            return name
    raise UnsupportedError("the dense layer's output clamp is no TFLite fused activation")


@tflite_exporter("activation", *INT_SCHEMES)
def export_activation(q, ctx: ExportContext, x: int) -> int:
    fn = q.attrs["function"]
    if fn == "identity":
        return x
    if fn != "relu":
        raise UnsupportedError(f"rnnc's integer {fn} (docs/numerics-glue.md) is not TFLite's; it cannot be exported")
    y = ctx.like(x, f"{q.name}_output", q.out_size, q.out_dtype, q.out_q)
    ctx.writer.op("RELU", [x], [y])      # same scale in and out: max(x, zp), as rnnc's relu
    return y


@tflite_exporter("last_step", *INT_SCHEMES)
def export_last_step(q, ctx: ExportContext, x: int) -> int:
    if q.attrs.get("reverse_width"):
        raise UnsupportedError("the last step of a bidirectional layer (the backward half at step 0) "
                               "cannot be exported yet")
    w = ctx.writer
    _, T, F = w.tensors[x].shape
    idx = [w.tensor(f"{q.name}_{k}", (3,), "int32", data=np.array(v, np.int32))
           for k, v in (("begin", [0, T - 1, 0]), ("end", [1, T, F]), ("strides", [1, 1, 1]))]
    y = w.tensor(f"{q.name}_output", (1, 1, F), q.out_dtype, quant(q.out_q))   # rnnc keeps a time axis of 1

    w.op("STRIDED_SLICE", [x] + idx, [y], empty_options("StridedSliceOptions"))
    return y


@tflite_exporter("convert", *INT_SCHEMES, "float")
def export_convert(q, ctx: ExportContext, x: int) -> int:
    op = q.attrs["op"]
    if op == "requantize" and quantize_multiplier(float(np.float32(q.in_q.scale)) / float(np.float32(q.out_q.scale))) \
            != (q.attrs["mult"], q.attrs["shift"]):
        raise UnsupportedError("the interpreter would derive another requantization multiplier from the float32 "
                               "scales a .tflite stores; compile the model again, then export")
    y = ctx.like(x, f"{q.name}_output", q.out_size, q.out_dtype, q.out_q)
    ctx.writer.op("DEQUANTIZE" if op == "dequantize" else "QUANTIZE", [x], [y])
    return y
