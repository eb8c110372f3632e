"""C for the low-bit LSTM / GRU / RNN: the int8 step kernels, whose gate FCs read packed low-bit
weights through one descriptor per gate term (rnnc_w4_weights_t, rnnc_wb_weights_t in
rnnc_types.h; layouts in emit/lowbit_packing.py and docs/numerics-lowbit.md)."""
from __future__ import annotations

import numpy as np

from ... import ir
from ...registry import emitter
from ..lowbit_packing import BLOCK_ROWS, interleave16, pack_bits_b16, pack_int4_b16x8, words_per_row
from ..layercode import Buffer
from ._rnn_int_common import GateWeights
from .gru_rnn_int import emit_gru_rnn
from .lstm_int import emit_lstm

TEMPLATE = "layers/lowbit.c.j2"
GATE_NAMES = {"lstm": ("i", "f", "c", "o"), **{k: ir.GATES[k] for k in ("gru", "rnn")}}


def lowbit_gate_weights(q, ctx) -> GateWeights:
    binary = q.attrs["coding"]["coder"] != "int4"
    coded = q.attrs.get("act_code")
    desc = "rnnc_wbab_weights_t" if coded else "rnnc_wb8_weights_t" if binary else "rnnc_w4_weights_t"
    stride = f"(int32_t)sizeof({desc})"
    fc = "rnnc_fc_s8_s16_wbab" if coded else "rnnc_fc_s8_s16_wb" if binary else "rnnc_fc_s8_s16_w4"

    def definitions(d: int) -> list:
        out = []
        for side, n, what in (("w", q.in_size, "input weights"), ("r", q.attrs["hidden_size"], "recurrent weights")):
            out += (_binary if binary else _int4)(q, ctx, d, side, n, f"direction {d} {what}")
        align = ctx.target.get("weight_align")
        out += [ctx.array("int32_t", f"bx{d}", q.arrays[f"bx{d}"], per_line=8, align=align),
                ctx.array("int32_t", f"bh{d}", q.arrays[f"bh{d}"], per_line=8, align=align)]
        return out

    def gate_params(a: dict) -> dict:
        """int4: the params block's per-gate multipliers are unused (the descriptors hold one per
        row); binary planes: one multiplier per gate, in the params block as for int8."""
        if binary:
            return a
        zeros = [0] * len(a["in_mult"])
        return {**a, "in_mult": zeros, "in_shift": zeros, "rec_mult": zeros, "rec_shift": zeros}
    def scratch(d: int) -> list:
        """Per input side: the table of input sums (binary codes, int8 inputs), or the coded
        activations (codes, coefficients, the coder's residual)."""
        if not binary:
            return []
        out = []
        for side, n in (("w", q.in_size), ("r", q.attrs["hidden_size"])):
            if not coded:
                out.append(Buffer("int16_t", f"{side}{d}_sums", 128 * words_per_row(n),
                                  "sums of the gate input by 4 (built by the first gate's FC)"))
                continue
            out += [Buffer("uint32_t", f"{side}{d}_act_codes", coded["bits"] * words_per_row(n),
                           "the gate input's binary codes (written by the first gate's FC)"),
                    Buffer("int32_t", f"{side}{d}_act_beta", coded["bits"], "their coefficients"),
                    Buffer("int32_t", f"{side}{d}_act_residual", n, "the greedy coder's residual")]
        return out
    return GateWeights(fc, definitions, (stride, stride), weight_cast="(const int8_t *)", gate_params=gate_params,
                       scratch=scratch)


def _multipliers(q, ctx, d: int, side: str) -> list:
    key = "in" if side == "w" else "rec"
    p = q.attrs["dirs"][d]
    return [ctx.array("int32_t", f"{side}{d}_mult", np.asarray(p[f"{key}_mult"]).reshape(-1), per_line=8),
            ctx.array("int32_t", f"{side}{d}_shift", np.asarray(p[f"{key}_shift"]).reshape(-1))]


