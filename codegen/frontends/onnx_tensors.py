"""The one guarded way to turn an ONNX TensorProto into numpy: every initializer, Constant
value and tensor-valued attribute (ConstantOfShape's `value`, attributes handed to the
constant folder) goes through `tensor_array`.

A TensorProto can name an external file for its data; numpy_helper would read that file
relative to the current directory, so a model could make rnnc read (and leak the start of)
any file on the machine. Such tensors are refused here, before anything is decoded.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import AttributeProto, helper, numpy_helper

from ..errors import RnncError, UnsupportedError

MAX_ELEMENTS = 1 << 26

_TENSOR_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16,
                 onnx.TensorProto.INT8, onnx.TensorProto.INT16, onnx.TensorProto.INT32,
                 onnx.TensorProto.INT64, onnx.TensorProto.UINT8, onnx.TensorProto.UINT16,
                 onnx.TensorProto.UINT32, onnx.TensorProto.UINT64, onnx.TensorProto.BOOL}


def safe_name(s: str) -> str:
    """Names from the file appear in messages only, cut short and printable."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(s))[:60]


def tensor_array(t, what: str) -> np.ndarray:
    """A TensorProto as a numpy array, refusing what is unsafe or absurd before decoding it."""
    name = f"{what} '{safe_name(t.name)}'" if t.name else what
    if t.data_location == onnx.TensorProto.EXTERNAL or len(t.external_data):
        raise UnsupportedError(f"{name} keeps its data in an external file; save the model as one file")
    if t.data_type not in _TENSOR_TYPES:
        raise UnsupportedError(f"{name} has element type {t.data_type}, not a plain number type")
    if any(d < 0 for d in t.dims):
        raise RnncError(f"{name} has a negative dimension {list(t.dims)[:8]}")
    n = int(np.prod([int(d) for d in t.dims], dtype=object)) if len(t.dims) else 1
    if n > MAX_ELEMENTS:
        raise RnncError(f"{name} is too large ({n} elements)")
    return numpy_helper.to_array(t)


def attribute_value(a):
    """An attribute's value; tensors come back as numpy arrays read through tensor_array."""
    if a.type == AttributeProto.TENSOR:
        return tensor_array(a.t, f"attribute '{safe_name(a.name)}'")
    if a.type == AttributeProto.TENSORS:
        return [tensor_array(t, f"attribute '{safe_name(a.name)}'") for t in a.tensors]
    if a.type in (AttributeProto.SPARSE_TENSOR, AttributeProto.SPARSE_TENSORS,
                  AttributeProto.GRAPH, AttributeProto.GRAPHS):
        raise UnsupportedError(f"attribute '{safe_name(a.name)}' holds a sparse tensor or a subgraph")
    return helper.get_attribute_value(a)


def checked_attributes(node) -> list:
    """The node's attributes with every tensor re-encoded from its checked numpy value, fit to
    hand to onnx's reference runtime (which would otherwise read external data itself)."""
    out = []
    for a in node.attribute:
        v = attribute_value(a)
        if a.type == AttributeProto.TENSOR:
            out.append(helper.make_attribute(a.name, numpy_helper.from_array(v)))
        elif a.type == AttributeProto.TENSORS:
            out.append(helper.make_attribute(a.name, [numpy_helper.from_array(t) for t in v]))
        else:
            out.append(a)
    return out
