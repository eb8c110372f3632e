"""The Python reference simulator: runs a QModel (or a list of QLayers) on a batch.

Every batch row is an independent sequence starting from the reset state. Each layer's
registered simulator does the arithmetic (integer-exact for integer schemes); this module
only chains them, handles per-row lengths (outputs at steps >= length are zero), and can keep
every layer's output for `rnnc verify`'s first-differing-layer report.
"""
from __future__ import annotations

import numpy as np

from .calibrate import Stats
from .errors import RnncError
from .qmodel import NUMPY_TYPES, QLayer, QModel
from .registry import SIMULATORS, lookup


def run_layer(q: QLayer, x: np.ndarray, lengths: np.ndarray, stats: Stats | None = None,
              state: dict | None = None):
    """One layer on its input: (output in q.out_dtype, zero beyond each row's length; the
    lengths the next layer sees). state: a recurrent layer's streaming state {'h', 'c'} in its
    stored form, (B, hidden) each: the rows start from it, and it is replaced by the final state."""
    fn = lookup(SIMULATORS, q.kind, q.scheme, "simulator", q.where)
    if stats is not None:
        stats.observe("in", x, _mask(x, lengths))
    y = fn(q, x, lengths, stats) if state is None else fn(q, x, lengths, stats, state=state)
    y = np.asarray(y, NUMPY_TYPES[q.out_dtype])
    if q.kind == "last_step":
        lengths = np.minimum(lengths, 1)
    _zero_beyond(y, lengths)
    if stats is not None:
        stats.observe("out", y, _mask(y, lengths))
        stats.keep("out", y)
    return y, lengths


def run_layers(layers: list[QLayer], x: np.ndarray, lengths: np.ndarray,
               stats: list[Stats] | None = None, keep: bool = False, states: dict | None = None):
    """Run the chain. Returns the final output, or (final, [per-layer outputs]) if keep.
    states: {layer index: streaming state} (see run_layer), updated in place."""
    outs = []
    lengths = np.asarray(lengths, np.int64)
    for i, q in enumerate(layers):
        x, lengths = run_layer(q, x, lengths, stats[i] if stats is not None else None,
                               (states or {}).get(i))
        if keep:
            outs.append(x)
    return (x, outs) if keep else x


def run_model(qm: QModel, x: np.ndarray, lengths: np.ndarray | None = None, keep: bool = False,
              states: dict | None = None):
    x = check_input(qm, x)
    if lengths is None:
        lengths = default_lengths(qm, x)
    return run_layers(qm.layers, x, lengths, keep=keep, states=states)


def default_lengths(qm: QModel, x: np.ndarray) -> np.ndarray:
    """Per-row lengths: the model's constant ONNX sequence_lens if it has them, else T."""
    b, t = x.shape[:2]
    if qm.sequence_lens is not None:
        sl = np.asarray(qm.sequence_lens, np.int64)
        if sl.shape != (b,):
            raise RnncError(f"the model fixes sequence_lens for a batch of {sl.shape[0]} rows; "
                            f"the input has {b}")
        if np.any(sl > t) or np.any(sl < 0):
            raise RnncError(f"sequence_lens {sl.tolist()} do not fit T={t}")
        return sl
    return np.full(b, t, np.int64)


def check_input(qm: QModel, x: np.ndarray) -> np.ndarray:
    """Validate shape/dtype; quantize float input for quantized models."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise RnncError(f"input must have shape (batch, T, features), got {x.shape}")
    if x.shape[2] != qm.input_size:
        raise RnncError(f"input has {x.shape[2]} features but the model takes {qm.input_size}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise RnncError(f"input is empty (shape {x.shape})")
    if qm.causal is False and x.shape[1] > qm.max_steps:
        raise RnncError(f"input has T={x.shape[1]} steps but the model was compiled for at most "
                        f"{qm.max_steps} (non-causal layers buffer the sequence; recompile with --max-steps)")
    want = qm.input_dtype
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        raise RnncError("input contains NaN or Inf")
    if x.dtype == NUMPY_TYPES[want]:
        return x
    if np.issubdtype(x.dtype, np.floating):
        if want == "float32":
            return x.astype(np.float32)
        if qm.input_q is not None:
            from .quant.common import quantize_array
            return quantize_array(x, qm.input_q)
    if want == "int32" and np.issubdtype(x.dtype, np.integer):
        return x.astype(np.int32)
    raise RnncError(f"input dtype {x.dtype} does not match the model's input dtype {want}")


def _mask(y: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    t = np.arange(y.shape[1])[None, :, None]
    return t < lengths[:, None, None]


def _zero_beyond(y: np.ndarray, lengths: np.ndarray) -> None:
    if np.any(lengths < y.shape[1]):
        y[~np.broadcast_to(_mask(y, lengths), y.shape)] = 0
