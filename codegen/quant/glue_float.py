"""Float 'quantizers' for the non-recurrent layers: they only wrap the IR layer."""
from __future__ import annotations

from ..qmodel import QLayer
from ..registry import quantizer


@quantizer("dense", "float")
@quantizer("activation", "float")
@quantizer("embedding", "float")
@quantizer("last_step", "float")
def quantize_glue_float(layer, ctx) -> QLayer:
    in_dtype = "int32" if layer.kind == "embedding" else "float32"
    return QLayer(layer.name, layer.kind, "float", layer.input_size, layer.output_size,
                  in_dtype, "float32", causal=layer.causal, ir=layer)
