"""Handlers for ONNX ops applied to the sequence: glue changes axis labels, compute ops
append IR layers. Selection ops (Gather, Slice, Concat) live in onnx_select."""
from __future__ import annotations

import dataclasses

import numpy as np

from .. import ir
from ..errors import RnncError, UnsupportedError
from .onnx_fold import attr
from .onnx_lowering import after_layer, op, seq_input
from .onnx_rnn import lower_rnn
from .onnx_values import Axis, Seq, is_const


@op("Identity", "Dropout", "Cast")
def _passthrough(low, node, inputs):
    x = seq_input(inputs)
    if node.op_type == "Cast" and x.dtype == "float" and attr(node, "to") not in (1, 10, 11):
        raise UnsupportedError("Cast of the float sequence to a non-float type")
    return [x, None]


@op("Transpose")
def _transpose(low, node, inputs):
    x = seq_input(inputs)
    perm = attr(node, "perm") or list(reversed(range(len(x.axes))))
    if sorted(perm) != list(range(len(x.axes))):
        raise RnncError(f"perm {list(perm)} does not fit rank {len(x.axes)}")
    return [dataclasses.replace(x, axes=tuple(x.axes[p] for p in perm))]


def _axes_arg(node, inputs, rank):
    if len(inputs) > 1 and inputs[1] is not None:
        if not is_const(inputs[1]):
            raise UnsupportedError("axes must be constant")
        axes = [int(a) for a in inputs[1].reshape(-1)]
    else:
        axes = attr(node, "axes")
        axes = list(axes) if axes is not None else None
    if axes is not None and any(not -rank <= a < rank for a in axes):
        raise RnncError(f"axes {axes} are out of range for rank {rank}")
    return None if axes is None else [a % rank for a in axes]


@op("Squeeze")
def _squeeze(low, node, inputs):
    x = seq_input(inputs)
    axes = _axes_arg(node, inputs, len(x.axes))
    if axes == []:   # onnxruntime squeezes every unit axis, numpy none
        raise UnsupportedError("Squeeze with an empty axes list is ambiguous; give the axes")
    if axes is None:   # the unit axes we know of (time and batch sizes are not fixed)
        axes = [i for i, a in enumerate(x.axes) if a.size == 1]
    for i in axes:
        if x.axes[i].size != 1:
            raise UnsupportedError(f"Squeeze of axis {i} ({x.labels(low.graph.resolve)[i]}) which is not of size 1")
    return [dataclasses.replace(x, axes=tuple(a for i, a in enumerate(x.axes) if i not in axes))]


@op("Unsqueeze")
def _unsqueeze(low, node, inputs):
    x = seq_input(inputs)
    rank = len(x.axes)
    axes = _axes_arg(node, inputs, rank + len(attr(node, "axes") or inputs[1].reshape(-1)))
    out = list(x.axes)
    labels = x.labels(low.graph.resolve)
    for a in sorted(axes):
        # a (time, features) input gets its batch axis here: one sequence per row
        batch = low.batchless and "B" not in labels and "?1" not in [b.label for b in out] and len(out) == 2
        out.insert(a, Axis("?1") if batch else Axis("1", 1))
    return [dataclasses.replace(x, axes=tuple(out))]


@op("Reshape", "Flatten")
def _reshape(low, node, inputs):
    """Accept reshapes that keep time and batch as they are and only merge or drop the
    other axes (e.g. (T, B, D, H) -> (T, B, D*H) after a bidirectional RNN)."""
    x = seq_input(inputs)
    res = low.graph.resolve
    labels = x.labels(res)
    if node.op_type == "Flatten":
        k = int(attr(node, "axis", 1)) % max(len(labels), 1)
        target = list(x.axes[:k]) + [None]
    else:
        shape = inputs[1]
        if shape is None or not isinstance(shape, np.ndarray):
            raise UnsupportedError("Reshape needs a constant or folded shape")
        target = []
        for i, d in enumerate(shape.reshape(-1).tolist()):
            if d == 0 and i < len(x.axes):
                target.append(x.axes[i])
            elif isinstance(d, str):
                target.append(next((a for a, l in zip(x.axes, labels) if l == d or a.label == d), d))
            elif d == -1:
                target.append(None)
            else:
                target.append(int(d))
    keep = [a for a in x.axes if a.size is None]  # time / batch axes
    target = _static_time_batch(low, x, labels, target)
    target = _infer_dynamic(x, target)
    kept_out = [t for t in target if isinstance(t, Axis) and t.size is None]
    if [a.label for a in keep] != [a.label for a in kept_out]:
        raise UnsupportedError(f"Reshape {labels} -> {target} would merge or reorder time and batch")
    feat_in = int(np.prod([a.size for a in x.axes if a.size is not None]))
    known = int(np.prod([t if isinstance(t, int) else (t.size or 1) for t in target
                         if not (isinstance(t, Axis) and t.size is None) and t is not None]))
    out = []
    for t in target:
        if t is None:
            t = feat_in // max(known, 1)
        out.append(t if isinstance(t, Axis) else Axis("1" if t == 1 else "F", int(t)))
    if int(np.prod([a.size for a in out if a.size is not None])) != feat_in:
        raise RnncError(f"Reshape to {target} does not preserve the {feat_in} feature values")
    non_unit = [a for a in x.axes if a.size not in (None, 1)]
    if len([a for a in out if a.size not in (None, 1)]) > 1 and len(non_unit) > 0 and \
            [a.size for a in out if a.size not in (None, 1)] != [a.size for a in non_unit]:
        raise UnsupportedError(f"Reshape splits the feature axis ({labels} -> {target})")
    if len(non_unit) > 1:     # merging (D, H): only valid with D before H, after T/B
        pos = [labels.index(l) for l in labels if l in ("D", "F")]
        if labels[pos[0]] != "D" or pos != list(range(pos[0], pos[0] + len(pos))) or \
                any(labels.index(l) > pos[0] for l in ("T", "B") if l in labels):
            raise UnsupportedError(f"Reshape {labels} interleaves directions and features")
        out = [a if a.size in (None, 1) or a.label != "D" else a for a in out]
    out = tuple(Axis("F", a.size) if a.label == "D" else a for a in out)
    if sum(1 for a in out if a.label == "F") > 1:
        raise UnsupportedError(f"Reshape result {target} has several feature axes")
    return [dataclasses.replace(x, axes=out)]


