"""Gather, Slice and Concat on the sequence: embedding lookups, the last time step, and
picking / re-joining RNN directions and layers (PyTorch's h_n[-1], cat(h_n[-2], h_n[-1]))."""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import ir
from ..errors import RnncError, UnsupportedError
from .onnx_fold import attr
from .onnx_lowering import Lowering, after_layer, op, seq_input
from .onnx_values import Axis, Seq, is_const

BIG = 1 << 30   # Slice ends at or beyond this mean "to the end"

#: a graph that takes single time steps one by one is a recurrent layer unrolled over time
UNROLLED = ("the graph takes time step {step} on its own: a recurrent layer was unrolled over time "
            "(torch.onnx.export with dynamo=True, the default, writes nn.RNN step by step; rnnc re-rolls "
            "nn.RNN layers, stacked, bidirectional or streaming, not this one); export it "
            "with dynamo=False, which keeps the ONNX RNN operator, or use nn.GRU / nn.LSTM, which the "
            "default exporter keeps whole")


@op("Gather")
def _gather(low: Lowering, node, inputs):
    data, idx = inputs[0], inputs[1] if len(inputs) > 1 else None
    if is_const(data) and isinstance(idx, Seq) and idx.dtype == "ids":
        return [_embedding(low, data, idx, int(attr(node, "axis", 0)))]
    x = seq_input(inputs)
    if not is_const(idx) or idx.size != 1 or not np.issubdtype(idx.dtype, np.integer):
        raise UnsupportedError("Gather on the sequence needs one constant integer index")
    axis = _axis(int(attr(node, "axis", 0)), x)
    return [_select(low, x, axis, int(idx.reshape(-1)[0]), keep_axis=idx.ndim > 0)]


def _embedding(low: Lowering, table: np.ndarray, ids: Seq, axis: int) -> Seq:
    if table.ndim != 2 or axis != 0:
        raise UnsupportedError("embedding Gather needs a 2-D table and axis 0")
    if not np.issubdtype(table.dtype, np.floating):
        raise UnsupportedError(f"embedding table of type {table.dtype} (float expected)")
    if low.layers:
        raise UnsupportedError("an embedding must be the first layer")
    low.tokens = True
    low.input_size = 1
    low.append(ids, ir.EmbeddingLayer(low.new_name("embedding"), table.astype(np.float32)))
    return after_layer(ids, low, axes=ids.axes + (Axis("F", int(table.shape[1])),), dtype="float")


@op("Slice")
def _slice(low: Lowering, node, inputs):
    x = seq_input(inputs)
    starts, ends, axes, steps = slice_args(node, inputs, low.opset)
    if len(starts) != 1 or steps[0] != 1:
        raise UnsupportedError("Slice is supported on one axis with step 1 only")
    axis = _axis(axes[0], x)
    label = x.labels(low.graph.resolve)[axis]
    size = x.axes[axis].size
    if size is not None:        # a sized axis (directions): a full range is a no-op
        lo, hi = _clamp(starts[0], size), _clamp(ends[0], size)
        if (lo, hi) == (0, size):
            return [x]
        if hi - lo == 1:
            return [_select(low, x, axis, lo, keep_axis=True)]
        raise UnsupportedError(f"Slice [{starts[0]}:{ends[0]}] of axis {label}")
    if starts[0] >= 0 and ends[0] - starts[0] == 1:
        raise UnsupportedError(UNROLLED.format(step=starts[0]))
    if starts[0] != -1 or ends[0] < BIG:
        raise UnsupportedError("Slice of the time axis is supported only to take the last step ([-1:])")
    return [_select(low, x, axis, -1, keep_axis=True)]


def slice_args(node, inputs, opset: int):
    """(starts, ends, axes, steps) as int lists, from inputs (opset >= 10) or attributes."""
    if opset < 10:
        starts, ends = attr(node, "starts"), attr(node, "ends")
        if starts is None or ends is None:
            raise RnncError("Slice needs starts and ends")
        axes = attr(node, "axes") or list(range(len(starts)))
        return list(starts), list(ends), list(axes), [1] * len(starts)
    vals = [inputs[i] if i < len(inputs) else None for i in range(1, 5)]
    if any(v is not None and not is_const(v) for v in vals) or vals[0] is None or vals[1] is None:
        raise UnsupportedError("Slice needs constant starts and ends")
    starts, ends = (v.reshape(-1).astype(np.int64).tolist() for v in vals[:2])
    axes = vals[2].reshape(-1).astype(np.int64).tolist() if vals[2] is not None else list(range(len(starts)))
    steps = vals[3].reshape(-1).astype(np.int64).tolist() if vals[3] is not None else [1] * len(starts)
    if not len(starts) == len(ends) == len(axes) == len(steps):
        raise RnncError("Slice starts, ends, axes and steps differ in length")
    return starts, ends, axes, steps


