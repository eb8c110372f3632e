"""Float reference of the non-recurrent layers (dense, activations, embedding, last step)."""
from __future__ import annotations

import numpy as np

from ..errors import RnncError
from ..registry import simulator


@simulator("dense", family="float")
def simulate_dense_float(q, x, lengths, stats):
    layer = q.ir
    y = np.einsum("bti,oi->bto", x.astype(np.float32), layer.weight.astype(np.float32))
    return (y + layer.bias.astype(np.float32)).astype(np.float32)


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


FLOAT_ACTIVATIONS = {
    "relu": lambda x, a: np.maximum(x, 0),
    "sigmoid": lambda x, a: 1.0 / (1.0 + np.exp(-x)),
    "tanh": lambda x, a: np.tanh(x),
    "leakyrelu": lambda x, a: np.where(x >= 0, x, x * np.float32(0.01 if a is None else a)),
    "softmax": lambda x, a: _softmax(x),
}


@simulator("activation", family="float")
def simulate_activation_float(q, x, lengths, stats):
    fn = FLOAT_ACTIVATIONS.get(q.ir.function)
    if fn is None:
        raise RnncError(f"activation '{q.ir.function}' is not supported", where=q.where)
    return fn(x.astype(np.float32), q.ir.alpha).astype(np.float32)


@simulator("embedding", family="float")
def simulate_embedding_float(q, x, lengths, stats):
    ids = x[..., 0].astype(np.int64)
    vocab = q.ir.table.shape[0]
    if np.any((ids < 0) | (ids >= vocab)):
        raise RnncError(f"token ids must lie in [0, {vocab})", where=q.where)
    return q.ir.table[ids].astype(np.float32)


def take_last_step(x, lengths, reverse_width: int = 0):
    """Output at step length-1 of each row, as a (B, 1, F) array (zeros for empty rows);
    the last reverse_width features come from step 0 (a backward direction's final state)."""
    b = np.arange(x.shape[0])
    idx = np.maximum(lengths - 1, 0)
    y = x[b, idx][:, None, :].copy()
    if reverse_width:
        y[:, 0, -reverse_width:] = x[:, 0, -reverse_width:]
    y[lengths == 0] = 0
    return y


@simulator("last_step", family="float")
def simulate_last_step(q, x, lengths, stats):
    return take_last_step(x, lengths, q.ir.reverse_width if q.ir is not None else q.attrs.get("reverse_width", 0))
