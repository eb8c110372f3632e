"""Quantization schemes as objects: everything about a scheme that more than one module needs.

A scheme fixes how a layer's activations and weights are represented; which arithmetic it
uses is the business of the layer implementations registered for it (codegen/registry.py).
Implementations register per *family*, so every scheme of a family gets them at once:

    register_scheme(Scheme("int16x8", family="tflite-int", act_dtype="int16", weight_bits=8, ...))

is all it takes to add a scheme whose arithmetic an existing family already implements; a new
family registers its scheme(s) here and its quantizer, simulator, emitter and validator for each
layer kind with `family=...`. A family may `extend` another: layer kinds it does not register
itself are served by the other family (the 'lowbit' family codes the recurrent layers' weights in
1-4 bits and keeps the int8 arithmetic of everything else).

>>> get_scheme("int8").act_ctype, get_scheme("int8").value_range
('int8_t', (-128, 127))
>>> get_scheme("int16x8").kernel_suffix, get_scheme("float").is_float
('s16', True)
>>> get_scheme("binary-w2a8").coder_settings, get_scheme("int4").extends
({'coder': 'binary', 'k': 2}, 'tflite-int')
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import RnncError

C_TYPES = {"float32": "float", "int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "int64": "int64_t"}
#: kernel name suffix of each activation dtype (CMSIS-NN style: arm_..._s8, _s16, _f32)
DTYPE_SUFFIX = {"float32": "f32", "int8": "s8", "int16": "s16"}
RANGES = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-2 ** 31, 2 ** 31 - 1)}


@dataclass(frozen=True)
class Scheme:
    name: str            # the --scheme / --layer-scheme value
    family: str          # whose layer implementations serve it ('float', 'tflite-int', ...)
    act_dtype: str       # activations between layers: 'float32' | 'int8' | 'int16'
    weight_format: str   # how weights are stored: 'f32', 'int8-symmetric', ...
    weight_bits: int     # bits per stored weight (coefficients excluded)
    bias_dtype: str      # 'float32' | 'int32' | 'int64'
    kernel_suffix: str   # dtype suffix of its kernels ('f32', 's8', 's16'; CMSIS-NN style)
    description: str
    #: the family whose implementations serve the layer kinds this scheme's own family does
    #: not register (the low-bit schemes code the recurrent weights and keep int8 glue)
    extends: str | None = None
    #: the weight coder's settings (codegen/quant/lowbit_weights.py), e.g. {'coder': 'binary', 'k': 2}
    coder: tuple = ()

    @property
    def coder_settings(self) -> dict:
        return dict(self.coder)

    @property
    def is_float(self) -> bool:
        return self.act_dtype == "float32"

    @property
    def act_ctype(self) -> str:
        return C_TYPES[self.act_dtype]

    @property
    def bias_ctype(self) -> str:
        return C_TYPES[self.bias_dtype]

    @property
    def value_range(self) -> tuple[int, int] | None:
        """(lowest, highest) activation value; None for float."""
        return RANGES.get(self.act_dtype)


SCHEMES: dict[str, Scheme] = {}


def register_scheme(s: Scheme) -> Scheme:
    if s.name in SCHEMES:
        raise RuntimeError(f"scheme '{s.name}' is registered twice")
    SCHEMES[s.name] = s
    return s


def get_scheme(name: str) -> Scheme:
    try:
        return SCHEMES[name]
    except (KeyError, TypeError):
        raise RnncError(f"unknown scheme '{str(name)[:40]}' (available: {', '.join(scheme_names())})") from None


def scheme_names() -> list[str]:
    return sorted(SCHEMES)


register_scheme(Scheme("float", "float", "float32", "f32", 32, "float32", "f32",
                       "float32 everywhere, ONNX semantics"))
register_scheme(Scheme("int8", "tflite-int", "int8", "int8-symmetric", 8, "int32", "s8",
                       "TFLite/TFLM integer arithmetic: int8 activations, int8 weights, int32 biases"))
register_scheme(Scheme("int16x8", "tflite-int", "int16", "int8-symmetric", 8, "int64", "s16",
                       "TFLite/TFLM 16x8: symmetric int16 activations, int8 weights, int64 biases"))

# Low-bit weights, int8 activations (docs/numerics-lowbit.md): the recurrent layers' weights are
# coded in 1-4 bits; their gates, dense layers and glue keep the int8 arithmetic above.
register_scheme(Scheme("int4", "lowbit", "int8", "int4-mmse", 4, "int32", "s8",
                       "int4 weights (MMSE clipping per output channel; --residual adds a second int4 tensor), "
                       "int8 activations", extends="tflite-int", coder=(("coder", "int4"),)))
for _k in (1, 2, 3, 4):
    register_scheme(Scheme(f"binary-w{_k}a8", "lowbit", "int8", f"binary-{_k}", _k, "int32", "s8",
                           f"{_k}-bit alternating binary codes for weights (one integer coefficient set per "
                           "row), int8 activations", extends="tflite-int", coder=(("coder", "binary"), ("k", _k))))
register_scheme(Scheme("ternary-a8", "lowbit", "int8", "ternary", 2, "int32", "s8",
                       "threshold ternary weights (0.7 mean|w| per row), int8 activations", extends="tflite-int",
                       coder=(("coder", "ternary"),)))
# ... and with the gate FCs' inputs coded online at every step (int8 between layers)
for _k in (1, 2, 3, 4):
    register_scheme(Scheme(f"binary-w{_k}a{_k}", "lowbit", "int8", f"binary-{_k}", _k, "int32", "s8",
                           f"{_k}-bit binary codes for weights and, coded at every step, for the gate inputs "
                           "(XOR and popcount kernels)", extends="tflite-int",
                           coder=(("coder", "binary"), ("k", _k), ("act", "binary"), ("act_bits", _k))))
register_scheme(Scheme("ternary", "lowbit", "int8", "ternary", 2, "int32", "s8",
                       "threshold ternary weights and gate inputs (HitNet; popcount kernels)", extends="tflite-int",
                       coder=(("coder", "ternary"), ("act", "ternary"), ("act_bits", 2))))
