"""C for the integer LSTM that calls CMSIS-NN (rnnc compile --kernels cmsis-nn).

Each direction becomes a const cmsis_nn_lstm_params with CMSIS-NN's precomputed effective
biases (bias - zero_point * rowsum(W), the same numbers as the simulator's bx/bh), plain
row-major int8 weights per gate, and one call of arm_lstm_unidirectional_s8/_s16 per time
step on the caller's state (hidden_state/cell_state buffers), so the streaming step API and
the whole-sequence API behave exactly like rnnc's own kernels. Numerics: the simulator's
'cmsis-nn' flavour (codegen/sim/lstm_int.py).
"""
from __future__ import annotations

import numpy as np

from ...registry import emitter
from ..layercode import Buffer, LayerCode
from ._cmsis_nn_common import s16_partial_sums_may_overflow
from ._rnn_int_common import KIND, sequence_body

#: CMSIS-NN sources an integer LSTM needs, relative to the checkout (CMSIS_NN_PATH)
SOURCES = {
    "s8": ["Source/LSTMFunctions/arm_lstm_unidirectional_s8.c",
           "Source/NNSupportFunctions/arm_nn_lstm_step_s8.c",
           "Source/NNSupportFunctions/arm_nn_lstm_calculate_gate_s8_s16.c",
           "Source/NNSupportFunctions/arm_nn_vec_mat_mul_result_acc_s8_s16.c",
           "Source/BasicMathFunctions/arm_elementwise_mul_s16_s8.c"],
    "s16": ["Source/LSTMFunctions/arm_lstm_unidirectional_s16.c",
            "Source/NNSupportFunctions/arm_nn_lstm_step_s16.c",
            "Source/NNSupportFunctions/arm_nn_lstm_calculate_gate_s16.c",
            "Source/NNSupportFunctions/arm_nn_vec_mat_mul_result_acc_s16.c",
            "Source/BasicMathFunctions/arm_elementwise_mul_s16_batch_offset.c"],
    "common": ["Source/BasicMathFunctions/arm_elementwise_mul_s16.c",
               "Source/BasicMathFunctions/arm_elementwise_mul_acc_s16.c",
               "Source/ActivationFunctions/arm_nn_activation_s16.c",
               "Source/NNSupportFunctions/arm_nntables.c"],
}

GATES = (("input_gate", 0, "ARM_SIGMOID"), ("forget_gate", 1, "ARM_SIGMOID"),
         ("cell_gate", 2, "ARM_TANH"), ("output_gate", 3, "ARM_SIGMOID"))

def _declines(q) -> str | None:
    """int16x8 layers whose accumulators could overflow CMSIS-NN's int32 partial sums keep
    rnnc's kernels (CMSIS-NN would wrap where TFLM and rnnc do not)."""
    if q.attrs["act"] != "int16":
        return None
    for d in range(len(q.attrs["dirs"])):
        for side, w, b in (("input", "w", "bx"), ("recurrent", "r", "bh")):
            if s16_partial_sums_may_overflow(q.arrays[f"{w}{d}"], q.arrays[f"{b}{d}"]):
                return (f"CMSIS-NN's int16 LSTM could overflow its int32 partial sums on the {side} weights "
                        "(bias + 32768 * sum|w| >= 2^31)")
    return None


def _gate(ctx, q, d: int, name: str, g: int, act: str) -> str:
    a = q.attrs["dirs"][d]
    H, In = q.attrs["hidden_size"], q.in_size
    w, r, bx, bh = (ctx.sym(f"{k}{d}") for k in ("w", "r", "bx", "bh"))
    return (f"    .{name} = {{\n"
            f"        .input_multiplier = {a['in_mult'][g]}, .input_shift = {a['in_shift'][g]},\n"
            f"        .input_weights = {w} + {g * H * In}, .input_effective_bias = {bx} + {g * H},\n"
            f"        .hidden_multiplier = {a['rec_mult'][g]}, .hidden_shift = {a['rec_shift'][g]},\n"
            f"        .hidden_weights = {r} + {g * H * H}, .hidden_effective_bias = {bh} + {g * H},\n"
            f"        .bias = 0, .activation_type = {act},\n    }},")


