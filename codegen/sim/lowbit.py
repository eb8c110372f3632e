"""Reference simulator of the low-bit recurrent layers with coded activations
('binary-w{K}a{K}', 'ternary'; docs/numerics-lowbit.md "Coded activations").

The layers with int8 activations ('int4', 'binary-w{K}a8', 'ternary-a8') are the integer
LSTM/GRU/RNN of sim/lstm_int.py and sim/gru_rnn_int.py with per-row multipliers (their
registrations serve the 'lowbit' family through 'tflite-int'). With coded activations only the
accumulator of each gate term differs: the input v = x - zp is coded into planes s_k with
integer coefficients beta_k, and the term is bias + sum_i sum_k coef_i beta_k (c_i . s_k).
Written from the definition, in int64 numpy, independent of the C.
"""
from __future__ import annotations

import numpy as np

from ..registry import simulator
from .gru_rnn_int import simulate_gru_rnn_int
from .lstm_int import simulate_lstm_int


def _mean_round(total, n):
    """(total + n // 2) // n for total >= 0, n > 0 (C's division of non-negatives)."""
    return (total + n // 2) // n


def code_binary(v: np.ndarray, bits: int):
    """Greedy binary codes of v (B, n) int64: planes (bits, B, n) in {-1, +1}, beta (B, bits).

    >>> p, b = code_binary(np.array([[5, -3, 0, 2]]), 2)
    >>> p[:, 0].tolist(), b.tolist()
    ([[1, -1, 1, 1], [1, 1, -1, -1]], [[3, 2]])
    """
    r = np.asarray(v, np.int64).copy()
    n = r.shape[1]
    planes = np.zeros((bits,) + r.shape, np.int64)
    beta = np.zeros((r.shape[0], bits), np.int64)
    for k in range(bits):
        s = np.where(r >= 0, 1, -1)
        beta[:, k] = _mean_round(np.abs(r).sum(axis=1), n)
        r = r - beta[:, k:k + 1] * s
        planes[k] = s
    return planes, beta


def code_ternary(v: np.ndarray):
    """Threshold ternary codes of v (B, n): t = sign(v) where 10 n |v| > 7 sum|v|, as two planes
    (t = +1: (+1, +1), -1: (-1, -1), 0: (+1, -1)) with beta = round(mean |v| over the kept).

    >>> p, b = code_ternary(np.array([[10, -10, 1, 0]]))
    >>> p[:, 0].tolist(), b.tolist()
    ([[1, -1, 1, 1], [1, -1, -1, -1]], [[10, 10]])
    """
    v = np.asarray(v, np.int64)
    n = v.shape[1]
    a = np.abs(v)
    keep = 10 * n * a > 7 * a.sum(axis=1, keepdims=True)
    t = np.where(keep, np.sign(v), 0)
    count = keep.sum(axis=1)
    beta = np.where(count > 0, _mean_round(np.where(keep, a, 0).sum(axis=1), np.maximum(count, 1)), 0)
    planes = np.stack([np.where(t >= 0, 1, -1), np.where(t > 0, 1, -1)])
    return planes, np.stack([beta, beta], axis=1)


def coded_accumulator(v, planes_w, coef, bias, act: dict):
    """bias + sum_i sum_k coef_i beta_k (c_i . s_k) for a batch v (B, n) of centered inputs;
    planes_w (K, H, n) in {-1, 0, +1} (0 = pruned), coef (H, K)."""
    s, beta = code_ternary(v) if act["kind"] == "ternary" else code_binary(v, act["bits"])
    acc = np.broadcast_to(np.asarray(bias, np.int64), (v.shape[0], planes_w.shape[1])).copy()
    for i in range(planes_w.shape[0]):
        dots = np.einsum("kbn,hn->kbh", s, planes_w[i].astype(np.int64))      # (Ka, B, H)
        acc += coef[:, i][None, :] * np.einsum("bk,kbh->bh", beta, dots)
    return acc


def coded_arrays(q) -> list[dict] | None:
    """Per direction, the gate_accumulator arrays of a layer with coded activations (None for
    int8 activations): the input side codes x - zp_in, the recurrent side h - zp_h (or the
    GRU's r * h, also at h's quantization)."""
    act = q.attrs.get("act_code")
    if not act:
        return None
    zp = {"in": q.attrs["zp_in"], "rec": q.attrs["zp_h"]}
    out = []
    for d in range(len(q.attrs["dirs"])):
        a = {k: q.arrays[f"{k}{d}"].astype(np.int64) for k in ("bx", "bh")}
        planes = {"in": q.arrays[f"wplanes{d}"], "rec": q.arrays[f"rplanes{d}"]}
        coef = {"in": q.arrays[f"wcoef{d}"].astype(np.int64), "rec": q.arrays[f"rcoef{d}"].astype(np.int64)}

        def accumulate(v, side, g, a=a, planes=planes, coef=coef):
            bias = a["bx" if side == "in" else "bh"][g]
            return coded_accumulator(v.astype(np.int64) - zp[side], planes[side][g], coef[side][g], bias, act)
        a["accumulate"] = accumulate
        out.append(a)
    return out


@simulator("lstm", family="lowbit")
def simulate_lstm_lowbit(q, x, lengths, stats, state=None):
    return simulate_lstm_int(q, x, lengths, stats, state, arrays=coded_arrays(q))


@simulator("gru", family="lowbit")
@simulator("rnn", family="lowbit")
def simulate_gru_rnn_lowbit(q, x, lengths, stats, state=None):
    return simulate_gru_rnn_int(q, x, lengths, stats, state, arrays=coded_arrays(q))
