"""Conversion layers between layers of different schemes (mixed precision).

quantize_model inserts one wherever a layer's scheme wants its input in another form than
the previous layer gives; the family of the *receiving* scheme implements it:
- float family, from integers: 'dequantize', y = (float)(q - zp) * scale;
- integer family, from float: 'quantize', q = clamp(zp + round(x / scale)), the scale
  calibrated on the next layer's input (or fixed by a pre-quantized model);
- integer family, from integers of another width or scale: 'requantize',
  q = clamp(zp_out + MBQM(q_in - zp_in, M, S)) with M, S from s_in / s_out (TFLite REQUANTIZE).
The exact arithmetic is in codegen/fixedpoint.py (quantize_f32, dequantize_f32) and
docs/numerics-glue.md; the simulator and the C kernels compute the same numbers.
"""
from __future__ import annotations

from .. import ir
from ..errors import UnsupportedError
from ..fixedpoint import quantize_multiplier
from ..qmodel import QLayer
from ..registry import quantizer, validator
from . import _int_checks
from .common import activation_qparams


@quantizer("convert", family="float")
def quantize_convert_to_float(layer: ir.ConvertLayer, ctx) -> QLayer:
    if ctx.in_q is None or ctx.in_dtype == "float32":
        raise UnsupportedError(f"nothing to dequantize: the input is {ctx.in_dtype}")
    return QLayer(layer.name, "convert", ctx.scheme, layer.size, layer.size, ctx.in_dtype, "float32",
                  in_q=ctx.in_q, ir=layer, attrs={"op": "dequantize"})


@quantizer("convert", family="tflite-int")
def quantize_convert_to_int(layer: ir.ConvertLayer, ctx) -> QLayer:
    act = ctx.act_dtype
    out_q = ctx.next_input_q or activation_qparams(ctx.stats.range("in"), act)
    if out_q.dtype != act:
        raise UnsupportedError(f"the next layer fixes its input as {out_q.dtype}, not {act}")
    if ctx.in_dtype == "float32":
        return QLayer(layer.name, "convert", ctx.scheme, layer.size, layer.size, "float32", act,
                      out_q=out_q, ir=layer, attrs={"op": "quantize"})
    if ctx.in_q is None:
        raise UnsupportedError(f"cannot convert {ctx.in_dtype} without its quantization")
    mult, shift = quantize_multiplier(float(ctx.in_q.scale) / float(out_q.scale))
    return QLayer(layer.name, "convert", ctx.scheme, layer.size, layer.size, ctx.in_dtype, act,
                  in_q=ctx.in_q, out_q=out_q, ir=layer,
                  attrs={"op": "requantize", "mult": mult, "shift": shift})


@validator("convert", family="float")
def validate_convert_to_float(q, c) -> None:
    c.choice(q.attrs, "op", ["dequantize"])
    if q.in_dtype not in _int_checks.ACT or q.out_dtype != "float32" or q.in_q is None:
        c.fail("a dequantization takes quantized integers and gives float32")
    _same_width(q, c)


@validator("convert", family="tflite-int")
def validate_convert_to_int(q, c) -> None:
    op = c.choice(q.attrs, "op", ["quantize", "requantize"])
    if q.out_dtype not in _int_checks.ACT or q.out_q is None:
        c.fail("a conversion into an integer scheme gives quantized integers")
    if op == "quantize" and q.in_dtype != "float32":
        c.fail("a quantization takes float32")
    if op == "requantize":
        if q.in_dtype not in _int_checks.ACT or q.in_q is None:
            c.fail("a requantization takes quantized integers")
        c.int(q.attrs, "mult", *_int_checks.MULT)
        c.int(q.attrs, "shift", *_int_checks.SHIFT8)
    _same_width(q, c)


def _same_width(q, c) -> None:
    if q.in_size != q.out_size or not q.causal:
        c.fail("a conversion keeps its width and runs step by step")
