"""C for the float non-recurrent layers."""
from __future__ import annotations

from ...registry import emitter
from ..layercode import LayerCode


@emitter("dense", family="float")
def emit_dense_float(q, ctx) -> LayerCode:
    layer = q.ir
    code = LayerCode(kernels={"rnnc_fc_f32"}, comment="y = W x + b")
    code.weights = [ctx.array("float", "weight", layer.weight, per_line=8),
                    ctx.array("float", "bias", layer.bias, per_line=8)]
    code.step = (f"rnnc_fc_f32(in, {ctx.sym('weight')}, {ctx.sym('bias')}, out, "
                 f"{q.in_size}, {q.out_size});")
    return code


_ACT_KERNELS = {"relu": "rnnc_relu_f32", "sigmoid": "rnnc_sigmoid_f32", "tanh": "rnnc_tanh_f32",
                "softmax": "rnnc_softmax_f32", "leakyrelu": "rnnc_leakyrelu_f32"}


@emitter("activation", family="float")
def emit_activation_float(q, ctx) -> LayerCode:
    fn = q.ir.function
    k = _ACT_KERNELS[fn]
    code = LayerCode(kernels={"rnnc_activations_f32"}, comment=fn)
    if fn == "leakyrelu":
        alpha = 0.01 if q.ir.alpha is None else q.ir.alpha
        from ..cgen import c_float
        code.step = f"{k}(in, out, {q.out_size}, {c_float(alpha)});"
    else:
        code.step = f"{k}(in, out, {q.out_size});"
    return code


@emitter("embedding", family="float")
def emit_embedding_float(q, ctx) -> LayerCode:
    vocab, dim = q.ir.table.shape
    code = LayerCode(comment=f"token id -> row of a {vocab} x {dim} table")
    code.weights = [ctx.array("float", "table", q.ir.table, per_line=8)]
    code.step = (f"int32_t i;\nint32_t id = in[0];\n"
                 f"/* Out-of-range ids map to row 0 rather than reading outside the table. */\n"
                 f"if (id < 0 || id >= {vocab}) {{\n    id = 0;\n}}\n"
                 f"for (i = 0; i < {dim}; i++) {{\n    out[i] = {ctx.sym('table')}[id * {dim} + i];\n}}")
    return code


@emitter("last_step", family="float")
@emitter("last_step", family="tflite-int")
def emit_last_step(q, ctx) -> LayerCode:
    rw = q.ir.reverse_width if q.ir is not None else q.attrs.get("reverse_width", 0)
    fw = q.out_size - rw
    code = LayerCode(comment="keep the output of the final time step")
    code.sequence = (f"int32_t i;\nfor (i = 0; i < {fw}; i++) {{\n"
                     f"    out[i] = in[(steps - 1) * {q.out_size} + i];\n}}")
    if rw:
        code.sequence += (f"\n/* a backward direction ends at step 0 */\nfor (i = {fw}; i < {q.out_size}; i++) {{\n"
                          f"    out[i] = in[i];\n}}")
    return code
