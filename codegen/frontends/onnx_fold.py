"""Constant folding of ONNX glue: plain constants through onnx.reference, and the shape
arithmetic PyTorch exports (Shape -> Gather -> Unsqueeze -> Concat -> Reshape /
ConstantOfShape) on symbolic shapes whose entries may be 'T' or 'B'."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from ..errors import RnncError, UnsupportedError
from .onnx_tensors import MAX_ELEMENTS, attribute_value, checked_attributes
from .onnx_values import SymZeros, is_const, is_symbolic

#: Ops folded on constants: the shape arithmetic and weight preprocessing exporters emit.
#: Anything else (Loop, If, Scan, random ops...) is refused: folding must stay bounded in time.
FOLDABLE = {
    "Abs", "Add", "And", "Cast", "CastLike", "Ceil", "Concat", "ConstantOfShape", "Div", "Equal",
    "Expand", "Flatten", "Floor", "Gather", "Greater", "GreaterOrEqual", "Identity", "Less",
    "LessOrEqual", "Max", "Min", "Mod", "Mul", "Neg", "Not", "Or", "Range", "ReduceMax",
    "ReduceMin", "ReduceProd", "ReduceSum", "Reshape", "Shape", "Size", "Slice", "Split",
    "Sqrt", "Squeeze", "Sub", "Tile", "Transpose", "Unsqueeze", "Where", "Dropout", "Reciprocal",
}
_ELEMENTWISE = {"Add", "And", "Div", "Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual",
                "Max", "Min", "Mod", "Mul", "Or", "Sub", "Where"}


def attr(node, name, default=None):
    """An attribute's value (tensors read through the guarded onnx_tensors.tensor_array)."""
    for a in node.attribute:
        if a.name == name:
            return attribute_value(a)
    return default


def fold_constant(node, inputs: list, opset: int = 17) -> list:
    """Evaluate a node whose inputs are all numpy constants with onnx's reference runtime
    (at the model's opset: Squeeze, Slice, Softmax... changed their signatures over time)."""
    if node.op_type not in FOLDABLE or node.domain not in ("", "ai.onnx"):
        raise UnsupportedError(f"{node.op_type} on constants is not supported")
    _check_fold_size(node, inputs)
    names = [f"in{i}" if v is not None else "" for i, v in enumerate(inputs)]
    outs = [f"out{i}" for i in range(len(node.output))]
    n = helper.make_node(node.op_type, names, outs, domain=node.domain or "")
    n.attribute.extend(checked_attributes(node))
    graph = helper.make_graph(
        [n], "fold",
        [helper.make_tensor_value_info(nm, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
         for nm, v in zip(names, inputs) if v is not None],
        [helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None) for o in outs])
    from onnx.reference import ReferenceEvaluator
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    res = ReferenceEvaluator(model).run(None, {nm: v for nm, v in zip(names, inputs) if v is not None})
    return [np.asarray(r) for r in res]


