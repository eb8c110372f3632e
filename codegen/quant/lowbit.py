"""Low-bit recurrent layers ('int4', 'binary-w{K}a8', 'ternary-a8'; docs/numerics-lowbit.md).

The gate weights of LSTM, GRU and RNN layers are coded by the low-bit coders
(quant/lowbit_codes.py) into exact integer levels with one scale per output row; everything
else is the int8 arithmetic of the 'tflite-int' family (the 'lowbit' family extends it), with
the gate FCs requantized per row. The QLayer holds, per direction d, beside the int8 layout:
  arrays  w{d}, r{d} int32 levels (G, H, In) / (G, H, H): what the simulator multiplies with
          binary codes: wplanes{d}, rplanes{d} int8 (G, K, H, n) in {-1, 0, +1} (0 = pruned) and
          wcoef{d}, rcoef{d} int32 (G, H, K) with levels = sum_k coef * planes
          int4 with a residual tensor: wshift{d}, rshift{d} int8 (G, H): per row m, levels =
          2^m * first + second (both int4; m = 0: no residual)
  attrs   dirs[d] in_mult/in_shift/rec_mult/rec_shift: per gate, one value per row
          coding: what coded the weights (coder, bits, residual, sparsity, weight SQNR)
"""
from __future__ import annotations

import math

import numpy as np

from .. import ir
from ..errors import UnsupportedError
from ..qmodel import QLayer
from .common import INT32_MAX, project_gates
from ..registry import planner, quantizer, validator, weight_projector
from ..schemes import get_scheme
from . import lowbit_codes as codes
from .gru_rnn_int import quantize_gru_rnn, validate_gru_int, validate_rnn_int
from .lstm_int import GATES as LSTM_GATES, lstm_bias, quantize_lstm, validate_lstm_int

#: the int8 kernels' accumulator bound (quant/common.check_fc_limits): 383 * sum|levels| plus the
#: bias must stay below 2^31; the coders keep 383 * sum|levels| within half of it
LEVEL_BUDGET = 2 ** 30 // 383
#: coded activations reach |sum_k beta_k s_k| <= 510 (int8 inputs minus the zero point): the
#: popcount kernels' partial sums are bounded by 512 * n * sum|coef|
CODED_ACT_BOUND = 512
#: --residual auto adds the second int4 tensor to layers whose int4 weights code below this SQNR
RESIDUAL_AUTO_DB = 20.0


#: the settings of the low-bit schemes (compile_model(lowbit=...), rnnc compile's flags)
LOWBIT_OPTIONS = {
    "residual": "--residual auto|N: a second int4 tensor for int4 layers whose weights code below "
                "--residual-threshold dB (auto) or for the N worst",
    "residual_threshold_db": "--residual-threshold DB: the SQNR below which --residual auto adds the tensor",
    "sparsity": "--sparsity S: prune the fraction S of each low-bit gate matrix's weights (smallest |w|)",
}


def check_lowbit_options(options: dict, schemes, source: str) -> None:
    """Refuse low-bit settings that are out of range or that no layer would use."""
    given = [k for k in LOWBIT_OPTIONS if options.get(k) not in (None, 0, 0.0)]
    if not given:
        return
    families = {s.family for s in schemes}
    coders = {s.coder_settings.get("coder") for s in schemes}
    if "lowbit" not in families:
        raise UnsupportedError(f"{LOWBIT_OPTIONS[given[0]].split(':')[0]} applies to the low-bit schemes "
                               "(int4, binary-wKa8, binary-wKaK, ternary-a8, ternary); no layer uses one", file=source)
    sp = options.get("sparsity")
    if sp is not None and not (isinstance(sp, (int, float)) and 0.0 <= float(sp) < 1.0):
        raise UnsupportedError(f"--sparsity must be in [0, 1), got {sp}", file=source)
    res = options.get("residual")
    if res is not None:
        if "int4" not in coders:
            raise UnsupportedError("--residual applies to int4 layers; no layer is int4", file=source)
        if res != "auto" and not (isinstance(res, int) and not isinstance(res, bool) and res >= 0):
            raise UnsupportedError(f"--residual must be 'auto' or a number of layers, got {res!r}", file=source)


