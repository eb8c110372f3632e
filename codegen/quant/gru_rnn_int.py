"""Integer GRU and simple RNN quantization ('int8', 'int16x8'), spec in docs/numerics-gru-rnn.md.

Per direction d the QLayer holds
  arrays  w{d} int8 (G, H, In), r{d} int8 (G, H, H)   gate order GRU z r h, RNN h
          bx{d} (G, H) input-side effective bias, bh{d} (G, H) recurrent-side effective bias
          (int32 for int8, int64 for int16x8)
  attrs   dirs[d]: in_mult/in_shift, rec_mult/rec_shift (G each) -> Q3.12 gate terms;
          GRU: rh (r*h -> hidden scale), rb (r*(R h) -> Q3.12), omz ((1-z)*n -> hidden),
          zh (z*h -> hidden) multipliers; RNN: out (activation -> hidden); w_scale/r_scale
          (G each, float32 values) where each gate matrix has one scale (what .tflite export writes).
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ..errors import UnsupportedError
from ..fixedpoint import mul_multiplier, quantize_multiplier
from ..qmodel import QLayer
from ..registry import quantizer, state_codec, validator, weight_projector
from . import _int_checks
from .common import (activation_qparams, bias_to_int, check_fc_limits, dequantize_array, fc_multiplier,
                     int8_per_tensor, product_scale, project_int8_per_tensor, quantize_array)

Q312, Q015 = 2.0 ** -12, 2.0 ** -15


def _check(layer: ir.RecurrentLayer) -> str:
    if layer.clip is not None:
        raise UnsupportedError("ONNX 'clip' has no integer equivalent; compile with --scheme float")
    names = {tuple(a.name for a in layer.activations_for(d)) for d in range(layer.num_directions)}
    want = {"gru": {("sigmoid", "tanh")}, "rnn": {("tanh",), ("relu",)}}[layer.kind]
    if len(names) != 1 or not names <= want:
        raise UnsupportedError(f"integer {layer.kind.upper()} supports activations {sorted(want)}, got {sorted(names)}")
    for dp in layer.dirs:
        if dp.initial_h is not None and np.any(dp.initial_h != 0):
            raise UnsupportedError("a non-zero initial state is not supported by integer schemes")
    return next(iter(names))[-1]


def _int8_per_tensor(w: np.ndarray, what: str):
    """The code(w, what) of quantize_gru_rnn for int8: one scale per tensor."""
    return int8_per_tensor(w)


@quantizer("gru", family="tflite-int")
@quantizer("rnn", family="tflite-int")
def quantize_gru_rnn_int(layer: ir.RecurrentLayer, ctx) -> QLayer:
    return quantize_gru_rnn(layer, ctx, _int8_per_tensor)


weight_projector("gru", family="tflite-int")(project_int8_per_tensor)
weight_projector("rnn", family="tflite-int")(project_int8_per_tensor)


def quantize_gru_rnn(layer: ir.RecurrentLayer, ctx, code) -> QLayer:
    """The integer GRU/RNN with each gate matrix coded by code(w, what) -> (levels, scale):
    int8 per tensor here, low-bit levels with one scale per row in quant/lowbit.py."""
    fn = _check(layer)
    act = ctx.act_dtype
    in_q = ctx.in_q
    if in_q is None or in_q.dtype != act:
        raise UnsupportedError(f"the input of an {ctx.scheme} {layer.kind.upper()} must be {act}")
    h_q = activation_qparams(ctx.stats.range("out"), act)
    bias_t = np.int32 if act == "int8" else np.int64
    gates = ir.GATES[layer.kind]
    arrays, dirs = {}, []
    for d, dp in enumerate(layer.dirs):
        W, R, bx, bh, p = [], [], [], [], {k: [] for k in ("in_mult", "in_shift", "rec_mult", "rec_shift")}
        scales = {"w_scale": [], "r_scale": []}
        for g in gates:
            gw = dp.gates[g]
            Wq, ws = code(gw.W, f"W{d}.{g}")
            Rq, rs = code(gw.R, f"R{d}.{g}")
            sx, sh = product_scale(in_q.scale, ws), product_scale(h_q.scale, rs)
            split = layer.kind == "gru" and g == "h" and layer.linear_before_reset
            b_in = gw.Wb.astype(np.float64) + (0 if split else gw.Rb)
            b_rec = gw.Rb.astype(np.float64) if split else np.zeros_like(b_in)
            bx.append(bias_to_int(b_in, sx, f"gate '{g}' input") - in_q.zero_point * Wq.astype(np.int64).sum(1))
            bh.append(bias_to_int(b_rec, sh, f"gate '{g}' recurrent") - h_q.zero_point * Rq.astype(np.int64).sum(1))
            W.append(Wq)
            R.append(Rq)
            scales["w_scale"].append(ws)
            scales["r_scale"].append(rs)
            for side, s_act, s_w, w_q, b_q in (("in", in_q.scale, ws, Wq, bx[-1]), ("rec", h_q.scale, rs, Rq, bh[-1])):
                m, s = fc_multiplier(s_act, s_w, Q312)
                check_fc_limits(w_q, b_q, s, act, f"{'input' if side == 'in' else 'recurrent'} FC of gate '{g}'")
                p[f"{side}_mult"].append(m)
                p[f"{side}_shift"].append(s)
        mults = ({"rh": (Q015, h_q.scale, h_q.scale), "rb": (Q015, Q312, Q312),
                  "omz": (Q015, Q015, h_q.scale), "zh": (Q015, h_q.scale, h_q.scale)}
                 if layer.kind == "gru" else
                 {"out": (Q015 if fn == "tanh" else Q312, 1.0, h_q.scale)})
        for name, (a, b, o) in mults.items():
            p[f"{name}_mult"], p[f"{name}_shift"] = quantize_multiplier(mul_multiplier(a, b, o))
        for name, v in (("bx", bx), ("bh", bh)):
            arrays[f"{name}{d}"] = np.stack(v).astype(bias_t)   # ranges checked by check_fc_limits
        arrays[f"w{d}"], arrays[f"r{d}"] = np.stack(W), np.stack(R)
        if all(np.ndim(v) == 0 for v in scales["w_scale"] + scales["r_scale"]):   # per-tensor codes
            p.update({k: [float(np.float32(v)) for v in vs] for k, vs in scales.items()})
        dirs.append(p)
    return QLayer(layer.name, layer.kind, ctx.scheme, layer.input_size, layer.output_size, act, act,
                  causal=layer.causal, in_q=in_q, out_q=h_q, ir=layer, arrays=arrays,
                  attrs={"direction": layer.direction, "hidden_size": layer.hidden_size, "act": act,
                         "zp_in": in_q.zero_point, "zp_h": h_q.zero_point, "activation": fn,
                         "linear_before_reset": bool(layer.linear_before_reset), "dirs": dirs})


@validator("gru", family="tflite-int")
def validate_gru_int(q, c, **weights) -> None:
    _int_checks.recurrent(q, c, 3, ("rh", "rb", "omz", "zh"), **weights)
    c.choice(q.attrs, "activation", ["tanh"])
    c.choice(q.attrs, "linear_before_reset", [True, False])


@validator("rnn", family="tflite-int")
def validate_rnn_int(q, c, **weights) -> None:
    _int_checks.recurrent(q, c, 1, ("out",), **weights)
    c.choice(q.attrs, "activation", ["tanh", "relu"])


@state_codec("gru", family="tflite-int")
@state_codec("rnn", family="tflite-int")
def state_codec_gru_rnn_int(q, role, values, stored):
    """h in the layer's output quantization."""
    return quantize_array(values, q.out_q) if stored else dequantize_array(values, q.out_q)
