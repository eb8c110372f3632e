"""Integer LSTM quantization: 'int8' (TFLM 8x8->16) and 'int16x8' (16-bit activations).

Parameters come from the model's own TFLite quantization (`fixed_quant`, taken as-is) or from
calibration (PTQ). The multipliers are derived exactly as TFLM's Prepare derives them
(docs/numerics-lstm.md); the QLayer stores, per direction d:
  arrays  w{d} int8 (4, H, In), r{d} int8 (4, H, H) in gate order i f c o;
          bx{d} effective input bias (4, H) = bias - zp_in * rowsum(W)  (int32; int64 for 16x8)
          bh{d} effective recurrent bias (4, H) = -zp_h * rowsum(R)      (int32)
  attrs   dirs[d]: in_mult/in_shift/rec_mult/rec_shift (4 each), fc/ig/h mult+shift,
          cell_shift (log2 of the cell scale), tanh_shift, cell_clip (quantized, 0 = none),
          w_scale/r_scale (4 each: the per-tensor weight scales, float32 values)
          zp_in, zp_h, act ('int8' | 'int16')
"""
from __future__ import annotations

import math

import numpy as np

from .. import ir
from ..errors import UnsupportedError
from ..fixedpoint import mul_multiplier, quantize_multiplier
from ..qmodel import QLayer
from ..registry import quantizer, state_codec, validator, weight_projector
from . import _int_checks
from .common import (activation_qparams, check_fc_limits, dequantize_array, fc_multiplier, power_of_two_scale,
                     product_scale, int8_per_tensor, project_int8_per_tensor, quantize_array)

GATES = ("i", "f", "c", "o")
GATE_SCALE = 2.0 ** -12     # gate pre-activations, Q3.12
GATE_OUT_SCALE = 2.0 ** -15  # gate outputs, Q0.15


@quantizer("lstm", family="tflite-int")
def quantize_lstm_int(layer: ir.RecurrentLayer, ctx) -> QLayer:
    return quantize_lstm(layer, ctx, _quantize_weights)


def quantize_lstm(layer: ir.RecurrentLayer, ctx, quantize_weights) -> QLayer:
    """The integer LSTM with the gate weights coded by quantize_weights(dp, s_in) -> {gate:
    (W, W_scale, R, R_scale, bias)}: int8 per tensor here, the low-bit coders' exact integer
    levels with one scale per row in quant/lowbit.py."""
    _check_supported(layer)
    act = ctx.act_dtype
    fixed = layer.fixed_quant
    if fixed is not None:
        in_q, h_q = fixed["input"], fixed["output"]
        if fixed.get("output_tensor") not in (None, h_q):
            raise UnsupportedError("the LSTM output tensor and the output state are quantized differently")
        cell_scale = fixed["cell_scale"]
        cell_clip = fixed.get("cell_clip", 0.0)
        dirs_w = [{g: (fixed["weights"][g]["W"], fixed["weights"][g]["W_scale"],
                       fixed["weights"][g]["R"], fixed["weights"][g]["R_scale"],
                       fixed["bias"][g].astype(np.int64)) for g in GATES}]
    else:
        in_q = ctx.in_q
        h_q = activation_qparams(ctx.stats.range("out"), act)
        # never below 2^-43 (a cell that stays at zero), where the int16 tanh input scaling ends
        cell_scale = max(power_of_two_scale(ctx.stats.range("cell").absmax), 2.0 ** -43)
        cell_clip = 0.0
        dirs_w = [quantize_weights(dp, in_q.scale) for dp in layer.dirs]
    if in_q is None or in_q.dtype != act:
        raise UnsupportedError(f"the input of an {ctx.scheme} LSTM must be {act}")
    if act == "int16" and (in_q.zero_point != 0 or h_q.zero_point != 0):
        # TFLM resets int16 state variables to 0, not to the zero point; 16x8 is symmetric
        raise UnsupportedError("int16x8 LSTM activations must be symmetric (zero point 0)")
    arrays, attrs_dirs = {}, []
    for d, w in enumerate(dirs_w):
        a, attrs = _direction_params(w, in_q, h_q, cell_scale, cell_clip, act)
        arrays.update({f"{k}{d}": v for k, v in a.items()})
        attrs_dirs.append(attrs)
    return QLayer(layer.name, "lstm", ctx.scheme, layer.input_size, layer.output_size, act, act,
                  causal=layer.causal, in_q=in_q, out_q=h_q, ir=layer, arrays=arrays,
                  attrs={"direction": layer.direction, "hidden_size": layer.hidden_size,
                         "zp_in": in_q.zero_point, "zp_h": h_q.zero_point, "act": act,
                         "cell_scale": cell_scale, "dirs": attrs_dirs})


def _check_supported(layer: ir.RecurrentLayer) -> None:
    if any(dp.peepholes for dp in layer.dirs):
        raise UnsupportedError("peepholes are not supported by the integer LSTM (TFLM has none)")
    if tuple(a.name for a in layer.activations_for(0)) != ("sigmoid", "tanh", "tanh") or \
            tuple(a.name for a in layer.activations_for(layer.num_directions - 1)) != ("sigmoid", "tanh", "tanh"):
        raise UnsupportedError("the integer LSTM needs the default activations (sigmoid, tanh, tanh)")
    if layer.clip is not None:
        raise UnsupportedError("ONNX 'clip' (of gate pre-activations) has no integer equivalent; "
                               "compile with --scheme float or remove the clip")
    for dp in layer.dirs:
        for v in (dp.initial_h, dp.initial_c):
            if v is not None and np.any(v != 0):
                raise UnsupportedError("a non-zero initial state is not supported by the integer LSTM")


