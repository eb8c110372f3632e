"""Packed storage of low-bit weights (docs/numerics-lowbit.md, "Storage"), as the kernels
rnnc_fc_s8_s16_w4 and rnnc_fc_s8_s16_wb read it.

int4, two per byte, rows padded to whole bytes: column 2j in the low nibble of byte j, column
2j + 1 in the high nibble, each a 4-bit two's complement value.

>>> pack_int4(np.array([[1, -1, 7], [-8, 0, 2]])).tolist()
[[241, 7], [8, 2]]

Binary code planes in 32-bit words: bit (j % 32) of word j // 32 is set where the code of
column j is +1 (clear for -1 and for pruned weights).

>>> pack_bits(np.array([[[1, -1, 1]], [[-1, -1, 1]]]))   # (planes, rows, columns) -> (rows, planes, words)
array([[[5],
        [4]]], dtype=uint32)

The kernels read them in blocks of 16 rows, word-interleaved, so that one 512-bit vector (or two
256-bit, four 128-bit) holds word j of one plane for 16 rows: element [block][plane][word][row % 16].
Rows past the last are zero padding.

>>> interleave16(np.arange(3 * 2).reshape(3, 2)).shape   # (rows, ...) -> (blocks, ..., 16)
(1, 2, 16)
>>> interleave16(np.arange(3 * 2).reshape(3, 2))[0, 1, :4].tolist()   # row r's second value at [0, 1, r]
[1, 3, 5, 0]
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


BLOCK_ROWS = 16


def interleave16(per_row: np.ndarray) -> np.ndarray:
    """(rows, ...) -> (ceil(rows / 16), ..., 16): row r of block b at [b, ..., r % 16], padded with 0."""
    v = np.asarray(per_row)
    rows = v.shape[0]
    blocks = (rows + BLOCK_ROWS - 1) // BLOCK_ROWS
    padded = np.zeros((blocks * BLOCK_ROWS,) + v.shape[1:], v.dtype)
    padded[:rows] = v
    padded = padded.reshape((blocks, BLOCK_ROWS) + v.shape[1:])
    return np.moveaxis(padded, 1, -1)


def pack_bits_b16(planes: np.ndarray) -> np.ndarray:
    """(k, rows, n) codes -> (ceil(rows / 16), k, ceil(n / 32), 16) uint32, the kernels' layout."""
    return interleave16(pack_bits(planes))
