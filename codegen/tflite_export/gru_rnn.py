"""The int16x8 GRU and simple RNN as TFLite primitive operators, unrolled over the file's steps.

docs/numerics-gru-rnn.md defines both from FULLY_CONNECTED to int16 at Q3.12, ADD, LOGISTIC,
TANH, MUL with explicit output scales, and a subtraction from one; TFLite Micro's int16 kernels
compute exactly those numbers (tests/test_export_tflite.py). The input FCs run once over the
whole sequence; each step then slices its input terms, runs the recurrent FCs on h and the
element-wise operators, and the steps' h are concatenated in time order (a backward direction
simply walks the steps from the last). Every Invoke starts from h = 0: no TFLite operator writes
a variable tensor from an unrolled recurrence. For the NPU glue (ExportContext.carry_state) a causal
direction reads its initial h from a variable tensor instead, which the glue fills with the
caller's state (the interpreter's reset leaves it 0, so the file computes the same), and its last
step's h is an extra graph output that the glue copies back. int8 layers are refused: TFLite Micro has no
FULLY_CONNECTED from int8 to int16, the first operator of the specification.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from ..fixedpoint import mul_multiplier, quantize_multiplier
from ..quant.common import fc_multiplier
from ..registry import tflite_exporter
from . import ExportContext, quant
from .sequence import concat_many, slice_step
from .writer import Quant, empty_options, schema

Q312, Q015, ONE_Q14 = Quant([2.0 ** -12], [0]), Quant([2.0 ** -15], [0]), Quant([2.0 ** -14], [0])


@tflite_exporter("gru", "int8")
@tflite_exporter("rnn", "int8")
def refuse_int8_gru_rnn(q, ctx: ExportContext, x: int) -> int:
    raise UnsupportedError(f"an int8 {q.kind.upper()} cannot be written for TFLite Micro: its specification starts "
                           "with FULLY_CONNECTED from int8 to int16, which TFLite Micro does not run; "
                           "compile it with --scheme int16x8 (or --layer-scheme) to export it")


@tflite_exporter("gru", "int16x8")
@tflite_exporter("rnn", "int16x8")
def export_gru_rnn(q, ctx: ExportContext, x: int) -> int:
    outs = [_direction(q, ctx, x, d) for d in range(len(q.attrs["dirs"]))]
    return outs[0] if len(outs) == 1 else concat_many(ctx, outs, 2, f"{q.name}_output", quant(q.out_q))


def _direction(q, ctx: ExportContext, x: int, d: int) -> int:
    w = ctx.writer
    p = q.attrs["dirs"][d]
    _check_multipliers(q, p)
    T = w.tensors[x].shape[1]
    H = q.attrs["hidden_size"]
    gates = "zrh" if q.kind == "gru" else "h"
    name = f"{q.name}_d{d}"
    xs = {}
    for k, g in enumerate(gates):        # the input terms of every step at once: (1, T, H) Q3.12
        whole = _fc(ctx, x, q.arrays[f"w{d}"][k], p["w_scale"][k], q.arrays[f"bx{d}"][k], f"{name}_x{g}", Q312)
        xs[g] = whole
    causal = d == 0 and q.attrs["direction"] == "forward"
    if ctx.carry_state and causal:
        h = w.tensor(f"{name}_h_state", (1, 1, H), "int16", quant(q.out_q), variable=True)
    else:
        h = w.tensor(f"{name}_h_reset", (1, 1, H), "int16", quant(q.out_q), data=np.zeros((1, 1, H), np.int16))
    one = w.tensor(f"{name}_one", (1, 1, 1), "int16", ONE_Q14, data=np.array([[[16384]]], np.int16)) \
        if q.kind == "gru" else None
    steps = range(T - 1, -1, -1) if q.attrs["direction"] == "reverse" or d == 1 else range(T)
    hs = {}
    for t in steps:
        xt = {g: slice_step(ctx, xs[g], t, f"{name}_t{t}_x{g}") for g in gates}
        s = f"{name}_t{t}"
        h = _gru_step(q, ctx, p, d, xt, h, one, s) if q.kind == "gru" else _rnn_step(q, ctx, p, d, xt["h"], h, s)
        hs[t] = h
    if ctx.carry_state and causal:
        ctx.state_outputs.append(w.rename(h, f"{name}_h_final"))
    return concat_many(ctx, [hs[t] for t in range(T)], 1, f"{name}_output", quant(q.out_q))


def _gru_step(q, ctx, p, d, xt, h, one, s):
    w, hq = ctx.writer, quant(q.out_q)
    R, bh, rs = q.arrays[f"r{d}"], q.arrays[f"bh{d}"], p["r_scale"]
    z, r = (_unary(ctx, "LOGISTIC", _add(ctx, xt[g], _fc(ctx, h, R[k], rs[k], bh[k], f"{s}_h{g}", Q312),
                                         f"{s}_pre{g}", Q312), f"{s}_{g}", Q015) for k, g in enumerate("zr"))
    if q.attrs["linear_before_reset"]:
        b = _fc(ctx, h, R[2], rs[2], bh[2], f"{s}_hh", Q312)
        pre_n = _add(ctx, xt["h"], _mul(ctx, r, b, f"{s}_rb", Q312), f"{s}_pren", Q312)
    else:
        rh = _mul(ctx, r, h, f"{s}_rh", hq)
        pre_n = _add(ctx, xt["h"], _fc(ctx, rh, R[2], rs[2], bh[2], f"{s}_hh", Q312), f"{s}_pren", Q312)
    n = _unary(ctx, "TANH", pre_n, f"{s}_n", Q015)
    omz = w.tensor(f"{s}_one_minus_z", w.tensors[z].shape, "int16", Q015)
    w.op("SUB", [one, z], [omz], empty_options("SubOptions"))   # 32768 - z: exact, z >= 11
    t1 = _mul(ctx, omz, n, f"{s}_t1", hq)
    t2 = _mul(ctx, z, h, f"{s}_t2", hq)
    return _add(ctx, t1, t2, f"{s}_h", hq)


def _rnn_step(q, ctx, p, d, xt, h, s):
    hq = quant(q.out_q)
    pre = _add(ctx, xt, _fc(ctx, h, q.arrays[f"r{d}"][0], p["r_scale"][0], q.arrays[f"bh{d}"][0], f"{s}_hh", Q312),
               f"{s}_pre", Q312)
    if q.attrs["activation"] == "tanh":
        return _unary(ctx, "QUANTIZE", _unary(ctx, "TANH", pre, f"{s}_tanh", Q015), f"{s}_h", hq)
    # relu: max(MBQM(pre), 0) = MBQM(max(pre, 0)) with the zero point 0 of int16
    return _unary(ctx, "RELU", _unary(ctx, "QUANTIZE", pre, f"{s}_scaled", hq), f"{s}_h", hq)


def _check_multipliers(q, p) -> None:
    """Multipliers from the float32 scales the file stores, as the quantizer derives them."""
    if "w_scale" not in p:
        raise UnsupportedError("the manifest has no per-gate weight scales (compiled before .tflite export "
                               "existed); compile the model again, then export")
    f32 = lambda v: float(np.float32(v))   # noqa: E731
    s_x, s_h = f32(q.in_q.scale), f32(q.out_q.scale)
    derived = {"in": [fc_multiplier(s_x, f32(v), 2.0 ** -12) for v in p["w_scale"]],
               "rec": [fc_multiplier(s_h, f32(v), 2.0 ** -12) for v in p["r_scale"]]}
    for side, pairs in derived.items():
        if [m for m, _ in pairs] != list(p[f"{side}_mult"]) or [s for _, s in pairs] != list(p[f"{side}_shift"]):
            raise UnsupportedError(f"the interpreter would derive other {side} multipliers from the float32 "
                                   "scales a .tflite stores; compile the model again, then export")
    Q12, Q15 = 2.0 ** -12, 2.0 ** -15
    named = ({"rh": (Q15, s_h, s_h), "rb": (Q15, Q12, Q12), "omz": (Q15, Q15, s_h), "zh": (Q15, s_h, s_h)}
             if q.kind == "gru" else {"out": (Q15 if q.attrs["activation"] == "tanh" else Q12, 1.0, s_h)})
    for key, (a, b, o) in named.items():
        if quantize_multiplier(mul_multiplier(a, b, o)) != (p[f"{key}_mult"], p[f"{key}_shift"]):
            raise UnsupportedError(f"the interpreter would derive another {key} multiplier from the float32 "
                                   "scales a .tflite stores; compile the model again, then export")


def _fc(ctx, x, W, w_scale, bias, name, out_q) -> int:
    """FULLY_CONNECTED 16x8 (int64 bias) to int16, keeping the (1, T, F) shape."""
    w = ctx.writer
    s_bias = float(np.float32(w.tensors[x].quant.scales[0]) * np.float32(w_scale))
    wt = w.tensor(f"{name}_weights", W.shape, "int8", Quant([w_scale], [0]), data=np.ascontiguousarray(W, np.int8))
    bt = w.tensor(f"{name}_bias", (W.shape[0],), "int64", Quant([s_bias], [0]), data=np.asarray(bias, np.int64))
    y = w.tensor(name, w.tensors[x].shape[:-1] + (W.shape[0],), "int16", out_q)

    def options(b):
        O = schema("FullyConnectedOptions")
        O.FullyConnectedOptionsStart(b)
        O.FullyConnectedOptionsAddKeepNumDims(b, True)
        return O.FullyConnectedOptionsEnd(b)
    w.op("FULLY_CONNECTED", [x, wt, bt], [y], ("FullyConnectedOptions", options))
    return y


def _binary(ctx, op, a, b, name, out_q) -> int:
    w = ctx.writer
    y = w.tensor(name, w.tensors[a].shape, "int16", out_q)
    w.op(op, [a, b], [y], empty_options(f"{op.title()}Options"))
    return y


def _add(ctx, a, b, name, out_q) -> int:
    return _binary(ctx, "ADD", a, b, name, out_q)


def _mul(ctx, a, b, name, out_q) -> int:
    return _binary(ctx, "MUL", a, b, name, out_q)


def _unary(ctx, op, a, name, out_q) -> int:
    w = ctx.writer
    y = w.tensor(name, w.tensors[a].shape, "int16", out_q)
    w.op(op, [a], [y])
    return y
