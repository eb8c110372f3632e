"""C for the integer non-recurrent layers: dense (TFLM FULLY_CONNECTED), relu, embedding."""
from __future__ import annotations

from ...registry import emitter
from ..layercode import LayerCode

FC = {"int8": ("rnnc_fc_s8", "int32_t"), "int16": ("rnnc_fc_s16", "int64_t")}
CTYPE = {"int8": "int8_t", "int16": "int16_t"}


@emitter("dense", family="tflite-int")
def emit_dense_int(q, ctx) -> LayerCode:
    kernel, bias_t = FC[q.attrs["act"]]
    code = LayerCode(kernels={kernel, "rnnc_requantize"}, comment="TFLM FULLY_CONNECTED arithmetic")
    code.weights = [ctx.array("int8_t", "weight", q.arrays["weight"]),
                    ctx.array(bias_t, "bias", q.arrays["bias"], per_line=8),
                    ctx.array("int32_t", "mult", q.arrays["mult"], per_line=8),
                    ctx.array("int32_t", "shift", q.arrays["shift"], per_line=16),
                    f"static const {kernel}_params_t {ctx.sym('params')} = {{\n"
                    f"    {q.in_size}, {q.out_size}, {ctx.sym('weight')}, {ctx.sym('bias')},\n"
                    f"    {ctx.sym('mult')}, {ctx.sym('shift')}, {q.attrs['zp_out']}, "
                    f"{q.attrs['act_min']}, {q.attrs['act_max']}\n}};"]
    code.step = f"{kernel}(&{ctx.sym('params')}, in, out);"
    return code


@emitter("activation", family="tflite-int")
def emit_activation_int(q, ctx) -> LayerCode:
    n = q.out_size
    if q.attrs["function"] == "identity":
        code = LayerCode(comment="fused into the previous layer's clamp")
        code.step = f"int32_t i;\nfor (i = 0; i < {n}; i++) {{\n    out[i] = in[i];\n}}"
        return code
    a = q.attrs
    sfx = "s8" if a["act"] == "int8" else "s16"
    if a["function"] in ("sigmoid", "tanh"):
        code = LayerCode(kernels={f"rnnc_act_lut_{sfx}", "rnnc_act_lut_s8", "rnnc_sigmoid_s16", "rnnc_tanh_s16",
                                  "rnnc_sigmoid_table", "rnnc_requantize"},
                         comment=f"{a['function']} through the int16 LUT")
        code.weights = [f"static const rnnc_act_lut_params_t {ctx.sym('params')} = {{\n"
                        f"    {int(a['function'] == 'tanh')}, {a['in_zp']}, {a['in_mult']}, {a['in_shift']},\n"
                        f"    {a['out_mult']}, {a['out_shift']}, {a['out_zp']}\n}};"]
        code.step = f"rnnc_act_lut_{sfx}(&{ctx.sym('params')}, in, out, {n});"
        return code
    if a["function"] == "softmax":
        table = q.arrays["exp_table"]
        code = LayerCode(kernels={f"rnnc_softmax_{sfx}", "rnnc_softmax_s8", "rnnc_requantize"},
                         comment="softmax: exp table, rounded integer division")
        code.weights = [ctx.array("int32_t", "exp_table", table, per_line=8),
                        f"static const rnnc_softmax_params_t {ctx.sym('params')} = {{\n"
                        f"    {ctx.sym('exp_table')}, {table.size}, {a['step_mult']}, {a['step_shift']}, "
                        f"{a['out_one']}, {a['out_zp']}\n}};"]
        code.step = f"rnnc_softmax_{sfx}(&{ctx.sym('params')}, in, out, {n});"
        return code
    code = LayerCode(comment="relu: clamp at the zero point")
    low = q.attrs["low"]
    code.step = f"int32_t i;\nfor (i = 0; i < {n}; i++) {{\n    out[i] = in[i] > {low} ? in[i] : {low};\n}}"
    return code


@emitter("embedding", family="tflite-int")
def emit_embedding_int(q, ctx) -> LayerCode:
    table = q.arrays["table"]
    vocab, dim = table.shape
    code = LayerCode(comment=f"token id -> row of a {vocab} x {dim} table")
    code.weights = [ctx.array(CTYPE[q.out_dtype], "table", table)]
    code.step = (f"int32_t i;\nint32_t id = in[0];\n"
                 f"/* Out-of-range ids map to row 0 rather than reading outside the table. */\n"
                 f"if (id < 0 || id >= {vocab}) {{\n    id = 0;\n}}\n"
                 f"for (i = 0; i < {dim}; i++) {{\n    out[i] = {ctx.sym('table')}[id * {dim} + i];\n}}")
    return code
