"""Packed storage of low-bit weights (docs/numerics-lowbit.md, "Storage"), as the kernels
rnnc_fc_s8_s16_w4 and rnnc_fc_s8_s16_wb read it.

int4, two per byte, rows padded to whole bytes: column 2j in the low nibble of byte j, column
2j + 1 in the high nibble, each a 4-bit two's complement value.

>>> pack_int4(np.array([[1, -1, 7], [-8, 0, 2]])).tolist()
[[241, 7], [8, 2]]

Binary code planes in 32-bit words, per row the planes one after another: bit (j % 32) of word
j // 32 is set where the code of column j is +1 (clear for -1 and for pruned weights).

>>> pack_bits(np.array([[[1, -1, 1]], [[-1, -1, 1]]]))   # (planes, rows, columns) -> (rows, planes, words)
array([[[5],
        [4]]], dtype=uint32)
"""
from __future__ import annotations

import numpy as np


def pack_int4(levels: np.ndarray) -> np.ndarray:
    """(rows, n) values in [-8, 7] -> (rows, ceil(n / 2)) uint8."""
    v = np.asarray(levels, np.int64)
    if v.size and (v.min() < -8 or v.max() > 7):
        raise ValueError("int4 values must lie in [-8, 7]")
    rows, n = v.shape
    padded = np.zeros((rows, n + n % 2), np.int64)
    padded[:, :n] = v & 0xF
    return (padded[:, 0::2] | (padded[:, 1::2] << 4)).astype(np.uint8)


def pack_bits(planes: np.ndarray) -> np.ndarray:
    """(k, rows, n) codes (+1 sets a bit) -> (rows, k, ceil(n / 32)) uint32."""
    p = np.asarray(planes) > 0
    k, rows, n = p.shape
    words = (n + 31) // 32
    padded = np.zeros((k, rows, words * 32), np.uint64)
    padded[:, :, :n] = p
    weights = np.uint64(1) << np.arange(32, dtype=np.uint64)
    packed = (padded.reshape(k, rows, words, 32) * weights).sum(axis=-1)
    return packed.transpose(1, 0, 2).astype(np.uint32)


def words_per_row(n: int) -> int:
    return (n + 31) // 32
