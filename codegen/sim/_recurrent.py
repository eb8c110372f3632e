"""The one recurrent driver of the simulator: every LSTM, GRU and RNN simulator, float or
integer, runs its directions through `run_directions` and supplies only the step.

Row b runs steps 0 .. lengths[b]-1; a backward direction starts at step lengths[b]-1. Steps
beyond a row's length neither change its state nor write output (the caller zeroes them).
A bidirectional layer outputs concat(h_forward, h_backward) at each step.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def directions(direction: str) -> list[bool]:
    """reverse? per direction: forward [False], reverse [True], bidirectional [False, True]."""
    return {"forward": [False], "reverse": [True], "bidirectional": [False, True]}[direction]


def run_directions(x: np.ndarray, lengths: np.ndarray, direction: str, hidden: int, dtype,
                   init: Callable[[int, int], tuple], step: Callable) -> tuple[np.ndarray, list]:
    """Run every direction over the batch.

    init(d, B) -> state: a tuple whose first element is h (B, hidden);
    step(d, x_t, state, valid) -> new state (same structure); x_t is (B, in) at each row's
    own time index; valid (B,) marks rows still inside their length.
    Returns y (B, T, hidden * directions) in dtype, and each direction's final state."""
    B, T, _ = x.shape
    revs = directions(direction)
    y = np.zeros((B, T, hidden * len(revs)), dtype)
    rows = np.arange(B)
    finals = []
    for d, reverse in enumerate(revs):
        state = init(d, B)
        for k in range(T):
            valid = k < lengths
            t = np.where(valid, (lengths - 1 - k) if reverse else k, 0)
            new = step(d, x[rows, t], state, valid)
            state = tuple(np.where(valid[:, None], n, o) for n, o in zip(new, state))
            y[rows[valid], t[valid], d * hidden:(d + 1) * hidden] = state[0][valid]
        finals.append(state)
    return y, finals


def start_state(state: dict | None, roles: tuple[str, ...], zeros: tuple, d: int) -> tuple:
    """The initial state of direction d: a streaming state given for the layer (forward
    layers only, direction 0; a role missing from `state` starts at its reset) or the reset."""
    if state is None or d != 0:
        return zeros
    return tuple(np.asarray(state[r], np.asarray(z).dtype).reshape(np.shape(z)).copy() if r in state else z
                 for r, z in zip(roles, zeros))


def keep_final(state: dict | None, roles: tuple[str, ...], finals: list) -> None:
    """Hand the final state of a forward layer back to the caller's dict."""
    if state is not None:
        for r, v in zip(roles, finals[0]):
            state[r] = v


def gate_accumulator(v, arrays: dict, side: str, g: int):
    """The int32 accumulator of one gate term before requantization: b[g] + W[g] v for side
    'in' (x with w, bx) or 'rec' (h or r*h with r, bh). A layer whose terms are computed
    otherwise (the low-bit coded activations, sim/lowbit.py) puts its own `accumulate(v, side,
    g)` into its arrays."""
    if "accumulate" in arrays:
        return arrays["accumulate"](v, side, g)
    w, b = (arrays["w"], arrays["bx"]) if side == "in" else (arrays["r"], arrays["bh"])
    return v.astype(np.int64) @ w[g].T.astype(np.int64) + b[g]
