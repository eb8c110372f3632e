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
from ..layercode import LayerCode
from ._cmsis_nn_common import s8_left_shift_may_overflow, s16_partial_sums_may_overflow

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


def _definitions(q, ctx, per_tensor: bool) -> list[str]:
    act = q.attrs["act"]
    n_in, n_out = q.in_size, q.out_size
    bias_t = "int32_t" if act == "int8" else "int64_t"
    defs = [ctx.array("int8_t", "weight", q.arrays["weight"], align=4),
            ctx.array(bias_t, "bias", q.arrays["bias"], per_line=8)]
    if per_tensor:
        quant = (f"static const cmsis_nn_per_tensor_quant_params {ctx.sym('quant')} = "
                 f"{{{int(q.arrays['mult'][0])}, {int(q.arrays['shift'][0])}}};")
    else:
        defs += [ctx.array("int32_t", "mult", q.arrays["mult"], per_line=8),
                 ctx.array("int32_t", "shift", q.arrays["shift"], per_line=16)]
        # CMSIS-NN declares these pointers non-const but only reads through them
        quant = (f"static const cmsis_nn_per_channel_quant_params {ctx.sym('quant')} = "
                 f"{{(int32_t *){ctx.sym('mult')}, (int32_t *){ctx.sym('shift')}}};")
    defs += [f"/* input offset 0: the input zero point is folded into the bias */\n"
             f"static const cmsis_nn_fc_params {ctx.sym('fc')} = {{\n"
             f"    .input_offset = 0, .filter_offset = 0, .output_offset = {q.attrs['zp_out']},\n"
             f"    .activation = {{.min = {q.attrs['act_min']}, .max = {q.attrs['act_max']}}},\n}};",
             quant,
             f"static const cmsis_nn_dims {ctx.sym('in_dims')} = {{1, 1, 1, {n_in}}};",
             f"static const cmsis_nn_dims {ctx.sym('filter_dims')} = {{{n_in}, 1, 1, {n_out}}};",
             f"static const cmsis_nn_dims {ctx.sym('bias_dims')} = {{1, 1, 1, {n_out}}};",
             f"static const cmsis_nn_dims {ctx.sym('out_dims')} = {{1, 1, 1, {n_out}}};"]
    return defs


def _function(q, ctx, fn: str) -> str:
    act_t = "int8_t" if q.attrs["act"] == "int8" else "int16_t"
    sym = ctx.sym
    return (f"/* y = dense(x) through CMSIS-NN; ctx.buf carries the kernel sums its Helium path reads */\n"
            f"static void {sym('cmsis_fc')}(const {act_t} *x, {act_t} *y)\n{{\n"
            f"    cmsis_nn_context ctx;\n"
            f"    ctx.buf = (void *){sym('bias')}; /* read only */\n"
            f"    ctx.size = (int32_t)sizeof({sym('bias')});\n"
            f"    (void){fn}(&ctx, &{sym('fc')}, &{sym('quant')},\n"
            f"        &{sym('in_dims')}, x, &{sym('filter_dims')}, {sym('weight')},\n"
            f"        &{sym('bias_dims')}, {sym('bias')}, &{sym('out_dims')}, y);\n}}")


@emitter("dense", family="tflite-int", backend="cmsis-nn", declines=_declines)
def emit_dense_cmsis_nn(q, ctx) -> LayerCode:
    act = q.attrs["act"]
    per_tensor = _per_tensor(q)
    if act == "int8":
        fn = "arm_fully_connected_s8" if per_tensor else "arm_fully_connected_per_channel_s8"
    else:
        fn = "arm_fully_connected_s16"
    code = LayerCode(kernels=set(), external_sources={("cmsis-nn", s) for s in SOURCES[fn]}, external_headers={"arm_nnfunctions.h"},
                     comment=f"integer dense ({q.scheme}) through CMSIS-NN {fn}, {q.in_size} -> {q.out_size}")
    code.weights = _definitions(q, ctx, per_tensor)
    code.functions.append(_function(q, ctx, fn))
    code.step = f"{ctx.sym('cmsis_fc')}(in, out);"
    return code
