"""Generic (de)serialization of IR and quantized-model dataclasses to JSON + arrays.

The manifest written next to the generated C must let the simulator rebuild everything
without the original model file, so every dataclass in ir.py and qmodel.py goes through
here: numpy arrays are stored in an .npz under generated keys, everything else in JSON.

>>> import numpy as np
>>> from codegen.ir import DenseLayer
>>> arrays = {}
>>> doc = to_doc(DenseLayer("fc", np.ones((2, 3), np.float32), np.zeros(2, np.float32)), arrays, "l0")
>>> doc["__type__"], sorted(arrays)
('DenseLayer', ['l0.bias', 'l0.weight'])
>>> from_doc(doc, arrays).weight.shape
(2, 3)
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

_TYPES: dict[str, type] = {}


def register(cls: type) -> type:
    """Make a dataclass known to from_doc (done for ir.py and qmodel.py classes)."""
    _TYPES[cls.__name__] = cls
    return cls


def to_doc(obj: Any, arrays: dict[str, np.ndarray], key: str) -> Any:
    """Turn obj into JSON-able data, moving numpy arrays into `arrays` under `key`-based names."""
    if isinstance(obj, np.ndarray):
        arrays[key] = obj
        return {"__array__": key}
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        name = type(obj).__name__
        _TYPES.setdefault(name, type(obj))
        doc = {"__type__": name}
        for f in dataclasses.fields(obj):
            if not f.metadata.get("serialize", True):
                continue
            doc[f.name] = to_doc(getattr(obj, f.name), arrays, f"{key}.{f.name}")
        return doc
    if isinstance(obj, dict):
        return {"__dict__": [[to_doc(k, arrays, f"{key}.k{i}"), to_doc(v, arrays, f"{key}.{_safe(k, i)}")]
                             for i, (k, v) in enumerate(obj.items())]}
    if isinstance(obj, (list, tuple)):
        items = [to_doc(v, arrays, f"{key}.{i}") for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else {"__tuple__": items}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot serialize {type(obj).__name__} at {key}")


def from_doc(doc: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(doc, list):
        return [from_doc(v, arrays) for v in doc]
    if not isinstance(doc, dict):
        return doc
    if "__array__" in doc:
        if not isinstance(doc["__array__"], str) or doc["__array__"] not in arrays:
            raise KeyError(f"array {str(doc['__array__'])[:60]!r} is missing from arrays.npz")
        return np.asarray(arrays[doc["__array__"]])
    if "__tuple__" in doc:
        return tuple(from_doc(v, arrays) for v in doc["__tuple__"])
    if "__dict__" in doc:
        return {from_doc(k, arrays): from_doc(v, arrays) for k, v in doc["__dict__"]}
    cls = _TYPES.get(doc.get("__type__")) if isinstance(doc.get("__type__"), str) else None
    if cls is None:
        raise TypeError(f"unknown object type {str(doc.get('__type__'))[:40]!r}")
    kwargs = {k: from_doc(v, arrays) for k, v in doc.items() if k != "__type__"}
    init_names = {f.name for f in dataclasses.fields(cls) if f.init}
    obj = cls(**{k: v for k, v in kwargs.items() if k in init_names})
    return obj


def _safe(k: Any, i: int) -> str:
    s = str(k)
    return s if s.replace("_", "").isalnum() else f"k{i}"


def _register_ir() -> None:
    from . import ir
    for cls in (ir.QuantParams, ir.ActivationSpec, ir.GateWeights, ir.DirectionParams,
                ir.RecurrentLayer, ir.DenseLayer, ir.ActivationLayer, ir.EmbeddingLayer,
                ir.LastStepLayer, ir.ConvertLayer, ir.StateTensor, ir.Model):
        register(cls)


_register_ir()
