"""Float 'quantizers' for the non-recurrent layers: they only wrap the IR layer."""
from __future__ import annotations

from ..qmodel import QLayer
from ..manifest_check import check_float_layer
from ..registry import quantizer, validator


@quantizer("dense", family="float")
@quantizer("activation", family="float")
@quantizer("embedding", family="float")
@quantizer("last_step", family="float")
def quantize_glue_float(layer, ctx) -> QLayer:
    in_dtype = "int32" if layer.kind == "embedding" else "float32"
    return QLayer(layer.name, layer.kind, "float", layer.input_size, layer.output_size,
                  in_dtype, "float32", causal=layer.causal, ir=layer)


@validator("dense", family="float")
@validator("activation", family="float")
@validator("embedding", family="float")
@validator("last_step", family="float")
def validate_glue_float(q, c) -> None:
    want_in = "int32" if q.kind == "embedding" else "float32"
    if q.in_dtype != want_in or q.out_dtype != "float32" or getattr(q.ir, "kind", None) != q.kind:
        c.fail(f"a float {q.kind} layer takes {want_in} and gives float32")
    check_float_layer(q, c)
