"""Integer quantization of the non-recurrent layers (TFLM FULLY_CONNECTED arithmetic).

dense  arrays: weight int8 (out, in); bias int32 (int64 for 16x8) = bias - zp_in * rowsum(W)
              (the input offset folded in); mult/shift int32 (out,) per output channel.
       attrs:  zp_out, act_min, act_max (the fused activation's clamp), act, w_scale (the weight
              scale of each output row, float32 values: what a .tflite export writes).
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ..errors import UnsupportedError
from ..fixedpoint import quantize_multiplier, round_half_away
from ..qmodel import QLayer
from ..manifest_check import check_last_step
from ..registry import quantizer, validator, weight_projector
from . import _int_checks
from ._int_checks import ACT, MULT, SHIFT8, SHIFT16
from .common import DTYPE_RANGE, activation_qparams, bias_to_int, check_fc_limits, quantize_array


@quantizer("dense", family="tflite-int")
def quantize_dense_int(layer: ir.DenseLayer, ctx) -> QLayer:
    act = ctx.act_dtype
    fixed = layer.fixed_quant
    if fixed is not None:
        in_q, out_q = fixed["input"], fixed["output"]
        W = fixed["weight"].astype(np.int8)
        ws = np.broadcast_to(np.asarray(fixed["weight_scale"], np.float64), (W.shape[0],))
        bias = np.zeros(W.shape[0], np.int64) if fixed["bias"] is None else fixed["bias"].astype(np.int64)
        fused = fixed.get("activation", "none")
    else:
        in_q = ctx.in_q
        out_q = activation_qparams(ctx.stats.range("out"), act)
        W, ws = _dense_levels(layer.weight)
        bscale = (np.float32(in_q.scale) * ws.astype(np.float32)).astype(np.float64)
        bias = bias_to_int(layer.bias, bscale, "dense")
        fused = "none"
    if in_q is None or in_q.dtype != act:
        raise UnsupportedError(f"the input of an {ctx.scheme} dense layer must be {act}")
    mults, shifts = [], []
    for s in ws:
        # TFLM's FULLY_CONNECTED forms s_in * s_w / s_out in double for per-tensor and
        # per-channel weights alike (checked against the live interpreter in tests); the LSTM's
        # gate FCs differ: they form the product in float32 (quant/lstm_int.py).
        real = float(in_q.scale) * float(s) / float(out_q.scale)
        m, sh = quantize_multiplier(real)
        mults.append(m)
        shifts.append(sh)
    qmin, qmax = DTYPE_RANGE[act]
    act_min, act_max = qmin, qmax
    if fused in ("relu", "relu6"):
        act_min = max(qmin, out_q.zero_point)
    if fused == "relu6":
        act_max = min(qmax, out_q.zero_point + round_half_away(float(np.float32(6.0) / np.float32(out_q.scale))))
    eff = bias - in_q.zero_point * W.astype(np.int64).sum(axis=1)
    bdtype = np.int32 if act == "int8" else np.int64
    check_fc_limits(W, eff, shifts, act, "dense")
    return QLayer(layer.name, "dense", ctx.scheme, layer.input_size, layer.output_size, act, act,
                  in_q=in_q, out_q=out_q, ir=layer,
                  arrays={"weight": W, "bias": eff.astype(bdtype), "mult": np.array(mults, np.int32),
                          "shift": np.array(shifts, np.int32)},
                  attrs={"zp_out": out_q.zero_point, "act_min": act_min, "act_max": act_max, "act": act,
                         "w_scale": [float(np.float32(v)) for v in ws]})


@weight_projector("dense", family="tflite-int")
def project_dense_int(layer: ir.DenseLayer, ctx) -> ir.DenseLayer:
    """The weight matrix as its int8 levels times the per-row scales."""
    import dataclasses
    if layer.fixed_quant is not None:
        return layer
    W, ws = _dense_levels(layer.weight)
    return dataclasses.replace(layer, weight=(W * ws[:, None]).astype(np.float32))


def _dense_levels(weight: np.ndarray):
    """Symmetric int8 levels with one scale per output row (float32 values)."""
    m = np.max(np.abs(weight), axis=1)
    ws = np.where(m > 0, m / 127.0, 1.0).astype(np.float32).astype(np.float64)
    return np.clip(np.round(weight / ws[:, None]), -127, 127).astype(np.int8), ws


#: Fixed output quantization of bounded activations (TFLite conventions).
FIXED_OUT = {("sigmoid", "int8"): (1 / 256, -128), ("tanh", "int8"): (1 / 128, 0),
             ("softmax", "int8"): (1 / 256, -128), ("sigmoid", "int16"): (2 ** -15, 0),
             ("tanh", "int16"): (2 ** -15, 0), ("softmax", "int16"): (2 ** -15, 0)}
SOFTMAX_TABLE = 256


@quantizer("activation", family="tflite-int")
def quantize_activation_int(layer: ir.ActivationLayer, ctx) -> QLayer:
    act = ctx.act_dtype
    in_q = ctx.in_q
    fn = layer.function
    if (layer.fixed_quant or {}).get("fused"):
        fn = "identity"   # the preceding FULLY_CONNECTED already clamps
    attrs: dict = {"function": fn, "act": act, "in_zp": in_q.zero_point}
    arrays = {}
    out_q = in_q
    if fn == "relu":
        attrs["low"] = in_q.zero_point
    elif fn in ("sigmoid", "tanh"):
        scale, zp = FIXED_OUT[(fn, act)]
        out_q = ir.QuantParams(scale, zp, act)
        attrs["in_mult"], attrs["in_shift"] = quantize_multiplier(in_q.scale / 2.0 ** -12)
        attrs["out_mult"], attrs["out_shift"] = quantize_multiplier(2.0 ** -15 / scale)
        attrs["out_zp"] = zp
    elif fn == "softmax":
        scale, zp = FIXED_OUT[(fn, act)]
        out_q = ir.QuantParams(scale, zp, act)
        step = in_q.scale if act == "int8" else max(in_q.scale, 16.0 / (SOFTMAX_TABLE - 1))
        attrs["step_mult"], attrs["step_shift"] = quantize_multiplier(in_q.scale / step)
        attrs["out_one"] = int(round(1.0 / scale))   # 256 or 32768
        attrs["out_zp"] = zp
        k = np.arange(SOFTMAX_TABLE, dtype=np.float64)
        arrays["exp_table"] = np.round(65536.0 * np.exp(-k * step)).astype(np.int32)
    elif fn != "identity":
        raise UnsupportedError(f"integer '{layer.function}' activation is not supported "
                               "(relu, sigmoid, tanh and softmax are)")
    return QLayer(layer.name, "activation", ctx.scheme, layer.size, layer.size, act, act,
                  in_q=in_q, out_q=out_q, ir=layer, attrs=attrs, arrays=arrays)


@quantizer("embedding", family="tflite-int")
def quantize_embedding_int(layer: ir.EmbeddingLayer, ctx) -> QLayer:
    act = ctx.act_dtype
    out_q = activation_qparams(ctx.stats.range("out"), act)
    return QLayer(layer.name, "embedding", ctx.scheme, 1, layer.output_size, "int32", act,
                  out_q=out_q, ir=layer, arrays={"table": quantize_array(layer.table, out_q)})


@quantizer("last_step", family="tflite-int")
def quantize_last_step_int(layer: ir.LastStepLayer, ctx) -> QLayer:
    return QLayer(layer.name, "last_step", ctx.scheme, layer.size, layer.size, ctx.in_dtype, ctx.in_dtype,
                  causal=False, in_q=ctx.in_q, out_q=ctx.in_q, ir=layer,
                  attrs={"reverse_width": layer.reverse_width})


@validator("dense", family="tflite-int")
def validate_dense_int(q, c) -> None:
    act = _int_checks.act_of(q, c)
    a = q.attrs
    c.array(q.arrays, "weight", "int8", (q.out_size, q.in_size))
    bias = c.array(q.arrays, "bias", _int_checks.BIAS_DTYPE[act], (q.out_size,))
    c.values(bias, "bias", *(_int_checks.INT32 if act == "int8" else _int_checks.BIAS64))
    c.values(c.array(q.arrays, "mult", "int32", (q.out_size,)), "mult", *MULT)
    c.values(c.array(q.arrays, "shift", "int32", (q.out_size,)), "shift", *(SHIFT8 if act == "int8" else SHIFT16))
    lo = c.int(a, "act_min", *ACT[act])
    c.int(a, "act_max", lo, ACT[act][1])
    c.int(a, "zp_out", *ACT[act])
    flavour = c.choice(a, "flavour", ["tflm", "cmsis-nn", "litert"]) if "flavour" in a else "tflm"
    if flavour == "litert":
        if act != "int8":
            c.fail("the litert flavour of a dense layer is int8")
        scale = c.array(q.arrays, "fp32_scale", "float32", (q.out_size,))
        if not np.all(np.isfinite(scale)) or np.any(scale <= 0) or np.any(scale >= 256):
            c.fail("fp32_scale must be finite, positive and below 256")
    if "w_scale" in a:   # absent in manifests written before .tflite export existed
        ws = a["w_scale"]
        if not isinstance(ws, list) or len(ws) != q.out_size:
            c.fail(f"'w_scale' must list one scale per output row ({q.out_size})")
        for v in ws:
            c.number({"w_scale": v}, "w_scale", positive=True)


@validator("activation", family="tflite-int")
def validate_activation_int(q, c) -> None:
    act = _int_checks.act_of(q, c)
    a = q.attrs
    fn = c.choice(a, "function", ["identity", "relu", "sigmoid", "tanh", "softmax"])
    if q.in_size != q.out_size:
        c.fail("an activation keeps its width")
    c.int(a, "in_zp", *ACT[act])
    if fn == "relu":
        c.int(a, "low", *ACT[act])
    elif fn in ("sigmoid", "tanh"):
        for name in ("in", "out"):
            _int_checks.mult_shift(c, a, name, "int8")
        c.int(a, "out_zp", *ACT[act])
    elif fn == "softmax":
        _int_checks.mult_shift(c, a, "step", "int8")
        c.int(a, "out_one", 1, 32768)
        c.int(a, "out_zp", *ACT[act])
        n = q.arrays.get("exp_table")
        n = n.shape[0] if getattr(n, "ndim", 0) == 1 else 0
        table = c.array(q.arrays, "exp_table", "int32", (max(1, min(n, 65536)),))
        c.values(table, "exp_table", 0, 65536)
        if table[0] < 1:
            c.fail("exp_table[0] must be positive (it is exp(0))")


@validator("embedding", family="tflite-int")
def validate_embedding_int(q, c) -> None:
    table = q.arrays.get("table")
    vocab = table.shape[0] if getattr(table, "ndim", 0) == 2 else 0
    c.array(q.arrays, "table", q.out_dtype, (max(1, min(vocab, 1 << 24)), q.out_size))
    if q.in_dtype != "int32" or q.in_size != 1 or q.out_dtype not in ACT:
        c.fail("an embedding maps one int32 token id to a row of activations")


@validator("last_step", family="tflite-int")
def validate_last_step_int(q, c) -> None:
    check_last_step(q, c)