def _params(q, ctx, d: int) -> str:
    a = q.attrs["dirs"][d]
    H, In = q.attrs["hidden_size"], q.in_size
    gates = "\n".join(_gate(ctx, q, d, name, g, act) for name, g, act in GATES)
    return (f"/* direction {d}: one time step per call, batch 1, on the caller's state */\n"
            f"static const cmsis_nn_lstm_params {ctx.sym(f'params{d}')} = {{\n"
            f"    .time_major = 1, .batch_size = 1, .time_steps = 1,\n"
            f"    .input_size = {In}, .hidden_size = {H},\n"
            f"    .input_offset = {-int(q.attrs['zp_in'])},\n"
            f"    .forget_to_cell_multiplier = {a['fc_mult']}, .forget_to_cell_shift = {a['fc_shift']},\n"
            f"    .input_to_cell_multiplier = {a['ig_mult']}, .input_to_cell_shift = {a['ig_shift']},\n"
            f"    .cell_clip = {a['cell_clip']}, .cell_scale_power = {a['tanh_shift'] - 12},\n"
            f"    .output_multiplier = {a['h_mult']}, .output_shift = {a['h_shift']},\n"
            f"    .output_offset = {q.attrs['zp_h']},\n{gates}\n}};")


def _arrays(q, ctx, d: int, bias_t: str) -> list[str]:
    w, r = q.arrays[f"w{d}"], q.arrays[f"r{d}"]
    bx, bh = q.arrays[f"bx{d}"].astype(np.int64), q.arrays[f"bh{d}"].astype(np.int64)
    return [ctx.array("int8_t", f"w{d}", w, align=4), ctx.array("int8_t", f"r{d}", r, align=4),
            ctx.array(bias_t, f"bx{d}", bx, per_line=8), ctx.array(bias_t, f"bh{d}", bh, per_line=8)]


def _step_function(fn: str, ctx, act_t: str, H: int) -> str:
    """One time step of one direction on the given state (CMSIS-NN's scratch is the layer's)."""
    return (f"/* one step: y = h_new; h and c are read and updated in place */\n"
            f"static void {ctx.sym('cmsis_step')}(const cmsis_nn_lstm_params *params, const {act_t} *x, "
            f"{act_t} *y, {act_t} *h, int16_t *c)\n{{\n"
            f"    cmsis_nn_lstm_context buffers;\n"
            f"    buffers.temp1 = {ctx.sym('scratch')};\n"
            f"    buffers.temp2 = {ctx.sym('scratch')} + {H};\n"
            f"    buffers.cell_state = c;\n    buffers.hidden_state = h;\n"
            f"    (void){fn}(x, y, params, &buffers);\n}}")


def _call(ctx, d: int, x: str, y: str, h: str, c: str) -> str:
    return f"{ctx.sym('cmsis_step')}(&{ctx.sym(f'params{d}')}, {x}, {y}, {h}, {c})"


@emitter("lstm", family="tflite-int", backend="cmsis-nn", declines=_declines)
def emit_lstm_cmsis_nn(q, ctx) -> LayerCode:
    suffix, act_t, bias_t = KIND[q.attrs["act"]]
    H = q.attrs["hidden_size"]
    fn = f"arm_lstm_unidirectional_{suffix}"
    code = LayerCode(kernels=set(), external_sources={("cmsis-nn", s) for s in SOURCES[suffix] + SOURCES["common"]},
                     external_headers={"arm_nnfunctions.h"},
                     comment=f"integer LSTM ({q.scheme}) through CMSIS-NN {fn}, {q.attrs['direction']}, hidden {H}")
    for d in range(len(q.attrs["dirs"])):
        code.weights += _arrays(q, ctx, d, bias_t) + [_params(q, ctx, d)]
    code.scratch.append(Buffer("int16_t", "scratch", 2 * H, "CMSIS-NN temp1 and temp2 (gates)"))
    code.functions.append(_step_function(fn, ctx, act_t, H))
    zp = q.attrs["zp_h"]
    if q.causal:
        code.state += [Buffer(act_t, "h", H, "hidden state"), Buffer("int16_t", "c", H, "cell state")]
        code.reset = (f"{{\n    int32_t j;\n    for (j = 0; j < {H}; j++) {{\n"
                      f"        {ctx.state('h')}[j] = {zp};\n        {ctx.state('c')}[j] = 0;\n    }}\n}}")
        code.step = _call(ctx, 0, "in", "out", ctx.state("h"), ctx.state("c")) + ";"
        return code
    code.scratch += [Buffer(act_t, "h", H, "hidden state of the running direction"),
                     Buffer("int16_t", "c", H, "cell state of the running direction"),
                     Buffer(act_t, "y", H, "output of one step (CMSIS-NN copies it to h)")]
    h, c, y = ctx.sym("h"), ctx.sym("c"), ctx.sym("y")
    code.sequence = sequence_body(q, ctx, [(h, str(zp)), (c, "0")],
                                  lambda d, x: _call(ctx, d, x, y, h, c))
    return code
