"""Weight layouts of the integer kernels (applied when emitting; the simulator keeps plain rows).

rnnc_fc_s8_s16 reads int8 weights in blocks of 16 output rows by 4 inputs:
  packed[((block * k4 + kg) * 16 + r) * 4 + j] = W[block * 16 + r, kg * 4 + j]
zero-padded to a multiple of 16 rows and 4 inputs. Each 64-byte group feeds one x86 VPDPBUSD
(16 rows x 4 inputs) and is just as easy for scalar code. The kernels add 128 to every input
(an unsigned operand for VPDPBUSD), so the effective bias drops 128 * rowsum(W).

>>> import numpy as np
>>> w = np.arange(6, dtype=np.int8).reshape(2, 3)
>>> p = pack_rows16x4(w)
>>> p.size, p[:8].tolist()
(64, [0, 1, 2, 0, 3, 4, 5, 0])
>>> offset_bias(np.array([10, 20]), w).tolist()
[-374, -1516]

rnnc_fc_panel_f32 reads float weights in panels of 16 output rows, input by input:
  panel[(p * cols + i) * 16 + r] = W[p * 16 + r, i], zero-padded to a multiple of 16 rows.

>>> pack_panels16(np.arange(6, dtype=np.float32).reshape(2, 3)).reshape(3, 16)[:, :3].tolist()
[[0.0, 3.0, 0.0], [1.0, 4.0, 0.0], [2.0, 5.0, 0.0]]
"""
from __future__ import annotations

import numpy as np


def packed_size(rows: int, cols: int) -> int:
    return (rows + 15) // 16 * 16 * ((cols + 3) // 4 * 4)


def pack_rows16x4(w: np.ndarray) -> np.ndarray:
    rows, cols = w.shape
    rp, cp = (rows + 15) // 16 * 16, (cols + 3) // 4 * 4
    padded = np.zeros((rp, cp), np.int8)
    padded[:rows, :cols] = w
    # (block, r, kg, j) -> (block, kg, r, j)
    return padded.reshape(rp // 16, 16, cp // 4, 4).transpose(0, 2, 1, 3).reshape(-1).copy()


def pack_panels16(w: np.ndarray) -> np.ndarray:
    """float (rows, cols) -> panels of 16 rows, each column's 16 values contiguous."""
    rows, cols = w.shape
    padded = np.zeros(((rows + 15) // 16 * 16, cols), np.float32)
    padded[:rows] = w
    # (panel, r, i) -> (panel, i, r)
    return padded.reshape(-1, 16, cols).transpose(0, 2, 1).reshape(-1).copy()


def pack_gates(w: np.ndarray) -> np.ndarray:
    """(G, rows, cols) stacked gates -> each gate packed, concatenated."""
    return np.concatenate([pack_rows16x4(g) for g in w])


def offset_bias(bias: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Effective bias for kernels that multiply (x + 128) by w."""
    return (np.asarray(bias, np.int64) - 128 * w.astype(np.int64).sum(axis=-1)).astype(np.int64)


def kernel_arrays(q, d: int, suffix: str, rows: bool = False, offset: bool = True):
    """Weights and effective biases of direction d of an integer RNN layer as its step
    kernel reads them: s8 kernels use the packed layout and the +128 offset bias (offset=False:
    plain biases, for the kernel that takes its inputs signed; rows=True: the Helium layout,
    plain rows and biases), s16 kernels plain rows (the simulator's arrays)."""
    w, r = q.arrays[f"w{d}"], q.arrays[f"r{d}"]
    bx, bh = q.arrays[f"bx{d}"], q.arrays[f"bh{d}"]
    if suffix != "s8":
        return w, r, bx, bh
    if rows:
        return (w, r) + kernel_biases(q, d, offset=False)
    return (pack_gates(w), pack_gates(r)) + kernel_biases(q, d, offset)


def kernel_biases(q, d: int, offset: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The int32 effective biases (input, recurrent) of direction d of an int8 RNN layer: with
    the +128 offset's -128 * rowsum for rnnc_fc_s8_s16_b16x4, plain with offset=False."""
    bx, bh = q.arrays[f"bx{d}"], q.arrays[f"bh{d}"]
    # quant.common.check_fc_limits keeps |bias| + 383 * sum|w| below 2^31, so these fit int32
    if offset:
        bx, bh = offset_bias(bx, q.arrays[f"w{d}"]), offset_bias(bh, q.arrays[f"r{d}"])
    return bx.astype(np.int32), bh.astype(np.int32)
