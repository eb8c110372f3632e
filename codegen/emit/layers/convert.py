"""C for the conversion layers of mixed-precision models (quant/convert.py; fragments in
templates/layers/glue_int.c.j2)."""
from __future__ import annotations

from ...registry import emitter
from ...schemes import DTYPE_SUFFIX
from ..layercode import LayerCode

TEMPLATE = "layers/glue_int.c.j2"


@emitter("convert", family="float")
def emit_dequantize(q, ctx) -> LayerCode:
    sfx, i = DTYPE_SUFFIX[q.in_dtype], q.in_q
    code = LayerCode(kernels={f"rnnc_dequantize_{sfx}"},
                     comment=f"dequantize {q.in_dtype} to float (scale {i.scale:.6g}, zero point {i.zero_point})")
    code.step = ctx.macro(TEMPLATE, "dequantize", sfx=sfx, n=q.out_size, scale=i.scale, zero_point=i.zero_point)
    return code


@emitter("convert", family="tflite-int")
def emit_convert_int(q, ctx) -> LayerCode:
    out_sfx, o = DTYPE_SUFFIX[q.out_dtype], q.out_q
    what = f"{q.out_dtype} (scale {o.scale:.6g}, zero point {o.zero_point})"
    if q.attrs["op"] == "quantize":
        code = LayerCode(kernels={f"rnnc_quantize_{out_sfx}"}, comment=f"quantize float to {what}")
        code.step = ctx.macro(TEMPLATE, "quantize", sfx=out_sfx, n=q.out_size, scale=o.scale, zero_point=o.zero_point)
        return code
    kernel = f"rnnc_requantize_{DTYPE_SUFFIX[q.in_dtype]}_{out_sfx}"
    code = LayerCode(kernels={kernel, "rnnc_requantize"}, comment=f"requantize {q.in_dtype} to {what}")
    code.step = ctx.macro(TEMPLATE, "requantize", kernel=kernel, n=q.out_size, q=q)
    return code
