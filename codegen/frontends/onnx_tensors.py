"""The one guarded way to turn an ONNX TensorProto into numpy: every initializer, Constant
value and tensor-valued attribute (ConstantOfShape's `value`, attributes handed to the
constant folder) goes through `tensor_array`.

External data (PyTorch's exporter saves weights beside the model as `model.onnx.data`) is read
here and only here, from the model's own folder (`external_data_from(folder)` around the
import): a location that is absolute, climbs out with '..', or resolves (through links) to a
file outside the folder is refused, as are offsets and lengths outside the file or not
matching the tensor's size. numpy_helper would read any path relative to the current
directory, so a model could make rnnc read, and leak the start of, any file on the machine.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
from pathlib import Path

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


#: the folder external data may be read from (None: the model is one file, none is read)
_EXTERNAL_BASE: contextvars.ContextVar[Path | None] = contextvars.ContextVar("rnnc_onnx_external_base", default=None)


@contextlib.contextmanager
def external_data_from(folder: Path | None):
    """Let tensor_array read external data from `folder` (the model's own) inside the block."""
    token = _EXTERNAL_BASE.set(Path(folder).resolve() if folder is not None else None)
    try:
        yield
    finally:
        _EXTERNAL_BASE.reset(token)


def tensor_array(t, what: str) -> np.ndarray:
    """A TensorProto as a numpy array, refusing what is unsafe or absurd before decoding it."""
    name = f"{what} '{safe_name(t.name)}'" if t.name else what
    if t.data_type not in _TENSOR_TYPES:
        raise UnsupportedError(f"{name} has element type {t.data_type}, not a plain number type")
    if any(d < 0 for d in t.dims):
        raise RnncError(f"{name} has a negative dimension {list(t.dims)[:8]}")
    n = int(np.prod([int(d) for d in t.dims], dtype=object)) if len(t.dims) else 1
    if n > MAX_ELEMENTS:
        raise RnncError(f"{name} is too large ({n} elements)")
    if t.data_location == onnx.TensorProto.EXTERNAL or len(t.external_data):
        return _external_array(t, name, n)
    return numpy_helper.to_array(t)


def _external_array(t, name: str, n: int) -> np.ndarray:
    base = _EXTERNAL_BASE.get()
    if base is None:
        raise UnsupportedError(f"{name} keeps its data in an external file, which is read only for "
                               "initializers of a model file (save the model as one file)")
    info = {e.key: e.value for e in t.external_data}
    location = info.get("location", "")
    rel = Path(location)
    if not location or rel.is_absolute() or ".." in rel.parts or location.startswith(("/", "\\")):
        raise UnsupportedError(f"{name} names external data '{safe_name(location)}' outside the model's "
                               "folder; rnnc reads external data only from beside the model")
    path = Path(os.path.realpath(base / rel))
    if path != base and base not in path.parents:
        raise UnsupportedError(f"{name}'s external data '{safe_name(location)}' leads out of the model's "
                               "folder (a link); rnnc reads external data only from beside the model")
    if not path.is_file():
        raise RnncError(f"{name}'s external data file '{safe_name(location)}' is missing beside the model")
    dtype = np.dtype(helper.tensor_dtype_to_np_dtype(t.data_type)).newbyteorder("<")
    try:
        offset = int(info.get("offset", 0))
        length = int(info.get("length", n * dtype.itemsize))
    except ValueError:
        raise RnncError(f"{name} has a malformed external data offset or length") from None
    size = path.stat().st_size
    if offset < 0 or length != n * dtype.itemsize or offset + length > size:
        raise RnncError(f"{name}: external data at offset {offset}, length {length} does not hold its "
                        f"{n} elements within '{safe_name(location)}' ({size} bytes)")
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read(length)
    return np.frombuffer(data, dtype).astype(dtype.newbyteorder("="), copy=True).reshape([int(d) for d in t.dims])


def attribute_value(a):
    """An attribute's value; tensors come back as numpy arrays read through tensor_array."""
    if a.type == AttributeProto.TENSOR:
        return tensor_array(a.t, "attribute" if a.t.name else f"attribute '{safe_name(a.name)}'")
    if a.type == AttributeProto.TENSORS:
        return [tensor_array(t, "attribute" if t.name else f"attribute '{safe_name(a.name)}'") for t in a.tensors]
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