def _static_time_batch(low, x: Seq, labels, target: list) -> list:
    """A model exported with a fixed batch and time writes them as numbers in the Reshape
    target ([20, 1, 128] for (T, B, D, H) -> (T, B, D*H)): a number in the place of the time or
    batch axis that equals its fixed size is that axis. The exporter also writes the time it
    traced with where the input declares a dynamic time; such a number, with the features
    after it accounting for every feature value, is taken as the time axis too."""
    out = list(target)
    feat_in = int(np.prod([a.size for a in x.axes if a.size is not None]))
    for i, (a, lab) in enumerate(zip(x.axes, labels)):
        if a.size is not None or i >= len(out) or not isinstance(out[i], int) or out[i] <= 0:
            continue
        static = _static_size(low, lab)
        after = out[i + 2:]    # what follows (time, batch): the merged features
        traced = static is None and lab == "T" and after and all(isinstance(t, int) for t in after) \
            and int(np.prod(after)) == feat_in
        if out[i] == static or traced:
            out[i] = a
    return out


def _static_size(low, label: str) -> int | None:
    """The fixed size of the input's time or batch axis, if the model declares one."""
    if label == "B" and low.batchless:
        return 1
    res = low.graph.resolve
    for i, d in enumerate(low.input_static[:2]):
        if d and (res.get(f"?{i}") == label or f"?{i}" == label):
            return int(d)
    return None


def _infer_dynamic(x: Seq, target: list) -> list:
    """Keras/tf2onnx write (B, 2H) as [-1, 2H]: the -1 is the one dynamic axis not placed
    otherwise, when the fixed sizes already account for every feature value."""
    if target.count(None) != 1:
        return target
    placed = {id(t) for t in target if isinstance(t, Axis)}
    free = [a for a in x.axes if a.size is None and id(a) not in placed]
    feat_in = int(np.prod([a.size for a in x.axes if a.size is not None]))
    fixed = int(np.prod([t if isinstance(t, int) else t.size for t in target
                         if t is not None and not (isinstance(t, Axis) and t.size is None)]))
    if len(free) == 1 and fixed == feat_in:
        return [free[0] if t is None else t for t in target]
    return target


@op("LSTM", "GRU", "RNN")
def _rnn(low, node, inputs):
    x = seq_input(inputs)
    layer, info = lower_rnn(node, inputs, low.graph, low.new_name(node.op_type.lower()))
    _set_sequence_lens(low, info["seq_lens"])
    low.append(x, layer)
    low.state_used += [(st, layer, role) for st, role in info["state_in"]]
    origin, version = low.new_origin(), len(low.layers)
    # Y_h is the output at the last valid step; a backward direction's final state is step 0's
    reverse_width = 0 if layer.direction == "forward" else layer.hidden_size
    y = Seq(info["y_axes"], version=version, origin=origin)
    y_h = Seq(info["yh_axes"], version=version, origin=origin, last_step=True,
              pending=("last", layer.output_size, reverse_width), rnn_state=(layer, "h"))
    y_c = Seq(info["yh_axes"], version=version, origin=origin, last_step=True, pending=("cell",),
              rnn_state=(layer, "c"))
    return [y, y_h, y_c]


def _set_sequence_lens(low, seq_lens) -> None:
    if seq_lens is None:
        return
    if not np.issubdtype(seq_lens.dtype, np.integer) or seq_lens.ndim != 1:
        raise RnncError(f"sequence_lens must be a 1-D integer tensor, got {seq_lens.dtype} {seq_lens.shape}")
    sl = seq_lens.astype(np.int64)
    t = _static_time(low)
    if np.any(sl < 0) or (t is not None and np.any(sl > t)):
        raise RnncError(f"sequence_lens {sl.tolist()[:8]} must lie in [0, {t or 'T'}]")
    if low.sequence_lens is not None and not np.array_equal(sl, low.sequence_lens):
        raise UnsupportedError("stacked layers with different sequence_lens")
    low.sequence_lens = sl


