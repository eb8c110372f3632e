"""C for the integer non-recurrent layers: dense (TFLM FULLY_CONNECTED), activations, embedding
(fragments in templates/layers/glue_int.c.j2)."""
from __future__ import annotations

from ...registry import emitter
from ...schemes import get_scheme
from ..layercode import LayerCode

TEMPLATE = "layers/glue_int.c.j2"


@emitter("dense", family="tflite-int")
def emit_dense_int(q, ctx) -> LayerCode:
    s = get_scheme(q.scheme)
    if q.attrs.get("flavour") == "litert":
        code = LayerCode(kernels={"rnnc_fc_s8_fp32"}, comment="LiteRT (XNNPACK) FULLY_CONNECTED arithmetic")
        code.weights = [ctx.array("int8_t", "weight", q.arrays["weight"]),
                        ctx.array("int32_t", "bias", q.arrays["bias"], per_line=8),
                        ctx.array("float", "scale", q.arrays["fp32_scale"], per_line=6),
                        ctx.macro(TEMPLATE, "dense_fp32_params", q=q)]
        code.step = ctx.macro(TEMPLATE, "call", kernel="rnnc_fc_s8_fp32")
        return code
    kernel = f"rnnc_fc_{s.kernel_suffix}"
    code = LayerCode(kernels={kernel, "rnnc_requantize"}, comment="TFLM FULLY_CONNECTED arithmetic")
    code.weights = [ctx.array("int8_t", "weight", q.arrays["weight"]),
                    ctx.array(s.bias_ctype, "bias", q.arrays["bias"], per_line=8),
                    ctx.array("int32_t", "mult", q.arrays["mult"], per_line=8),
                    ctx.array("int32_t", "shift", q.arrays["shift"], per_line=16),
                    ctx.macro(TEMPLATE, "dense_params", sfx=s.kernel_suffix, q=q)]
    code.step = ctx.macro(TEMPLATE, "call", kernel=kernel)
    return code


@emitter("activation", family="tflite-int")
def emit_activation_int(q, ctx) -> LayerCode:
    a, n = q.attrs, q.out_size
    sfx = get_scheme(q.scheme).kernel_suffix
    fn = a["function"]
    if fn == "identity":
        code = LayerCode(comment="fused into the previous layer's clamp")
        code.step = ctx.macro(TEMPLATE, "copy", n=n)
    elif fn in ("sigmoid", "tanh"):
        code = LayerCode(kernels={f"rnnc_act_lut_{sfx}", "rnnc_sigmoid_s16", "rnnc_tanh_s16", "rnnc_sigmoid_table",
                                  "rnnc_requantize"}, comment=f"{fn} through the int16 LUT")
        code.weights = [ctx.macro(TEMPLATE, "act_lut_params", a=a)]
        code.step = ctx.macro(TEMPLATE, "call", kernel=f"rnnc_act_lut_{sfx}", n=n)
    elif fn == "softmax":
        table = q.arrays["exp_table"]
        code = LayerCode(kernels={f"rnnc_softmax_{sfx}", "rnnc_requantize"},
                         comment="softmax: exp table, rounded integer division")
        code.weights = [ctx.array("int32_t", "exp_table", table, per_line=8),
                        ctx.macro(TEMPLATE, "softmax_params", a=a, table_size=table.size)]
        code.step = ctx.macro(TEMPLATE, "call", kernel=f"rnnc_softmax_{sfx}", n=n)
    else:
        code = LayerCode(comment="relu: clamp at the zero point")
        code.step = ctx.macro(TEMPLATE, "relu", n=n, low=a["low"])
    return code


@emitter("embedding", family="tflite-int")
def emit_embedding_int(q, ctx) -> LayerCode:
    table = q.arrays["table"]
    vocab, dim = table.shape
    code = LayerCode(comment=f"token id -> row of a {vocab} x {dim} table")
    code.weights = [ctx.array(get_scheme(q.scheme).act_ctype, "table", table)]
    code.step = ctx.macro(TEMPLATE, "embedding", vocab=vocab, dim=dim)
    return code
