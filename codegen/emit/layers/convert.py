"""C for the conversion layers of mixed-precision models (quant/convert.py)."""
from __future__ import annotations

from ...registry import emitter
from ...schemes import DTYPE_SUFFIX
from ..cgen import c_float
from ..layercode import LayerCode


@emitter("convert", family="float")
def emit_dequantize(q, ctx) -> LayerCode:
    sfx = DTYPE_SUFFIX[q.in_dtype]
    code = LayerCode(kernels={f"rnnc_dequantize_{sfx}"},
                     comment=f"dequantize {q.in_dtype} to float (scale {q.in_q.scale:.6g}, zero point {q.in_q.zero_point})")
    code.step = f"rnnc_dequantize_{sfx}(in, out, {q.out_size}, {c_float(q.in_q.scale)}, {q.in_q.zero_point});"
    return code


@emitter("convert", family="tflite-int")
def emit_convert_int(q, ctx) -> LayerCode:
    out_sfx = DTYPE_SUFFIX[q.out_dtype]
    o = q.out_q
    if q.attrs["op"] == "quantize":
        code = LayerCode(kernels={f"rnnc_quantize_{out_sfx}"},
                         comment=f"quantize float to {q.out_dtype} (scale {o.scale:.6g}, zero point {o.zero_point})")
        code.step = f"rnnc_quantize_{out_sfx}(in, out, {q.out_size}, {c_float(o.scale)}, {o.zero_point});"
        return code
    kernel = f"rnnc_requantize_{DTYPE_SUFFIX[q.in_dtype]}_{out_sfx}"
    code = LayerCode(kernels={kernel, "rnnc_requantize"},
                     comment=f"requantize {q.in_dtype} to {q.out_dtype} (scale {o.scale:.6g}, zero point {o.zero_point})")
    code.step = (f"{kernel}(in, out, {q.out_size}, {q.in_q.zero_point}, {q.attrs['mult']}, {q.attrs['shift']}, "
                 f"{o.zero_point});")
    return code
