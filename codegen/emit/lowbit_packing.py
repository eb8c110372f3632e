"""Packed storage of low-bit weights (docs/numerics-lowbit.md, "Storage"), as the kernels
rnnc_fc_s8_s16_w4, rnnc_fc_s8_s16_wb and rnnc_fc_s8_s16_wbab read it.

int4, two per byte, as offset binary (the nibble holds L + 8, 0..15), in blocks of 16 rows x 8
columns of 64 bytes: byte 4r + b of a block holds row r's column 8g + b in its low nibble and
column 8g + 4 + b in its high nibble (g the block's column group), so that one 512-bit load
gives 16 rows x 8 columns and the low (high) nibbles pair with 4 consecutive inputs. Blocks go
column group by column group within a block of rows; padding rows and columns are L = 0.

>>> b = pack_int4_b16x8(np.array([[1, -1, 7, 0, -8, 0, 2, 3]]))   # (rows, n) -> (row blocks, groups, 64)
>>> b.shape, [hex(v) for v in b[0, 0, :4]]
((1, 1, 64), ['0x9', '0x87', '0xaf', '0xb8'])

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


def pack_int4_b16x8(levels: np.ndarray) -> np.ndarray:
    """(rows, n) values in [-8, 7] -> (ceil(rows / 16), ceil(n / 8), 64) uint8, the kernel's layout."""
    v = np.asarray(levels, np.int64)
    if v.size and (v.min() < -8 or v.max() > 7):
        raise ValueError("int4 values must lie in [-8, 7]")
    rows, n = v.shape
    blocks, groups = -(-rows // 16), -(-n // 8)
    padded = np.zeros((blocks * 16, groups * 8), np.int64)
    padded[:rows, :n] = v
    u = (padded + 8).reshape(blocks, 16, groups, 8).transpose(0, 2, 1, 3)   # (blocks, groups, row, column)
    return (u[..., :4] | (u[..., 4:] << 4)).reshape(blocks, groups, 64).astype(np.uint8)


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