def _quantize_weights(dp: ir.DirectionParams, s_in: float):
    out = {}
    for g in GATES:
        gw = dp.gates[g]
        W, ws = int8_per_tensor(gw.W)
        R, rs = int8_per_tensor(gw.R)
        out[g] = (W, ws, R, rs, lstm_bias(gw, s_in, ws))
    return out


weight_projector("lstm", family="tflite-int")(project_int8_per_tensor)


def lstm_bias(gw, s_in: float, ws) -> np.ndarray:
    """The gate's input and recurrent biases at the input FC's accumulator scale (int32)."""
    b = np.round((gw.Wb.astype(np.float64) + gw.Rb) / product_scale(s_in, ws)).astype(np.int64)
    return np.clip(b, -2 ** 31, 2 ** 31 - 1)


def _direction_params(w, in_q, h_q, cell_scale, cell_clip, act):
    wtype = np.int8 if w[GATES[0]][0].dtype == np.int8 else np.int32   # low-bit levels stay int32
    Ws = np.stack([w[g][0] for g in GATES]).astype(wtype)
    Rs = np.stack([w[g][2] for g in GATES]).astype(wtype)
    bias = np.stack([w[g][4] for g in GATES]).astype(np.int64)
    bx = bias - in_q.zero_point * Ws.astype(np.int64).sum(axis=2)
    bh = -h_q.zero_point * Rs.astype(np.int64).sum(axis=2)
    attrs = {"in_mult": [], "in_shift": [], "rec_mult": [], "rec_shift": [],
             "w_scale": [np.float32(w[g][1]).tolist() for g in GATES],
             "r_scale": [np.float32(w[g][3]).tolist() for g in GATES]}
    for g in GATES:
        for side, s_act, s_w in (("in", in_q.scale, w[g][1]), ("rec", h_q.scale, w[g][3])):
            m, s = fc_multiplier(s_act, s_w, GATE_SCALE)
            attrs[f"{side}_mult"].append(m)
            attrs[f"{side}_shift"].append(s)
    power = int(round(math.log2(cell_scale)))
    for name, real in (("fc", mul_multiplier(GATE_OUT_SCALE, cell_scale, cell_scale)),
                       ("ig", mul_multiplier(GATE_OUT_SCALE, GATE_OUT_SCALE, cell_scale)),
                       ("h", mul_multiplier(GATE_OUT_SCALE, GATE_OUT_SCALE, h_q.scale))):
        attrs[f"{name}_mult"], attrs[f"{name}_shift"] = quantize_multiplier(real)
    attrs["cell_shift"] = power
    attrs["tanh_shift"] = 15 + power - 3
    clip = 0
    if cell_clip and cell_clip > 0:
        # TFLM (lstm_eval_common.cc): the division and the clamp in double, then truncation
        clip = int(min(max(float(np.float32(cell_clip)) / float(np.float32(cell_scale)), -32768.0), 32767.0))
    attrs["cell_clip"] = clip
    for g, name in enumerate(GATES):
        check_fc_limits(Ws[g], bx[g], attrs["in_shift"][g], act, f"input FC of gate '{name}'")
        check_fc_limits(Rs[g], bh[g], attrs["rec_shift"][g], act, f"recurrent FC of gate '{name}'")
    if not -31 <= attrs["tanh_shift"] <= 14:
        raise UnsupportedError(f"the cell scale 2^{power} is outside what the int16 tanh of the cell can take "
                               "(2^-43 to 2^2): the cell state range is unusable")
    for name in ("ig", "h"):
        if attrs[f"{name}_shift"] > 1:
            raise UnsupportedError(f"the {'cell' if name == 'ig' else 'hidden'} scale is at or below 2^-31: "
                                   "TFLM's int32 requantization of the gate products would overflow")
    bias_dtype = np.int32 if act == "int8" else np.int64   # ranges checked by check_fc_limits
    return {"w": Ws, "r": Rs, "bx": bx.astype(bias_dtype), "bh": bh.astype(bias_dtype)}, attrs


@validator("lstm", family="tflite-int")
def validate_lstm_int(q, c, **weights) -> None:
    """Every field the integer LSTM kernels read, in the ranges their arithmetic is defined for
    (`weights`: how the gate weights are held, see _int_checks.recurrent)."""
    _int_checks.recurrent(q, c, 4, ("fc", "ig", "h"), **weights)
    flavour = c.choice(q.attrs, "flavour", ["tflm", "cmsis-nn", "litert"]) if "flavour" in q.attrs else "tflm"
    if flavour == "litert" and (q.attrs["act"] != "int8" or
                                any(not 0 <= 15 + p["cell_shift"] <= 6 for p in q.attrs["dirs"])):
        c.fail("the litert flavour needs int8 activations and a cell scale in 2^-15..2^-9")
    for p in q.attrs["dirs"]:
        c.int(p, "tanh_shift", -31, 14)    # tanh input scaling: 32768 * (3 << shift) stays in int32
        c.int(p, "cell_clip", 0, 32767)
        c.int(p, "cell_shift", -64, 64)
        if p["ig_shift"] > 1 or p["h_shift"] > 1:
            c.fail("gate product shifts above 1 overflow TFLM's int32 requantization")


@state_codec("lstm", family="tflite-int")
def state_codec_lstm_int(q, role, values, stored):
    """h in the layer's output quantization; c in int16 at the cell scale (a power of two)."""
    if role == "h":
        return quantize_array(values, q.out_q) if stored else dequantize_array(values, q.out_q)
    scale = float(q.attrs["cell_scale"])
    if stored:
        v = np.asarray(values, np.float64) / scale
        return np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5), -32768, 32767).astype(np.int16)
    return (np.asarray(values, np.float64) * scale).astype(np.float32)
