"""Reference simulators of the conversion layers of mixed-precision models (quant/convert.py)."""
from __future__ import annotations

import numpy as np

from ..fixedpoint import dequantize_f32, multiply_by_quantized_multiplier as mbqm, quantize_f32
from ..quant.common import DTYPE_RANGE
from ..registry import simulator


@simulator("convert", family="float")
def simulate_dequantize(q, x, lengths, stats):
    return dequantize_f32(x, q.in_q.scale, q.in_q.zero_point)


@simulator("convert", family="tflite-int")
def simulate_convert_int(q, x, lengths, stats):
    lo, hi = DTYPE_RANGE[q.out_dtype]
    if q.attrs["op"] == "quantize":
        return quantize_f32(x, q.out_q.scale, q.out_q.zero_point, lo, hi)
    v = mbqm(np.asarray(x, np.int64) - q.in_q.zero_point, q.attrs["mult"], q.attrs["shift"])
    return np.clip(v + q.out_q.zero_point, lo, hi)
