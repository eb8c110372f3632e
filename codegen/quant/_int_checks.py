"""Checks of integer layers read back from a manifest (see codegen/manifest_check.py): the
ranges every integer kernel needs for its arithmetic to be defined."""
from __future__ import annotations

from ..manifest_check import INT32, MAX_WIDTH, Check

MULT = (0, 2 ** 31 - 1)          # Q31 multipliers are non-negative
SHIFT8 = (-31, 30)               # MBQM on int32 values
SHIFT16 = (-31, 14)              # the int64 requantization shifts by 15 - shift >= 1
BIAS64 = (-2 ** 40, 2 ** 40)     # int64 accumulators times a 16-bit multiplier stay in int64
ACT = {"int8": (-128, 127), "int16": (-32768, 32767)}
BIAS_DTYPE = {"int8": "int32", "int16": "int64"}


def act_of(q, c: Check) -> str:
    act = c.choice(q.attrs, "act", list(ACT))
    if q.in_dtype != act or q.out_dtype != act:
        c.fail(f"input and output must be {act}")
    return act


def mult_shift(c: Check, d: dict, name: str, act: str, n: int | None = None) -> None:
    """<name>_mult / <name>_shift, scalars (n None) or lists of n."""
    shift = SHIFT16 if act == "int16" and name in ("in", "rec") else SHIFT8
    if n is None:
        c.int(d, f"{name}_mult", *MULT)
        c.int(d, f"{name}_shift", *shift)
    else:
        c.ints(d, f"{name}_mult", n, *MULT)
        c.ints(d, f"{name}_shift", n, *shift)


def per_row_mult_shift(c: Check, d: dict, name: str, gates: int, rows: int) -> None:
    """<name>_mult / <name>_shift as one list of `rows` values per gate (low-bit weights)."""
    for key, (lo, hi) in ((f"{name}_mult", MULT), (f"{name}_shift", SHIFT8)):
        v = d.get(key)
        if not isinstance(v, list) or len(v) != gates:
            c.fail(f"'{key}' must list {gates} gates")
        for g in v:
            c.ints({key: g}, key, rows, lo, hi)


def recurrent(q, c: Check, gates: int, extra: tuple[str, ...], levels: str = "int8",
              per_row: bool = False) -> tuple[str, int, int]:
    """The common part of an integer LSTM/GRU/RNN: per-direction weights, effective biases
    and gate FC multipliers (per gate; per gate and row for low-bit `levels` int32).
    Returns (act, hidden, directions)."""
    a = q.attrs
    act = act_of(q, c)
    direction = c.choice(a, "direction", ["forward", "reverse", "bidirectional"])
    H = c.int(a, "hidden_size", 1, MAX_WIDTH)
    ndir = 2 if direction == "bidirectional" else 1
    if not isinstance(a.get("dirs"), list) or len(a["dirs"]) != ndir:
        c.fail(f"'dirs' must list {ndir} direction(s)")
    if q.out_size != H * ndir or q.causal != (direction == "forward"):
        c.fail("out_size or causality do not match hidden_size and direction")
    for key in ("zp_in", "zp_h"):
        c.int(a, key, *ACT[act])
    if act == "int16" and (a["zp_in"] != 0 or a["zp_h"] != 0):
        c.fail("int16 activations are symmetric (zero point 0)")
    if q.out_q is None or q.out_q.zero_point != a["zp_h"] or q.in_q is None or q.in_q.zero_point != a["zp_in"]:
        c.fail("zero points differ from the layer's quantization")
    bias_t = BIAS_DTYPE[act]
    for d, p in enumerate(a["dirs"]):
        if not isinstance(p, dict):
            c.fail(f"direction {d} parameters are missing")
        c.array(q.arrays, f"w{d}", levels, (gates, H, q.in_size))
        c.array(q.arrays, f"r{d}", levels, (gates, H, H))
        for b in ("bx", "bh"):
            c.values(c.array(q.arrays, f"{b}{d}", bias_t, (gates, H)), f"{b}{d}", *(INT32 if act == "int8" else BIAS64))
        for side in ("in", "rec"):
            if per_row:
                per_row_mult_shift(c, p, side, gates, H)
            else:
                mult_shift(c, p, side, act, gates)
        for name in extra:
            mult_shift(c, p, name, act)
    return act, H, ndir
