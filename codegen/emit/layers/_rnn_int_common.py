"""Shared pieces of the integer LSTM / GRU / RNN emitters: which gate FC a layer's weights are
laid out for, and the per-direction const arrays in that layout (GateWeights: int8 here, the
low-bit codes in lowbit.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ...kernel_variants import fc_s8_rows, fc_s8_signed_avx2, fc_s8_signed_inputs
from ...schemes import get_scheme
from ..packing import kernel_arrays, kernel_biases, packed_size

TEMPLATE = "layers/recurrent_int.c.j2"


def weights_fit_signed(q) -> bool:
    """Whether every gate weight of the layer lies in [-127, 127], TFLite's int8 weight range:
    rnnc_fc_s8_s16_b16x4_signed's x86 path needs it (VPSIGNB cannot negate -128). A model from
    elsewhere may hold a -128; its layers keep the +128-offset kernel."""
    return all(int(np.min(q.arrays[f"{m}{d}"])) >= -127 for d in range(len(q.attrs["dirs"])) for m in "wr")


def gate_fc(q, ctx) -> tuple[str, str]:
    """(FC kernel, weight layout) of an integer recurrent layer's gate terms. int8: rnnc's
    16x4 blocks (with signed inputs and plain biases on Arm64 where the weights fit
    rnnc_fc_s8_s16_b16x4_signed: fc_s8_signed_inputs), or plain rows where Helium computes
    them (fc_s8_rows) or the LiteRT flavour's step kernel reads them; int16: plain rows."""
    if get_scheme(q.scheme).kernel_suffix != "s8":
        return "rnnc_fc_s16_s16", "rows"
    if q.attrs.get("flavour") == "litert":          # its step kernel reads the recurrent rows itself
        return "rnnc_fc_s8_s16_rows", "rows"
    if fc_s8_rows(ctx.target, ctx.kernels):
        return "rnnc_fc_s8_s16_rows", "rows"
    if fc_s8_signed_inputs(ctx.target) and weights_fit_signed(q):
        return "rnnc_fc_s8_s16_b16x4_signed", "b16x4_signed"
    return "rnnc_fc_s8_s16_b16x4", "b16x4"


def gate_strides(q, layout: str) -> tuple[int, int]:
    """Elements between consecutive gates' input and recurrent weights."""
    H, In = q.attrs["hidden_size"], q.in_size
    if layout in ("b16x4", "b16x4_signed"):
        return packed_size(H, In), packed_size(H, H)
    return H * In, H * H


def direction_arrays(q, ctx, d: int, layout: str) -> list:
    """Weights and effective biases of direction d, as the step kernel reads them."""
    s = get_scheme(q.scheme)
    w, r, bx, bh = kernel_arrays(q, d, s.kernel_suffix, rows=layout == "rows", offset=layout == "b16x4")
    align = ctx.target.get("weight_align")   # the SIMD loads' width on hosts (target.toml)
    return [ctx.array("int8_t", f"w{d}", w, align=align), ctx.array("int8_t", f"r{d}", r, align=align),
            ctx.array(s.bias_ctype, f"bx{d}", bx, per_line=8), ctx.array(s.bias_ctype, f"bh{d}", bh, per_line=8)]


def signed_bias_arrays(q, ctx, d: int) -> list:
    """The plain effective biases of direction d, for rnnc_fc_s8_s16_b16x4_signed on the x86
    AVX2 level (the weights are those of the offset layout: the same blocks)."""
    bx, bh = kernel_biases(q, d, offset=False)
    return [ctx.array("int32_t", f"bxs{d}", bx, per_line=8), ctx.array("int32_t", f"bhs{d}", bh, per_line=8)]


@dataclass
class GateWeights:
    """How a recurrent layer's gate weights reach its step kernel: the FC kernel that reads
    them, the const definitions of direction d, and what the parameter block says."""
    fc: str                                  # gate FC kernel (rnnc_types.h: rnnc_gate_fc_*_fn)
    definitions: Callable[[int], list]       # d -> ConstArrays and C text, in order
    strides: tuple                           # (input, recurrent) gate strides: numbers or C expressions
    weight_cast: str = ""                    # C cast of the weights' symbol to the params' pointer type
    gate_params: Callable[[dict], dict] = dict   # direction attrs -> the values the params block shows
    kernels: frozenset = frozenset()         # kernel files beyond `fc`
    #: the FC the x86 AVX2 level calls instead, with the plain biases bxs<d> / bhs<d>
    #: (kernels/rnnc_gate_fc_s8.h), or ""
    signed_fc: str = ""
    #: d -> static scratch the weights' descriptors point at (the coded activations); their C
    #: text and the params block then follow the scratch in <prefix>.c instead of _weights.h
    scratch: Callable[[int], list] = lambda d: []

    def place(self, code, d: int, params_block: str) -> None:
        """Add direction d's definitions, scratch and parameter block to a LayerCode."""
        scratch = self.scratch(d)
        code.scratch += scratch
        for item in self.definitions(d) + [params_block]:
            (code.functions if scratch and isinstance(item, str) else code.weights).append(item)


def int8_gate_weights(q, ctx) -> GateWeights:
    """int8 / int16x8 weights: packed 16x4 blocks or plain rows (gate_fc)."""
    fc, layout = gate_fc(q, ctx)
    if fc == "rnnc_fc_s8_s16_b16x4" and fc_s8_signed_avx2(ctx.target, ctx.kernels) and weights_fit_signed(q):
        signed = "rnnc_fc_s8_s16_b16x4_signed"
        return GateWeights(fc, lambda d: direction_arrays(q, ctx, d, layout) + signed_bias_arrays(q, ctx, d),
                           gate_strides(q, layout), signed_fc=signed, kernels=frozenset({signed}))
    return GateWeights(fc, lambda d: direction_arrays(q, ctx, d, layout), gate_strides(q, layout))
