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
from ...schemes import get_scheme
from ..layercode import Buffer, LayerCode
from ._cmsis_nn_common import s16_partial_sums_may_overflow
from ._rnn_int_common import TEMPLATE as RECURRENT

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

TEMPLATE = "layers/cmsis_nn.c.j2"

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


def _arrays(q, ctx, d: int, bias_t: str) -> list:
    w, r = q.arrays[f"w{d}"], q.arrays[f"r{d}"]
    bx, bh = q.arrays[f"bx{d}"].astype(np.int64), q.arrays[f"bh{d}"].astype(np.int64)
    return [ctx.array("int8_t", f"w{d}", w, align=4), ctx.array("int8_t", f"r{d}", r, align=4),
            ctx.array(bias_t, f"bx{d}", bx, per_line=8), ctx.array(bias_t, f"bh{d}", bh, per_line=8)]


@emitter("lstm", family="tflite-int", backend="cmsis-nn", declines=_declines)
def emit_lstm_cmsis_nn(q, ctx) -> LayerCode:
    s = get_scheme(q.scheme)
    H, zp = q.attrs["hidden_size"], q.attrs["zp_h"]
    fn = f"arm_lstm_unidirectional_{s.kernel_suffix}"
    code = LayerCode(external_sources={("cmsis-nn", p) for p in SOURCES[s.kernel_suffix] + SOURCES["common"]},
                     external_headers={"arm_nnfunctions.h"},
                     comment=f"integer LSTM ({q.scheme}) through CMSIS-NN {fn}, {q.attrs['direction']}, hidden {H}")
    for d, a in enumerate(q.attrs["dirs"]):
        code.weights += _arrays(q, ctx, d, s.bias_ctype) + [ctx.macro(TEMPLATE, "lstm_params", d=d, q=q, a=a)]
    code.scratch.append(Buffer("int16_t", "scratch", 2 * H, "CMSIS-NN temp1 and temp2 (gates)"))
    code.functions.append(ctx.macro(TEMPLATE, "lstm_step_function", fn=fn, act_t=s.act_ctype, hidden=H))
    if q.causal:
        h, c = ctx.state("h"), ctx.state("c")
        code.state += [Buffer(s.act_ctype, "h", H, "hidden state"), Buffer("int16_t", "c", H, "cell state")]
        code.reset = ctx.macro(RECURRENT, "reset", resets=[(h, zp), (c, 0)], hidden=H)
        code.step = ctx.macro(TEMPLATE, "lstm_causal_step", h=h, c=c)
        return code
    code.scratch += [Buffer(s.act_ctype, "h", H, "hidden state of the running direction"),
                     Buffer("int16_t", "c", H, "cell state of the running direction"),
                     Buffer(s.act_ctype, "y", H, "output of one step (CMSIS-NN copies it to h)")]
    h, c, y = ctx.sym("h"), ctx.sym("c"), ctx.sym("y")
    code.sequence = ctx.macro(RECURRENT, "sequence", q=q, step=ctx.sym("cmsis_step"), rest=f"{y}, {h}, {c}", h=h,
                              resets=[(h, zp), (c, 0)])
    return code