def _static_time(low) -> int | None:
    return _static_size(low, "T")


@op("MatMul")
def _matmul(low, node, inputs):
    x, w = seq_input(inputs), inputs[1]
    if not is_const(w) or w.ndim != 2:
        raise UnsupportedError("MatMul needs a constant 2-D weight as its second input")
    return [_dense(low, x, w.T.astype(np.float32), np.zeros(w.shape[1], np.float32))]


@op("Gemm")
def _gemm(low, node, inputs):
    x, w = seq_input(inputs), inputs[1]
    if not is_const(w) or w.ndim != 2 or int(attr(node, "transA", 0) or 0):
        raise UnsupportedError("Gemm needs a constant 2-D B and transA=0")
    w = w if int(attr(node, "transB", 0) or 0) else w.T
    alpha, beta = float(attr(node, "alpha", 1.0)), float(attr(node, "beta", 1.0))
    c = inputs[2] if len(inputs) > 2 and inputs[2] is not None else np.zeros(w.shape[0], np.float32)
    if not is_const(c):
        raise UnsupportedError("Gemm's C must be constant")
    with np.errstate(all="ignore"):   # an absurd alpha or beta gives Inf/NaN, refused by name later
        bias = _bias_vector(c, w.shape[0]) * np.float32(beta)
        w = (w * alpha).astype(np.float32)
    return [_dense(low, x, w, bias.astype(np.float32))]


def _dense(low, x: Seq, w: np.ndarray, b: np.ndarray) -> Seq:
    labels = x.labels(low.graph.resolve)
    if labels[-1] != "F" or x.axes[-1].size != w.shape[1]:
        raise UnsupportedError(f"the weight ({w.shape[1]} inputs) does not apply to the feature axis of {labels}")
    if any(a.label not in ("T", "B", "F", "?0", "?1") and a.size != 1 for a in x.axes):
        raise UnsupportedError(f"dense layer on axes {labels}")
    layer = ir.DenseLayer(low.new_name("dense"), w, b.copy())
    low.append(x, layer)
    return after_layer(x, low, axes=x.axes[:-1] + (Axis("F", w.shape[0]),), dense_index=len(low.layers) - 1)


@op("Add")
def _add(low, node, inputs):
    seqs = [v for v in inputs if isinstance(v, Seq)]
    consts = [v for v in inputs if is_const(v)]
    if len(seqs) != 1 or len(consts) != 1:
        raise UnsupportedError("Add of two sequences (residual connections) is not supported")
    x, c = seqs[0], consts[0]
    after_dense = x.dense_index is not None and x.dense_index == len(low.layers) - 1 == x.version - 1
    if not after_dense or x.labels(low.graph.resolve)[-1] != "F" or c.ndim > len(x.axes):
        raise UnsupportedError("Add of a constant is supported only as the bias after MatMul/Gemm")
    layer = low.layers[x.dense_index]
    layer.bias = (layer.bias + _bias_vector(c, layer.output_size)).astype(np.float32)
    return [x]


def _bias_vector(c: np.ndarray, width: int) -> np.ndarray:
    """A constant that broadcasts along the feature axis only: shape (..., 1 or width), ones before."""
    c = np.asarray(c)
    if c.ndim and (any(d != 1 for d in c.shape[:-1]) or c.shape[-1] not in (1, width)):
        raise UnsupportedError(f"bias of shape {c.shape} does not broadcast over {width} features only")
    return np.broadcast_to(c.astype(np.float32).reshape(-1), (width,)).astype(np.float32)


@op("Relu", "Sigmoid", "Tanh", "LeakyRelu", "Softmax")
def _activation(low, node, inputs):
    x = seq_input(inputs)
    labels = x.labels(low.graph.resolve)
    fn = node.op_type.lower()
    if fn == "softmax":
        _check_softmax_axis(low, node, x, labels)
    alpha = float(attr(node, "alpha", 0.01)) if fn == "leakyrelu" else None
    layer = ir.ActivationLayer(low.new_name(fn), fn, x.axes[-1].size, alpha)
    low.append(x, layer)
    return [after_layer(x, low, dense_index=None)]


def _check_softmax_axis(low, node, x: Seq, labels) -> None:
    """Opset 13+ normalizes over one axis (default -1); before, over the flattened axes from
    `axis` (default 1) on: fine when those are unit axes followed by the features."""
    rank = len(labels)
    axis = int(attr(node, "axis", -1 if low.opset >= 13 else 1))
    if not -rank <= axis < rank:
        raise RnncError(f"Softmax axis {axis} is out of range for rank {rank}")
    axis %= rank
    units_between = all(a.size == 1 for a in x.axes[axis:-1])
    if labels[-1] != "F" or (axis != rank - 1 and (low.opset >= 13 or not units_between)):
        raise UnsupportedError(f"Softmax over axis {axis} ({labels[axis]}) instead of the features")