def _int4(q, ctx, d: int, side: str, n: int, what: str) -> list:
    from ...quant.lowbit import split_residual
    levels = q.arrays[f"{side}{d}"]
    G, H = levels.shape[:2]
    shifts = q.arrays.get(f"{side}shift{d}")
    residual = shifts is not None
    first, second = split_residual(levels, shifts if residual else np.zeros((G, H), np.int64))
    sym = lambda s: ctx.sym(f"{side}{d}_{s}")   # noqa: E731
    align = ctx.target.get("weight_align")
    # per gate: blocks of 16 rows x 8 columns (lowbit_packing.pack_int4_b16x8)
    pack = lambda L: np.concatenate([pack_int4_b16x8(L[g]).reshape(-1) for g in range(G)])   # noqa: E731
    out = [ctx.array("uint8_t", f"{side}{d}_codes", pack(first), align=align)]
    if residual:
        out += [ctx.array("uint8_t", f"{side}{d}_residual", pack(second), align=align),
                ctx.array("int8_t", f"{side}{d}_rshift", shifts.reshape(-1))]
    out += _multipliers(q, ctx, d, side)
    arrays = dict(codes=sym("codes"), residual=sym("residual"), shifts=sym("rshift"), mult=sym("mult"),
                  shift=sym("shift"), rows=H, codes_stride=-(-H // BLOCK_ROWS) * -(-n // 8) * 64)
    out.append(ctx.macro(TEMPLATE, "w4_weights", symbol=ctx.sym(f"{side}{d}"), what=what,
                         gates=GATE_NAMES[q.kind], arrays=arrays, residual=residual))
    return out


def _binary(q, ctx, d: int, side: str, n: int, what: str) -> list:
    planes = q.arrays[f"{side}planes{d}"]          # (G, K, H, n)
    G, K, H, _ = planes.shape
    words = words_per_row(n)
    # per gate: blocks of 16 rows, word-interleaved (lowbit_packing.pack_bits_b16)
    packed = np.concatenate([pack_bits_b16(planes[g]).reshape(-1) for g in range(G)])
    kept = planes[:, 0] != 0                        # pruned weights are 0 in every plane
    masked = not bool(kept.all())
    sym = lambda s: ctx.sym(f"{side}{d}_{s}")   # noqa: E731
    out = [ctx.array("uint32_t", f"{side}{d}_planes", packed, per_line=8, align=ctx.target.get("weight_align"))]
    if masked:
        out.append(ctx.array("uint32_t", f"{side}{d}_mask",
                             np.concatenate([pack_bits_b16(kept[g][None].astype(np.int8)).reshape(-1)
                                             for g in range(G)]),
                             per_line=8, align=ctx.target.get("weight_align")))
    coef = q.arrays[f"{side}coef{d}"]               # (G, H, K)
    out.append(ctx.array("int16_t", f"{side}{d}_coef", np.concatenate([interleave16(coef[g]).reshape(-1)
                                                                       for g in range(G)])))
    rows = -(-H // BLOCK_ROWS) * BLOCK_ROWS         # per gate, padded to whole blocks
    arrays = dict(planes=sym("planes"), mask=sym("mask"), coef=sym("coef"), rows=rows)
    coded = q.attrs.get("act_code")
    # the first gate codes its input (or tabulates its sums); later gates reuse that, except the
    # GRU candidate's recurrent FC without linear_before_reset, whose input is r * h
    recode = [g == 0 or (q.kind == "gru" and side == "r" and g == 2 and not q.attrs["linear_before_reset"])
              for g in range(G)]
    if coded:
        if masked:   # each row's unpruned weight count, the same layout as the coefficients
            out.append(ctx.array("int32_t", f"{side}{d}_kept", np.concatenate(
                [interleave16(kept[g].sum(-1).astype(np.int32)).reshape(-1) for g in range(G)]), per_line=8))
        act = dict(codes=sym("act_codes"), beta=sym("act_beta"), residual=sym("act_residual"), kept=sym("kept"),
                   bits=coded["bits"], ternary=int(coded["kind"] == "ternary"), recode=recode,
                   zero_point=q.attrs["zp_in" if side == "w" else "zp_h"])
        out.append(ctx.macro(TEMPLATE, "wbab_weights", symbol=ctx.sym(f"{side}{d}"), what=what,
                             gates=GATE_NAMES[q.kind], arrays=arrays, bits=K, words=words, masked=masked, act=act))
        return out
    out.append(ctx.macro(TEMPLATE, "wb8_weights", symbol=ctx.sym(f"{side}{d}"), what=what, gates=GATE_NAMES[q.kind],
                         arrays=arrays, bits=K, words=words, masked=masked, table=sym("sums"), recode=recode))
    return out


@emitter("lstm", family="lowbit")
def emit_lstm_lowbit(q, ctx):
    return emit_lstm(q, ctx, lowbit_gate_weights(q, ctx))


@emitter("gru", family="lowbit")
@emitter("rnn", family="lowbit")
def emit_gru_rnn_lowbit(q, ctx):
    return emit_gru_rnn(q, ctx, lowbit_gate_weights(q, ctx))
