"""Constant folding of ONNX glue: plain constants through onnx.reference, and the shape
arithmetic PyTorch exports (Shape -> Gather -> Unsqueeze -> Concat -> Reshape /
ConstantOfShape) on symbolic shapes whose entries may be 'T' or 'B'."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from ..errors import RnncError, UnsupportedError
from .onnx_values import SymZeros, is_const, is_symbolic

MAX_ELEMENTS = 1 << 26


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def fold_constant(node, inputs: list) -> list:
    """Evaluate a node whose inputs are all numpy constants with onnx's reference runtime."""
    for v in inputs:
        if v is not None and v.size > MAX_ELEMENTS:
            raise RnncError("constant is too large to fold")
    names = [f"in{i}" if v is not None else "" for i, v in enumerate(inputs)]
    outs = [f"out{i}" for i in range(len(node.output))]
    n = helper.make_node(node.op_type, names, outs, domain=node.domain or "")
    n.attribute.extend(node.attribute)
    graph = helper.make_graph(
        [n], "fold",
        [helper.make_tensor_value_info(nm, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
         for nm, v in zip(names, inputs) if v is not None],
        [helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None) for o in outs])
    from onnx.reference import ReferenceEvaluator
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    res = ReferenceEvaluator(model).run(None, {nm: v for nm, v in zip(names, inputs) if v is not None})
    return [np.asarray(r) for r in res]


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
    if op == "ConstantOfShape":
        value = attr(node, "value")
        v = onnx.numpy_helper.to_array(value).reshape(-1)[0] if value is not None else 0.0
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


def is_foldable(inputs: list) -> bool:
    present = [v for v in inputs if v is not None]
    return bool(present) and all(is_const(v) for v in present)


def any_symbolic(inputs: list) -> bool:
    return any(is_symbolic(v) or isinstance(v, SymZeros) for v in inputs if v is not None)