def _check_fold_size(node, inputs: list) -> None:
    """Refuse folds whose result would be huge (a 40-byte ConstantOfShape can ask for 2^60)."""
    present = [v for v in inputs if v is not None]
    if any(v.size > MAX_ELEMENTS for v in present):
        raise RnncError("constant is too large to fold")
    op = node.op_type
    if op in ("ConstantOfShape", "Expand", "Tile"):
        dims = [int(d) for d in present[-1].reshape(-1)] if len(present) > (op != "ConstantOfShape") else []
        if op == "Tile":
            n = present[0].size * int(np.prod([max(d, 0) for d in dims], dtype=object))
        elif op == "Expand":
            n = int(np.prod([max(d, 0) for d in _broadcast(present[0].shape, dims)], dtype=object))
        else:
            n = int(np.prod([max(d, 0) for d in dims], dtype=object))
    elif op == "Range" and len(present) == 3:
        start, limit, delta = (float(v.reshape(-1)[0]) for v in present)
        n = int(abs((limit - start) / delta)) + 1 if delta != 0 and np.isfinite(limit - start) else 0
    elif op in _ELEMENTWISE and present:
        n = int(np.prod(_broadcast_all([v.shape for v in present]), dtype=object))
    elif op == "Gather" and len(present) == 2:
        data, idx = present
        axis = int(attr(node, "axis", 0)) % max(data.ndim, 1)
        n = idx.size * (data.size // max(data.shape[axis] if data.ndim else 1, 1))
    else:
        return
    if n > MAX_ELEMENTS:
        raise RnncError(f"{op} would create {n} elements")


def _broadcast(a, b) -> list[int]:
    return _broadcast_all([tuple(a), tuple(b)])


def _broadcast_all(shapes) -> list[int]:
    """Numpy broadcasting of shapes, taking the larger size where they differ (upper bound)."""
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    return [max(int(d) for d in dims) for dims in zip(*padded)]


def fold_symbolic(node, inputs: list):
    """Shape arithmetic on object arrays; returns the output value or raises UnsupportedError."""
    op = node.op_type
    x = inputs[0]
    if isinstance(x, SymZeros):
        # zeros stay zeros under shape manipulation (PyTorch slices its initial state per layer)
        if op in ("Slice", "Gather", "Squeeze", "Unsqueeze", "Reshape", "Transpose", "Identity",
                  "Cast", "Expand", "Concat"):
            return SymZeros(())
        raise UnsupportedError(f"{op} on a batch-sized zero tensor")
    if op in ("Cast", "Identity"):
        return x
    if op == "Gather":
        idx = inputs[1]
        if not is_const(idx):
            raise UnsupportedError("Gather of a shape needs a constant index")
        return np.asarray(np.take(x, idx.astype(np.int64), axis=int(attr(node, "axis", 0))), dtype=object)
    if op == "Unsqueeze":
        axes = _axes(node, inputs)
        out = x
        for a in sorted(int(v) % (out.ndim + len(axes)) for v in axes):
            out = np.expand_dims(out, a)
        return np.asarray(out, dtype=object)
    if op == "Squeeze":
        axes = _axes(node, inputs)
        return np.asarray(np.squeeze(x, tuple(int(a) for a in axes)) if axes is not None else np.squeeze(x),
                          dtype=object)
    if op == "Concat":
        parts = [np.atleast_1d(np.asarray(p, dtype=object)) for p in inputs]
        return np.concatenate(parts, axis=int(attr(node, "axis", 0)))
    if op == "Slice":
        starts, ends = inputs[1], inputs[2]
        if not (is_const(starts) and is_const(ends)) or x.ndim != 1:
            raise UnsupportedError("Slice of a shape needs constant starts/ends")
        return x[int(starts[0]):int(min(ends[0], 1 << 30))]
    if op == "Expand" and is_const(x) and len(inputs) > 1 and is_symbolic(inputs[1]):
        # torch.zeros(1, batch, hidden): a constant zero broadcast to a batch-sized shape
        if x.size and np.all(x == 0):
            return SymZeros(tuple(inputs[1].reshape(-1).tolist()))
        raise UnsupportedError("Expand of a non-zero constant to a batch- or time-sized shape")
    if op == "ConstantOfShape":
        value = attr(node, "value")
        v = np.asarray(value).reshape(-1)[0] if value is not None else 0.0
        if v != 0:
            raise UnsupportedError("ConstantOfShape with a non-zero value on a symbolic shape")
        return SymZeros(tuple(x.tolist()))
    if op == "Shape":
        return np.array([len(x)], dtype=object)
    raise UnsupportedError(f"shape arithmetic with {op} on symbolic (batch/time) sizes")


def _axes(node, inputs):
    if len(inputs) > 1 and inputs[1] is not None:
        if not is_const(inputs[1]):
            raise UnsupportedError("axes must be constant")
        return [int(a) for a in inputs[1].reshape(-1)]
    a = attr(node, "axes")
    return list(a) if a is not None else None


def concrete(v):
    """A shape value whose entries are all numbers (no 'T'/'B' left) as a plain int64 array:
    the exporter's shape arithmetic on known sizes then folds like any constant."""
    if is_symbolic(v) and all(isinstance(e, (int, np.integer)) for e in v.reshape(-1).tolist()):
        return np.asarray(v.tolist(), np.int64).reshape(v.shape)
    return v


def is_foldable(inputs: list) -> bool:
    present = [v for v in inputs if v is not None]
    return bool(present) and all(is_const(v) for v in present)


def any_symbolic(inputs: list) -> bool:
    return any(is_symbolic(v) or isinstance(v, SymZeros) for v in inputs if v is not None)
