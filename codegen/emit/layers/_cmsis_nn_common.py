"""What the CMSIS-NN emitters share: the limits under which CMSIS-NN computes a layer exactly."""
from __future__ import annotations

import numpy as np

#: CMSIS-NN's 16x8 matrix-vector kernels accumulate the first 512 columns of a row in int32
S16_INT32_COLUMNS = 512


def s16_partial_sums_may_overflow(w: np.ndarray, bias: np.ndarray | None = None) -> bool:
    """Whether an int16 x int8 row could overflow CMSIS-NN's int32 partial sums.

    Worst case over every int16 input: |bias| (when the kernel starts from it) plus
    32768 * sum |w| over the columns accumulated in int32.

    >>> w = np.full((2, 600), 127, np.int8)     # 512 * 127 * 32768 = 2^31 - 2^24
    >>> s16_partial_sums_may_overflow(w), s16_partial_sums_may_overflow(w, np.full(2, 2 ** 24))
    (False, True)
    """
    head = np.abs(w[..., :S16_INT32_COLUMNS].astype(np.int64)).sum(axis=-1)
    worst = 32768 * head
    if bias is not None:
        worst = worst + np.abs(bias.astype(np.int64))
    return bool(worst.max(initial=0) >= 2 ** 31)


def s8_left_shift_may_overflow(w: np.ndarray, bias: np.ndarray, shift: np.ndarray) -> bool:
    """Whether x * 2^shift in CMSIS-NN's int8 requantization could leave int32 for some int8
    input (CMSIS-NN wraps there; rnnc's kernels saturate as the simulator does).

    >>> s8_left_shift_may_overflow(np.ones((1, 4), np.int8), np.zeros(1, np.int32), np.array([0]))
    False
    >>> s8_left_shift_may_overflow(np.full((1, 4), 127, np.int8), np.zeros(1, np.int32), np.array([22]))
    True
    """
    worst = np.abs(bias.astype(np.int64)) + 128 * np.abs(w.astype(np.int64)).sum(axis=-1)
    left = np.maximum(np.asarray(shift, np.int64), 0)
    return bool((worst << left).max(initial=0) >= 2 ** 31)