class WeightCoder:
    """Codes every gate matrix of one layer with its scheme's coder and keeps what the
    emitter packs (binary planes and coefficients, residual shifts) and the weight SQNR."""

    def __init__(self, layer: ir.RecurrentLayer, ctx):
        self.settings = get_scheme(ctx.scheme).coder_settings
        self.sparsity = float(ctx.options.get("sparsity") or 0.0)
        self.residual = layer.name in ctx.options.get("residual_layers", ()) or (
            ctx.options.get("residual") == "auto" and self.settings["coder"] == "int4"
            and int4_sqnr_db(layer) < float(ctx.options.get("residual_threshold_db", RESIDUAL_AUTO_DB)))
        self.extra: dict[tuple[int, str, str], object] = {}   # (direction, side, gate) -> Coded
        self.signal = self.noise = 0.0

    def code(self, w: np.ndarray, d: int, side: str, g: str):
        """(levels int32, row scales) of one gate matrix; side 'w' (input) or 'r' (recurrent)."""
        w = np.asarray(w, np.float64)
        mask = codes.magnitude_mask(w, self.sparsity) if self.sparsity else None
        coder = self.settings["coder"]
        n = w.shape[1]
        if coder == "int4":
            shift_cap = max(0, int(math.log2(max(LEVEL_BUDGET / (7 * n) - 1, 1))))
            c = (codes.with_residual(w, 4, mask, max_shift=min(8, shift_cap)) if self.residual and shift_cap
                 else codes.uniform_mmse(w, 4, mask))
        else:
            # binary planes: integer coefficients at one scale per matrix (one multiplier per gate)
            k = self.settings.get("k", 2)
            budget = 2 ** 30 // CODED_ACT_BOUND if self.settings.get("act") else LEVEL_BUDGET
            coef_bits = min(16, 1 + int(math.log2(max(budget // (k * n), 1))))
            if coef_bits < 6:
                raise UnsupportedError(f"rows of {n} weights are too long for exact {k}-bit codes in int32 "
                                       "accumulators")
            c = (codes.binary_codes(w, k, mask=mask, coef_bits=coef_bits, shared_scale=True) if coder == "binary"
                 else codes.ternary_planes(codes.ternary(w, mask), coef_bits))
        self.extra[(d, side, g)] = c
        self.signal += float(np.sum(w ** 2))
        self.noise += float(np.sum((w - c.dequantized()) ** 2))
        # ternary activations are coded as two planes of beta each: the accumulator holds twice
        # the product, so its scale is half the weights'
        div = 2.0 if self.settings.get("act") == "ternary" else 1.0
        if c.planes is not None:           # one scale per matrix
            return c.levels.astype(np.int32), float(c.row_scale[0]) / div
        return c.levels.astype(np.int32), np.asarray(c.row_scale, np.float64) / div

    def arrays(self, gates: tuple[str, ...], ndir: int) -> dict[str, np.ndarray]:
        out = {}
        for d in range(ndir):
            for side in ("w", "r"):
                cs = [self.extra[(d, side, g)] for g in gates]
                if cs[0].planes is not None:
                    out[f"{side}planes{d}"] = np.stack([c.planes for c in cs]).astype(np.int8)
                    out[f"{side}coef{d}"] = np.stack([c.coef for c in cs]).astype(np.int32)
                elif self.residual:
                    out[f"{side}shift{d}"] = np.stack([c.meta.get("shift", np.zeros(len(c.row_scale)))
                                                       for c in cs]).astype(np.int8)
        return out

    def act_code(self) -> dict | None:
        act = self.settings.get("act")
        return {"kind": act, "bits": self.settings["act_bits"]} if act else None

    def summary(self) -> dict:
        sqnr = 10 * math.log10(self.signal / self.noise) if self.noise > 0 else float("inf")
        return {**self.settings, "residual": self.residual, "sparsity": self.sparsity,
                "weight_sqnr_db": round(sqnr, 3) if math.isfinite(sqnr) else None}


def int4_sqnr_db(layer: ir.RecurrentLayer) -> float:
    """SQNR of the layer's gate weights coded as plain MMSE int4 (what --residual ranks)."""
    signal = noise = 0.0
    for dp in layer.dirs:
        for gw in dp.gates.values():
            for w in (gw.W, gw.R):
                c = codes.uniform_mmse(np.asarray(w, np.float64), 4)
                signal += float(np.sum(np.square(w, dtype=np.float64)))
                noise += float(np.sum((w - c.dequantized()) ** 2))
    return 10 * math.log10(signal / noise) if noise > 0 else float("inf")


def _finish(q: QLayer, coder: WeightCoder, gates) -> QLayer:
    q.arrays.update(coder.arrays(gates, len(q.attrs["dirs"])))
    q.attrs["coding"] = coder.summary()
    act = coder.act_code()
    if act:
        # the popcount kernels code v = x - zp themselves: plain biases, no zero-point fold
        q.attrs["act_code"] = act
        for d in range(len(q.attrs["dirs"])):
            for side, b, zp in (("w", "bx", q.attrs["zp_in"]), ("r", "bh", q.attrs["zp_h"])):
                levels = q.arrays[f"{side}{d}"].astype(np.int64)
                q.arrays[f"{b}{d}"] = (q.arrays[f"{b}{d}"].astype(np.int64) + zp * levels.sum(axis=2)).astype(np.int32)
        check_coded_limits(q)
    return q


def check_coded_limits(q) -> None:
    """The popcount kernels' int32 arithmetic: |bias| + 512 n sum|coef| per row, and TFLM's left
    shift of it in the requantization, stay within int32."""
    for d, p in enumerate(q.attrs["dirs"]):
        for side, b, key in (("w", "bx", "in"), ("r", "bh", "rec")):
            coef = np.abs(q.arrays[f"{side}coef{d}"].astype(np.int64)).sum(axis=2)        # (G, H)
            n = q.arrays[f"{side}planes{d}"].shape[-1]
            bound = np.abs(q.arrays[f"{b}{d}"].astype(np.int64)) + CODED_ACT_BOUND * n * coef
            shift = np.maximum(np.asarray(p[f"{key}_shift"], np.int64), 0).reshape(len(bound), -1)
            if np.any(bound > INT32_MAX) or np.any(bound << shift > INT32_MAX):
                raise UnsupportedError(f"the {'input' if side == 'w' else 'recurrent'} gate FCs can overflow their "
                                       "int32 accumulators with coded activations (the bias is too large for "
                                       "the scales): use binary-w*a8 or int8 for this layer")


@quantizer("lstm", family="lowbit")
def quantize_lstm_lowbit(layer: ir.RecurrentLayer, ctx) -> QLayer:
    if layer.fixed_quant is not None:
        raise UnsupportedError("a pre-quantized LSTM keeps its own int8 weights (compile it with --scheme int8)")
    coder = WeightCoder(layer, ctx)
    direction = iter(range(layer.num_directions))

    def weights(dp: ir.DirectionParams, s_in: float):
        d, out = next(direction), {}
        for g in LSTM_GATES:
            gw = dp.gates[g]
            W, ws = coder.code(gw.W, d, "w", g)
            R, rs = coder.code(gw.R, d, "r", g)
            out[g] = (W, ws, R, rs, lstm_bias(gw, s_in, ws))
        return out
    return _finish(quantize_lstm(layer, ctx, weights), coder, LSTM_GATES)


@quantizer("gru", family="lowbit")
@quantizer("rnn", family="lowbit")
def quantize_gru_rnn_lowbit(layer: ir.RecurrentLayer, ctx) -> QLayer:
    coder = WeightCoder(layer, ctx)

    def code(w: np.ndarray, what: str):       # what: 'W0.z', 'R1.h', ...
        return coder.code(w, int(what[1]), what[0].lower(), what[3:])
    return _finish(quantize_gru_rnn(layer, ctx, code), coder, ir.GATES[layer.kind])


@weight_projector("lstm", family="lowbit")
@weight_projector("gru", family="lowbit")
@weight_projector("rnn", family="lowbit")
def project_lowbit(layer: ir.RecurrentLayer, ctx) -> ir.RecurrentLayer:
    """The gate matrices as the scheme's coder codes them (pruned, binary, ternary, int4 with
    the residual tensor where the quantizer would add it): levels times row scales."""
    coder = WeightCoder(layer, ctx)

    def code(w, d, side, g):
        coder.code(w, d, side, g)
        return coder.extra[(d, side, g)].dequantized()
    return project_gates(layer, code)


@planner("lowbit")
def plan_residuals(model: ir.Model, schemes, options: dict) -> None:
    """--residual N: the second int4 tensor for the N int4 layers whose weights code worst."""
    n = options.get("residual")
    if n in (None, "auto"):
        return
    ranked = sorted((int4_sqnr_db(l), i, l.name) for i, (l, s) in enumerate(zip(model.layers, schemes))
                    if isinstance(l, ir.RecurrentLayer) and s.coder_settings.get("coder") == "int4")
    options["residual_layers"] = sorted(name for _, _, name in ranked[:int(n)])


def _check_codes(q, c, gates: int) -> None:
    """The packed forms the C reads must give exactly the levels the simulator multiplies."""
    coding = q.attrs.get("coding")
    settings = get_scheme(q.scheme).coder_settings
    if not isinstance(coding, dict) or coding.get("coder") != settings["coder"]:
        c.fail("'coding' does not match the scheme")
    want = {"kind": settings["act"], "bits": settings["act_bits"]} if settings.get("act") else None
    if q.attrs.get("act_code") != want:
        c.fail(f"'act_code' must be {want}")
    H = q.attrs["hidden_size"]
    for d in range(len(q.attrs["dirs"])):
        for side, n in (("w", q.in_size), ("r", H)):
            levels = q.arrays[f"{side}{d}"].astype(np.int64)
            if coding["coder"] == "int4":
                m = (c.array(q.arrays, f"{side}shift{d}", "int8", (gates, H)).astype(np.int64)
                     if f"{side}shift{d}" in q.arrays else np.zeros((gates, H), np.int64))
                c.values(m, f"{side}shift{d}", 0, 8)
                first, second = split_residual(levels, m)
                if np.abs(first).max(initial=0) > 7 or np.abs(second).max(initial=0) > 7:
                    c.fail(f"array '{side}{d}' holds levels two int4 tensors cannot express")
                continue
            found = q.arrays.get(f"{side}planes{d}")
            k = found.shape[1] if isinstance(found, np.ndarray) and found.ndim == 4 else 0
            if not 1 <= k <= 4:
                c.fail(f"array '{side}planes{d}' must hold 1 to 4 code planes (gates, planes, rows, columns)")
            planes = c.array(q.arrays, f"{side}planes{d}", "int8", (gates, k, H, n))
            c.values(planes, f"{side}planes{d}", -1, 1)
            coef = c.array(q.arrays, f"{side}coef{d}", "int32", (gates, H, k)).astype(np.int64)
            c.values(coef, f"{side}coef{d}", -32767, 32767)       # stored as int16
            if np.any(np.einsum("ghk,gkhn->ghn", coef, planes.astype(np.int64)) != levels):
                c.fail(f"arrays '{side}planes{d}' and '{side}coef{d}' do not give the levels '{side}{d}'")
            kept = planes[:, 0] != 0
            if np.any((planes != 0) != kept[:, None]):
                c.fail(f"array '{side}planes{d}' prunes a weight in some planes only")
    if want:
        try:
            check_coded_limits(q)
        except UnsupportedError as e:
            c.fail(e.reason)


def split_residual(levels: np.ndarray, m: np.ndarray):
    """(first, second) with levels = 2^m * first + second, |second| as small as possible and
    |first| <= 7 (the coder's own decomposition where it is unique; m = 0: no residual).

    >>> [a.tolist() for a in split_residual(np.array([[21, -9, 5]]), np.array([1]))]
    [[[7, -5, 3]], [[7, 1, -1]]]
    """
    levels = np.asarray(levels, np.int64)
    step = (np.int64(1) << np.asarray(m, np.int64))[..., None]
    if np.all(m == 0):
        return levels, np.zeros_like(levels)
    first = np.clip(np.sign(levels) * ((np.abs(levels) + step // 2) // step), -7, 7)
    first = np.where(step == 1, levels, first)
    return first, levels - step * first


def _per_row(q) -> bool:
    """int4 rows have their own scales; binary planes share one per gate matrix."""
    return get_scheme(q.scheme).coder_settings["coder"] == "int4"


@validator("lstm", family="lowbit")
def validate_lstm_lowbit(q, c) -> None:
    validate_lstm_int(q, c, levels="int32", per_row=_per_row(q))
    _check_codes(q, c, 4)


@validator("gru", family="lowbit")
def validate_gru_lowbit(q, c) -> None:
    validate_gru_int(q, c, levels="int32", per_row=_per_row(q))
    _check_codes(q, c, 3)


@validator("rnn", family="lowbit")
def validate_rnn_lowbit(q, c) -> None:
    validate_rnn_int(q, c, levels="int32", per_row=_per_row(q))
    _check_codes(q, c, 1)
