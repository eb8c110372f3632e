"""Handlers for ONNX ops applied to the sequence: glue changes axis labels, compute ops
append IR layers. Registered by op type in OPS."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import ir
from ..errors import RnncError, UnsupportedError
from .onnx_fold import attr
from .onnx_rnn import lower_rnn
from .onnx_values import Axis, Graph, Seq, is_const

OPS: dict[str, Callable] = {}


@dataclass
class Lowering:
    graph: Graph
    layers: list
    path: str
    input_size: int = 0
    tokens: bool = False
    sequence_lens: np.ndarray | None = None
    input_name: str = ""
    input_static: list = field(default_factory=list)
    consumers: dict[str, int] = field(default_factory=dict)

    def new_name(self, kind: str) -> str:
        return f"{kind}{len(self.layers)}"

    def append(self, seq_in: Seq, layer) -> None:
        if seq_in.version != len(self.layers):
            raise UnsupportedError("the graph branches: rnnc compiles a chain of layers")
        self.layers.append(layer)


def op(*names):
    def deco(fn):
        for n in names:
            OPS[n] = fn
        return fn
    return deco


def _seq(inputs, i=0) -> Seq:
    v = inputs[i] if i < len(inputs) else None
    if not isinstance(v, Seq):
        raise UnsupportedError("expected the sequence as input")
    return v


def _with(seq: Seq, low: Lowering, **kw) -> Seq:
    return dataclasses.replace(seq, version=kw.pop("version", len(low.layers)), **kw)


@op("Identity", "Dropout", "Cast")
def _passthrough(low, node, inputs):
    x = _seq(inputs)
    if node.op_type == "Cast" and x.dtype == "float" and attr(node, "to") not in (1, 10, 11):
        raise UnsupportedError("Cast of the float sequence to a non-float type")
    return [x, None]


@op("Transpose")
def _transpose(low, node, inputs):
    x = _seq(inputs)
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
    return None if axes is None else [a % rank for a in axes]


@op("Squeeze")
def _squeeze(low, node, inputs):
    x = _seq(inputs)
    axes = _axes_arg(node, inputs, len(x.axes))
    if axes is None:
        axes = [i for i, a in enumerate(x.axes) if a.size == 1]
    for i in axes:
        if x.axes[i].size != 1:
            raise UnsupportedError(f"Squeeze of axis {i} ({x.labels(low.graph.resolve)[i]}) which is not of size 1")
    return [dataclasses.replace(x, axes=tuple(a for i, a in enumerate(x.axes) if i not in axes))]


@op("Unsqueeze")
def _unsqueeze(low, node, inputs):
    x = _seq(inputs)
    rank = len(x.axes)
    axes = _axes_arg(node, inputs, rank + len(attr(node, "axes") or inputs[1].reshape(-1)))
    out = list(x.axes)
    for a in sorted(axes):
        out.insert(a, Axis("1", 1))
    return [dataclasses.replace(x, axes=tuple(out))]


@op("Reshape", "Flatten")
def _reshape(low, node, inputs):
    """Accept reshapes that keep time and batch as they are and only merge or drop the
    other axes (e.g. (T, B, D, H) -> (T, B, D*H) after a bidirectional RNN)."""
    x = _seq(inputs)
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


@op("LSTM", "GRU", "RNN")
def _rnn(low, node, inputs):
    x = _seq(inputs)
    layer, y, info = lower_rnn(node, inputs, low.graph, low.new_name(node.op_type.lower()))
    if info["seq_lens"] is not None:
        sl = np.asarray(info["seq_lens"], np.int64).reshape(-1)
        if low.sequence_lens is not None and not np.array_equal(sl, low.sequence_lens):
            raise UnsupportedError("stacked layers with different sequence_lens")
        low.sequence_lens = sl
    low.append(x, layer)
    y_used = low.consumers.get(node.output[0], 0) if node.output else 0
    yh_used = low.consumers.get(node.output[1], 0) if len(node.output) > 1 and node.output[1] else 0
    if len(node.output) > 2 and node.output[2] and low.consumers.get(node.output[2], 0):
        raise UnsupportedError("Y_c (the final cell state) is used; rnnc outputs the hidden sequence")
    y = _with(y, low)
    outs = [y, None, None]
    if yh_used:
        if y_used:
            raise UnsupportedError("both Y and Y_h are used: the graph branches")
        rw = {"forward": 0, "reverse": layer.hidden_size, "bidirectional": layer.hidden_size}[layer.direction]
        low.append(y, ir.LastStepLayer(low.new_name("last"), layer.output_size, rw))
        outs[1] = Seq(info["yh_axes"], version=len(low.layers), last_step=True)
    return outs


@op("MatMul")
def _matmul(low, node, inputs):
    x, w = _seq(inputs), inputs[1]
    if not is_const(w) or w.ndim != 2:
        raise UnsupportedError("MatMul needs a constant 2-D weight as its second input")
    return [_dense(low, x, w.T.astype(np.float32), np.zeros(w.shape[1], np.float32))]


@op("Gemm")
def _gemm(low, node, inputs):
    x, w = _seq(inputs), inputs[1]
    if not is_const(w) or w.ndim != 2 or int(attr(node, "transA", 0) or 0):
        raise UnsupportedError("Gemm needs a constant 2-D B and transA=0")
    w = w if int(attr(node, "transB", 0) or 0) else w.T
    alpha, beta = float(attr(node, "alpha", 1.0)), float(attr(node, "beta", 1.0))
    c = inputs[2] if len(inputs) > 2 and inputs[2] is not None else np.zeros(w.shape[0], np.float32)
    if not is_const(c):
        raise UnsupportedError("Gemm's C must be constant")
    bias = np.broadcast_to(np.asarray(c, np.float32).reshape(-1) if c.size == w.shape[0] else c,
                           (w.shape[0],)) * beta
    return [_dense(low, x, (w * alpha).astype(np.float32), bias.astype(np.float32))]


def _dense(low, x: Seq, w: np.ndarray, b: np.ndarray) -> Seq:
    labels = x.labels(low.graph.resolve)
    if labels[-1] != "F" or x.axes[-1].size != w.shape[1]:
        raise UnsupportedError(f"the weight ({w.shape[1]} inputs) does not apply to the feature axis of {labels}")
    if any(a.label not in ("T", "B", "F", "?0", "?1") and a.size != 1 for a in x.axes):
        raise UnsupportedError(f"dense layer on axes {labels}")
    layer = ir.DenseLayer(low.new_name("dense"), w, b.copy())
    low.append(x, layer)
    return _with(x, low, axes=x.axes[:-1] + (Axis("F", w.shape[0]),), dense_index=len(low.layers) - 1)


@op("Add")
def _add(low, node, inputs):
    seqs = [v for v in inputs if isinstance(v, Seq)]
    consts = [v for v in inputs if is_const(v)]
    if len(seqs) != 1 or len(consts) != 1:
        raise UnsupportedError("Add of two sequences (residual connections) is not supported")
    x, c = seqs[0], consts[0].astype(np.float32)
    width = x.axes[-1].size
    if x.dense_index is None or x.dense_index != len(low.layers) - 1 or c.size not in (1, width):
        raise UnsupportedError("Add of a constant is supported only as the bias after MatMul")
    layer = low.layers[x.dense_index]
    layer.bias = (layer.bias + np.broadcast_to(c.reshape(-1), (width,))).astype(np.float32)
    return [x]


@op("Relu", "Sigmoid", "Tanh", "LeakyRelu", "Softmax")
def _activation(low, node, inputs):
    x = _seq(inputs)
    labels = x.labels(low.graph.resolve)
    fn = node.op_type.lower()
    if fn == "softmax":
        axis = int(attr(node, "axis", -1)) % len(labels)
        if labels[axis] != "F" or axis != len(labels) - 1:
            raise UnsupportedError(f"Softmax over axis {axis} ({labels[axis]}) instead of the features")
    alpha = float(attr(node, "alpha", 0.01)) if fn == "leakyrelu" else None
    layer = ir.ActivationLayer(low.new_name(fn), fn, x.axes[-1].size, alpha)
    low.append(x, layer)
    return [_with(x, low, dense_index=None)]


@op("Gather")
def _gather(low, node, inputs):
    data, idx = inputs[0], inputs[1]
    if is_const(data) and isinstance(idx, Seq) and idx.dtype == "ids":
        if data.ndim != 2 or int(attr(node, "axis", 0)) != 0:
            raise UnsupportedError("embedding Gather needs a 2-D table and axis 0")
        if low.layers:
            raise UnsupportedError("an embedding must be the first layer")
        low.tokens = True
        low.input_size = 1
        layer = ir.EmbeddingLayer(low.new_name("embedding"), data.astype(np.float32))
        low.append(idx, layer)
        return [_with(idx, low, axes=idx.axes + (Axis("F", data.shape[1]),), dtype="float")]
    x = _seq(inputs)
    if not is_const(idx) or idx.size != 1:
        raise UnsupportedError("Gather on the sequence needs one constant index")
    return [_last_step(low, x, int(attr(node, "axis", 0)), int(idx.reshape(-1)[0]), keep_axis=idx.ndim > 0)]


@op("Slice")
def _slice(low, node, inputs):
    x = _seq(inputs)
    if not all(is_const(v) for v in inputs[1:3]):
        raise UnsupportedError("Slice needs constant starts and ends")
    starts, ends = inputs[1].reshape(-1), inputs[2].reshape(-1)
    axes = inputs[3].reshape(-1) if len(inputs) > 3 and inputs[3] is not None else np.arange(len(starts))
    steps = inputs[4].reshape(-1) if len(inputs) > 4 and inputs[4] is not None else np.ones(len(starts))
    if len(starts) != 1 or int(steps[0]) != 1 or int(starts[0]) != -1 or int(ends[0]) < 2 ** 30:
        raise UnsupportedError("Slice is supported only to take the last time step ([-1:])")
    return [_last_step(low, x, int(axes[0]), -1, keep_axis=True)]


def _last_step(low, x: Seq, axis: int, index: int, keep_axis: bool) -> Seq:
    labels = x.labels(low.graph.resolve)
    axis %= len(labels)
    if labels[axis] != "T" and not labels[axis].startswith("?"):
        raise UnsupportedError(f"selecting index {index} on axis {labels[axis]} (only the last time step is supported)")
    if labels[axis].startswith("?"):
        other = "?1" if labels[axis] == "?0" else "?0"
        low.graph.resolve.update({labels[axis]: "T", other: "B"})
    if index != -1:
        raise UnsupportedError(f"selecting time step {index}; only the last step (-1) is supported")
    low.append(x, ir.LastStepLayer(low.new_name("last"), x.axes[-1].size))
    axes = tuple(Axis("T", 1) if i == axis else a for i, a in enumerate(x.axes) if keep_axis or i != axis)
    return _with(x, low, axes=axes, last_step=True, dense_index=None)
