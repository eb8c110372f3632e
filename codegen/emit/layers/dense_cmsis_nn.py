"""C for the integer dense layer that calls CMSIS-NN (rnnc compile --kernels cmsis-nn).

int8: arm_fully_connected_s8 (one multiplier for the layer) or arm_fully_connected_per_channel_s8.
The input offset is already folded into rnnc's effective bias (bias - zp_in * rowsum(W)), so
CMSIS-NN gets input_offset 0 and that bias; its Helium path reads per-row "kernel sums" from
ctx.buf instead of the bias, and with input offset 0 those sums are the same numbers, so the
const bias array serves both. int16x8: arm_fully_connected_s16 (int64 bias, CMSIS-NN's own
rounding: the simulator's 'cmsis-nn' flavour). Layers CMSIS-NN cannot compute exactly keep
rnnc's kernels (see _declines).
"""
from __future__ import annotations

import numpy as np

from ...registry import emitter
from ...schemes import get_scheme
from ..layercode import LayerCode
from ._cmsis_nn_common import s8_left_shift_may_overflow, s16_partial_sums_may_overflow

TEMPLATE = "layers/cmsis_nn.c.j2"

#: CMSIS-NN sources of each function, relative to the checkout (CMSIS_NN_PATH)
SOURCES = {
    "arm_fully_connected_s8": ["Source/FullyConnectedFunctions/arm_fully_connected_s8.c",
                               "Source/NNSupportFunctions/arm_nn_vec_mat_mult_t_s8.c"],
    "arm_fully_connected_per_channel_s8": ["Source/FullyConnectedFunctions/arm_fully_connected_per_channel_s8.c",
                                           "Source/NNSupportFunctions/arm_nn_vec_mat_mult_t_per_ch_s8.c"],
    "arm_fully_connected_s16": ["Source/FullyConnectedFunctions/arm_fully_connected_s16.c",
                                "Source/NNSupportFunctions/arm_nn_vec_mat_mult_t_s16.c"],
}


def _per_tensor(q) -> bool:
    return bool(np.all(q.arrays["mult"] == q.arrays["mult"][0]) and np.all(q.arrays["shift"] == q.arrays["shift"][0]))


def _declines(q) -> str | None:
    w, b = q.arrays["weight"], q.arrays["bias"]
    if q.attrs["act"] == "int8":
        if s8_left_shift_may_overflow(w, b, q.arrays["shift"]):
            return "CMSIS-NN's int8 requantization could overflow int32 in its left shift for this layer"
        return None
    if not _per_tensor(q):
        return "CMSIS-NN has no per-channel int16 fully connected kernel"
    if s16_partial_sums_may_overflow(w):
        return "CMSIS-NN's int16 fully connected could overflow its int32 partial sums (32768 * sum|w| >= 2^31)"
    return None


@emitter("dense", family="tflite-int", backend="cmsis-nn", declines=_declines)
def emit_dense_cmsis_nn(q, ctx) -> LayerCode:
    s = get_scheme(q.scheme)
    per_tensor = _per_tensor(q)
    if s.kernel_suffix == "s8":
        fn = "arm_fully_connected_s8" if per_tensor else "arm_fully_connected_per_channel_s8"
    else:
        fn = "arm_fully_connected_s16"
    code = LayerCode(external_sources={("cmsis-nn", p) for p in SOURCES[fn]}, external_headers={"arm_nnfunctions.h"},
                     comment=f"integer dense ({q.scheme}) through CMSIS-NN {fn}, {q.in_size} -> {q.out_size}")
    code.weights = [ctx.array("int8_t", "weight", q.arrays["weight"], align=4),
                    ctx.array(s.bias_ctype, "bias", q.arrays["bias"], per_line=8)]
    if not per_tensor:
        code.weights += [ctx.array("int32_t", "mult", q.arrays["mult"], per_line=8),
                         ctx.array("int32_t", "shift", q.arrays["shift"], per_line=16)]
    code.weights.append(ctx.macro(TEMPLATE, "fc_params", q=q, per_tensor=per_tensor))
    code.functions.append(ctx.macro(TEMPLATE, "fc_function", fn=fn, act_t=s.act_ctype))
    code.step = ctx.macro(TEMPLATE, "fc_step")
    return code