def _clamp(i: int, size: int) -> int:
    return int(min(max(i + size if i < 0 else i, 0), size))


def _axis(axis: int, x: Seq) -> int:
    rank = len(x.axes)
    if not -rank <= axis < rank:
        raise RnncError(f"axis {axis} is out of range for rank {rank}")
    return axis % rank


def _select(low: Lowering, x: Seq, axis: int, index: int, keep_axis: bool) -> Seq:
    labels = x.labels(low.graph.resolve)
    if labels[axis] == "D":
        return _select_direction(x, axis, index, keep_axis)
    if labels[axis] == "B" and low.batchless and index in (0, -1):   # the one sequence of a (T, F) input
        return dataclasses.replace(x, axes=x.axes if keep_axis else x.axes[:axis] + x.axes[axis + 1:])
    if labels[axis] not in ("T", "?0", "?1"):
        raise UnsupportedError(f"selecting index {index} on axis {labels[axis]} "
                               "(only the last time step or one RNN direction/layer)")
    if index >= 0:
        raise UnsupportedError(UNROLLED.format(step=index))
    if index != -1:
        raise UnsupportedError(f"selecting time step {index}; only the last step (-1) is supported")
    if labels[axis].startswith("?"):   # no RNN said which input axis is time: this one is
        other = "?1" if labels[axis] == "?0" else "?0"
        low.graph.resolve.update({labels[axis]: "T", other: "B"})
    low.append(x, ir.LastStepLayer(low.new_name("last"), x.axes[-1].size))
    axes = tuple(Axis("T", 1) if i == axis else a for i, a in enumerate(x.axes) if keep_axis or i != axis)
    return after_layer(x, low, axes=axes, last_step=True, dense_index=None)


def _select_direction(x: Seq, axis: int, index: int, keep_axis: bool) -> Seq:
    """One entry of the direction axis: of a stack of layers' Y_h, that layer's piece; of a
    bidirectional output, one direction (joined again by Concat); of size 1, the value."""
    n = x.axes[axis].size
    if not -n <= index < n:
        raise RnncError(f"index {index} is out of range for the direction axis of size {n}")
    index %= n
    if x.pieces is not None:
        for piece in x.pieces:
            size = piece.axes[axis].size
            if index < size:
                return _select_direction(piece, axis, index, keep_axis)
            index -= size
    if x.dir_part is not None and n > 1:
        raise UnsupportedError("selecting a direction twice")
    part = x.dir_part if n == 1 else index
    axes = tuple(Axis("D", 1) if i == axis else a for i, a in enumerate(x.axes) if keep_axis or i != axis)
    return dataclasses.replace(x, axes=axes, dir_part=part)


@op("Concat")
def _concat(low: Lowering, node, inputs):
    if not inputs or not all(isinstance(v, Seq) for v in inputs):
        raise UnsupportedError("Concat of the sequence with a constant")
    if len(inputs) == 1:
        return [inputs[0]]
    labels = [v.labels(low.graph.resolve) for v in inputs]
    if any(l != labels[0] for l in labels):
        raise UnsupportedError(f"Concat of values with different axes {labels}")
    axis = _axis(int(attr(node, "axis", 0)), inputs[0])
    others = [[a.size for i, a in enumerate(v.axes) if i != axis] for v in inputs]
    if any(o != others[0] for o in others):
        raise UnsupportedError("Concat of values of different sizes")
    if labels[0][axis] == "D":
        size = sum(v.axes[axis].size for v in inputs)
        return [dataclasses.replace(inputs[0], axes=_resize(inputs[0].axes, axis, "D", size),
                                    pieces=tuple(inputs), dir_part=None)]
    if labels[0][axis] == "F" and axis == len(labels[0]) - 1:
        return [_join_directions(inputs, axis)]
    raise UnsupportedError(f"Concat along axis {axis} ({labels[0][axis]})")


def _join_directions(parts: list[Seq], axis: int) -> Seq:
    """cat(forward, backward) along the features: the whole bidirectional output again."""
    first = parts[0]
    whole = [p.dir_part for p in parts] == list(range(len(parts)))
    if not whole or any(p.origin != first.origin or p.version != first.version for p in parts):
        raise UnsupportedError("Concat along the features is supported only to rejoin the "
                               "directions of one bidirectional RNN, in order (forward, backward)")
    size = sum(p.axes[axis].size for p in parts)
    return dataclasses.replace(first, axes=_resize(first.axes, axis, "F", size), dir_part=None)


def _resize(axes, axis: int, label: str, size: int):
    return tuple(Axis(label, size) if i == axis else a for i, a in enumerate(axes))
