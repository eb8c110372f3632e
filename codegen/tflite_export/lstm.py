"""The integer LSTM (int8, int16x8) as TFLite's UNIDIRECTIONAL_SEQUENCE_LSTM.

Per direction one fused op with the 24 inputs of the TFLite LSTM (no peepholes, projection or
layer norm: -1), the hidden and cell state as variable tensors, and the five intermediate
tensors the converter writes (four unused float ones and the effective hidden scale, which
Vela reads). A reverse direction is the same op between two REVERSE_V2 on the time axis (the
definition of rnnc's reverse direction on full-length sequences); a bidirectional layer
concatenates both on the feature axis, as its C does.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from ..ir import QuantParams
from ..quant.lstm_int import GATES, _direction_params
from ..registry import tflite_exporter
from . import ExportContext, quant
from .sequence import concat_many, slice_step
from .writer import Quant, concat_options, empty_options

BIAS = {"int8": ("int32", np.int32), "int16": ("int64", np.int64)}
# input indices of the TFLite LSTM (schema: lstm_shared.h)
INPUT_WEIGHTS, RECURRENT_WEIGHTS, GATE_BIAS, OUTPUT_STATE, CELL_STATE, N_INPUTS = 1, 5, 12, 18, 19, 24


@tflite_exporter("lstm", "int8", "int16x8")
def export_lstm(q, ctx: ExportContext, x: int) -> int:
    outs = []
    for d in range(len(q.attrs["dirs"])):
        backward = q.attrs["direction"] == "reverse" or d == 1
        xin = reverse_time(ctx, x, f"{q.name}_d{d}_reversed_input") if backward else x
        y = _lstm_op(q, ctx, d, xin)
        outs.append(reverse_time(ctx, y, f"{q.name}_d{d}_output") if backward else y)
    if len(outs) == 1:
        return outs[0]
    y = ctx.like(x, f"{q.name}_output", q.out_size, q.out_dtype, q.out_q)
    ctx.writer.op("CONCATENATION", outs, [y], concat_options(2))
    return y


def reverse_time(ctx: ExportContext, x: int, name: str) -> int:
    """A (1, T, F) tensor reversed along T: REVERSE_V2, or for NPUs without it (Ethos-U55/U65)
    the T steps sliced and concatenated in reverse order, which Vela places on the NPU."""
    w = ctx.writer
    t = w.tensors[x]
    if ctx.reverse_by_slices:
        steps = [slice_step(ctx, x, k, f"{name}_step{k}") for k in range(t.shape[1] - 1, -1, -1)]
        return concat_many(ctx, steps, 1, name, t.quant)
    axis = w.tensor(f"{name}_axis", (1,), "int32", data=np.array([1], np.int32))
    y = w.tensor(name, t.shape, t.dtype, t.quant)
    w.op("REVERSE_V2", [x, axis], [y], empty_options("ReverseV2Options"))
    return y


def _lstm_op(q, ctx: ExportContext, d: int, x: int) -> int:
    w = ctx.writer
    act = q.attrs["act"]
    H = q.attrs["hidden_size"]
    a = q.attrs["dirs"][d]
    W, R = q.arrays[f"w{d}"], q.arrays[f"r{d}"]
    if W.dtype != np.int8 or R.dtype != np.int8:
        raise UnsupportedError("only int8 gate weights can be written as a TFLite LSTM")
    bias = q.arrays[f"bx{d}"].astype(np.int64) + q.in_q.zero_point * W.astype(np.int64).sum(axis=2)
    clip = a["cell_clip"] * float(q.attrs["cell_scale"])      # exact: the cell scale is a power of two
    _check_interpreter_derives_the_same(q, d, bias, clip)
    bias_type, bias_np = BIAS[act]
    name = f"{q.name}_d{d}"
    inputs = [-1] * N_INPUTS
    inputs[0] = x
    for k, g in enumerate(GATES):
        inputs[INPUT_WEIGHTS + k] = w.tensor(f"{name}_input_to_{g}_weights", W[k].shape, "int8",
                                             Quant([a["w_scale"][k]], [0]), data=W[k])
        inputs[RECURRENT_WEIGHTS + k] = w.tensor(f"{name}_recurrent_to_{g}_weights", R[k].shape, "int8",
                                                 Quant([a["r_scale"][k]], [0]), data=R[k])
        s_bias = float(np.float32(q.in_q.scale) * np.float32(a["w_scale"][k]))
        inputs[GATE_BIAS + k] = w.tensor(f"{name}_{g}_gate_bias", (H,), bias_type, Quant([s_bias], [0]),
                                         data=bias[k].astype(bias_np))
    inputs[OUTPUT_STATE] = w.tensor(f"{name}_output_state", (1, H), act, quant(q.out_q), variable=True)
    inputs[CELL_STATE] = w.tensor(f"{name}_cell_state", (1, H), "int16",
                                  Quant([float(q.attrs["cell_scale"])], [0]), variable=True)
    inter = [w.tensor(f"{name}_input_to_{g}_intermediate", (0,), "float32") for g in ("input", "forget", "cell",
                                                                                       "output")]
    inter.append(w.tensor(f"{name}_effective_hidden_scale_intermediate", (0,), act, quant(q.out_q)))
    y = w.tensor(f"{name}_lstm", (1, w.tensors[x].shape[1], H), act, quant(q.out_q))
    w.op("UNIDIRECTIONAL_SEQUENCE_LSTM", inputs, [y], ("UnidirectionalSequenceLSTMOptions", _lstm_options(clip)),
         intermediates=inter)
    return y


def _check_interpreter_derives_the_same(q, d: int, bias: np.ndarray, clip: float) -> None:
    """The interpreter's Prepare derives multipliers, shifts and the cell clip from the file's
    float32 scales; derive them here from those values and require the compiled ones."""
    a = q.attrs["dirs"][d]
    f32 = lambda v: float(np.float32(v))   # noqa: E731
    in_q = QuantParams(f32(q.in_q.scale), q.in_q.zero_point, q.in_q.dtype)
    h_q = QuantParams(f32(q.out_q.scale), q.out_q.zero_point, q.out_q.dtype)
    weights = {g: (q.arrays[f"w{d}"][k], f32(a["w_scale"][k]), q.arrays[f"r{d}"][k], f32(a["r_scale"][k]), bias[k])
               for k, g in enumerate(GATES)}
    arrays, derived = _direction_params(weights, in_q, h_q, float(q.attrs["cell_scale"]), clip, q.attrs["act"])
    if q.attrs.get("flavour") == "litert":     # LiteRT's Prepare forms the hidden multiplier its own way
        from ..quant.litert import hidden_multiplier
        derived["h_mult"], derived["h_shift"] = hidden_multiplier(h_q.scale)
    differs = [k for k, v in derived.items() if k in a and list(np.ravel(v)) != list(np.ravel(a[k]))]
    differs += [k for k in ("bx", "bh") if not np.array_equal(arrays[k], q.arrays[f"{k}{d}"])]
    if differs:
        raise UnsupportedError(f"direction {d}: the interpreter would derive other {', '.join(differs)} from the "
                               "float32 scales a .tflite stores (the model was compiled by an rnnc that kept "
                               "float64 scales); compile it again, then export")


def _lstm_options(clip: float):
    def build(b):
        from .writer import schema
        O = schema("UnidirectionalSequenceLSTMOptions")
        O.UnidirectionalSequenceLSTMOptionsStart(b)
        O.UnidirectionalSequenceLSTMOptionsAddFusedActivationFunction(b, 4)   # TANH: the cell's
        O.UnidirectionalSequenceLSTMOptionsAddCellClip(b, float(clip))
        O.UnidirectionalSequenceLSTMOptionsAddProjClip(b, 0.0)
        O.UnidirectionalSequenceLSTMOptionsAddTimeMajor(b, False)
        return O.UnidirectionalSequenceLSTMOptionsEnd(b)
    return build
