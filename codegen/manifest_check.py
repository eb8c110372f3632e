"""Validation of a loaded manifest: a tampered, truncated or hand-edited manifest is refused
with a message naming the file, the layer and the field, never run.

Two levels:
- the model as a whole (this module): field types, sizes within bounds, the layer chain
  (each layer's input is the previous layer's output: sizes and dtypes), the model's input and
  output against its first and last layers;
- each layer's parameters: the function registered with `@validator(kind, family=...)` beside the
  layer's quantizer (which owns the meaning of its arrays and attrs) checks every array's
  dtype and shape and every scalar's range, so that neither the simulator nor the generated C
  can meet a value its arithmetic is not defined for.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import ir
from .errors import RnncError
from .qmodel import NUMPY_TYPES, QLayer, QModel

MAX_WIDTH = 1 << 20
MAX_LAYERS = 10_000
MAX_STEPS = 1 << 20
INT32 = (-2 ** 31, 2 ** 31 - 1)
DTYPE_RANGES = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": INT32}


class ManifestError(RnncError):
    """A manifest that does not describe a model rnnc could have written."""


class Check:
    """Typed access to one object's fields; every failure names the file and the place."""

    def __init__(self, file: str, where: str):
        self.file, self.where = file, where

    def fail(self, reason: str):
        raise ManifestError(f"manifest is invalid: {reason}", file=self.file, where=self.where)

    def int(self, d: dict, key: str, lo: int, hi: int) -> int:
        v = d.get(key) if isinstance(d, dict) else None
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            self.fail(f"'{key}' must be an integer, got {_show(v)}")
        if not lo <= int(v) <= hi:
            self.fail(f"'{key}' = {int(v)} is outside [{lo}, {hi}]")
        return int(v)

    def ints(self, d: dict, key: str, n: int, lo: int, hi: int) -> list[int]:
        v = d.get(key) if isinstance(d, dict) else None
        if not isinstance(v, (list, tuple)) or len(v) != n:
            self.fail(f"'{key}' must be a list of {n} integers, got {_show(v)}")
        return [self.int({key: x}, key, lo, hi) for x in v]

    def number(self, d: dict, key: str, positive: bool = False) -> float:
        v = d.get(key) if isinstance(d, dict) else None
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
            self.fail(f"'{key}' must be a finite number, got {_show(v)}")
        if positive and not v > 0:
            self.fail(f"'{key}' must be positive, got {v}")
        return float(v)

    def choice(self, d: dict, key: str, options) -> Any:
        v = d.get(key) if isinstance(d, dict) else None
        if v not in options or isinstance(v, bool) != any(isinstance(o, bool) for o in options):
            self.fail(f"'{key}' must be one of {sorted(map(str, options))}, got {_show(v)}")
        return v

    def array(self, arrays: dict, name: str, dtypes, shape: tuple[int, ...]) -> np.ndarray:
        a = arrays.get(name) if isinstance(arrays, dict) else None
        if not isinstance(a, np.ndarray):
            self.fail(f"array '{name}' is missing")
        dtypes = (dtypes,) if isinstance(dtypes, str) else tuple(dtypes)
        if a.dtype.name not in dtypes:
            self.fail(f"array '{name}' has dtype {a.dtype.name}, expected {' or '.join(dtypes)}")
        if tuple(a.shape) != tuple(int(s) for s in shape):
            self.fail(f"array '{name}' has shape {tuple(a.shape)}, expected {tuple(shape)}")
        return a

    def values(self, a: np.ndarray, name: str, lo, hi) -> None:
        if a.size and (a.min() < lo or a.max() > hi):
            self.fail(f"array '{name}' has values outside [{lo}, {hi}]")


def _show(v) -> str:
    s = repr(v)
    return s if len(s) <= 40 else s[:37] + "..."


def check_quant(c: Check, q, dtype: str | None, what: str):
    """A QuantParams (or None) of the given activation dtype."""
    if q is None:
        return None
    if not isinstance(q, ir.QuantParams):
        c.fail(f"{what} is not a quantization")
    if q.dtype != dtype:
        c.fail(f"{what} is {q.dtype}, expected {dtype}")
    c.number({"scale": q.scale}, "scale", positive=True)
    lo, hi = DTYPE_RANGES.get(dtype, INT32)
    c.int({"zero_point": q.zero_point}, "zero_point", lo, hi)
    return q


def validate_qmodel(qm: QModel, file: str) -> None:
    from . import kernel_variants
    from .emit.names import check_prefix
    from .registry import validate_layer
    c = Check(file, "model")
    for key in ("name", "source", "sha256", "scheme", "target", "input_dtype", "output_dtype", "flavour", "kernels"):
        if not isinstance(getattr(qm, key), str):
            c.fail(f"'{key}' must be a string")
    try:
        check_prefix(qm.name)
    except RnncError as e:
        c.fail(f"prefix: {e.reason}")
    c.choice({"kernels": qm.kernels}, "kernels", list(kernel_variants.MACROS))
    c.choice({"input_kind": qm.input_kind}, "input_kind", ["float", "tokens"])
    c.int({"max_steps": qm.max_steps}, "max_steps", 1, MAX_STEPS)
    layers = qm.layers
    if not isinstance(layers, list) or not layers or len(layers) > MAX_LAYERS:
        c.fail("'layers' must be a non-empty list")
    prev_size, prev_dtype = qm.input_size, qm.input_dtype
    for i, q in enumerate(layers):
        if not isinstance(q, QLayer):
            c.fail(f"layer {i} is not a layer")
        lc = Check(file, f"layer {i}")
        if not isinstance(q.name, str) or not q.name or not isinstance(q.kind, str) or not isinstance(q.scheme, str):
            lc.fail("'name', 'kind' and 'scheme' must be strings")
        lc = Check(file, f"layer {i} '{q.name[:40]}' ({q.kind[:20]}, {q.scheme[:20]})")
        in_size = lc.int({"in_size": q.in_size}, "in_size", 1, MAX_WIDTH)
        lc.int({"out_size": q.out_size}, "out_size", 1, MAX_WIDTH)
        lc.choice({"in_dtype": q.in_dtype}, "in_dtype", list(NUMPY_TYPES))
        lc.choice({"out_dtype": q.out_dtype}, "out_dtype", list(NUMPY_TYPES))
        lc.choice({"causal": q.causal}, "causal", [True, False])
        if not isinstance(q.attrs, dict) or not isinstance(q.arrays, dict):
            lc.fail("'attrs' and 'arrays' must be dictionaries")
        if in_size != prev_size or q.in_dtype != prev_dtype:
            lc.fail(f"takes {in_size} x {q.in_dtype} but the previous output is {prev_size} x {prev_dtype}")
        check_quant(lc, q.in_q, q.in_dtype, "in_q") if q.in_dtype != "int32" else None
        check_quant(lc, q.out_q, q.out_dtype, "out_q")
        if q.ir is not None and (getattr(q.ir, "kind", None) != q.kind or
                                 not isinstance(q.ir, (ir.RecurrentLayer, ir.DenseLayer, ir.ActivationLayer,
                                                       ir.EmbeddingLayer, ir.LastStepLayer, ir.ConvertLayer))):
            lc.fail("the float layer it came from is of another kind")
        validate_layer(q, lc)
        prev_size, prev_dtype = q.out_size, q.out_dtype
    if qm.output_size != prev_size or qm.output_dtype != prev_dtype:
        c.fail(f"the model output ({qm.output_size} x {qm.output_dtype}) is not the last layer's "
               f"({prev_size} x {prev_dtype})")
    if qm.input_dtype in ("int8", "int16"):
        check_quant(c, qm.input_q, qm.input_dtype, "input_q")
    if qm.output_dtype in ("int8", "int16"):
        check_quant(c, qm.output_q, qm.output_dtype, "output_q")
    _check_state(qm, c)
    if qm.sequence_lens is not None:
        sl = qm.sequence_lens
        if not isinstance(sl, np.ndarray) or sl.ndim != 1 or not np.issubdtype(sl.dtype, np.integer) or \
                sl.size == 0 or sl.min() < 0 or sl.max() > MAX_STEPS:
            c.fail("'sequence_lens' must be a list of non-negative integers")


def _check_state(qm: QModel, c: Check) -> None:
    """state_fields (the fields of <prefix>_state_t) and state_io (the model's state tensors)."""
    if not isinstance(qm.state_fields, list) or not isinstance(qm.state_io, list):
        c.fail("'state_fields' and 'state_io' must be lists")
    fields = set()
    for f in qm.state_fields:
        if not isinstance(f, dict):
            c.fail("a state field is not a dictionary")
        i = c.int(f, "layer", 0, len(qm.layers) - 1)
        role = c.choice(f, "role", ["h", "c"])
        c.choice(f, "dtype", ["float32", "int8", "int16"])
        if c.int(f, "count", 1, MAX_WIDTH) != qm.layers[i].attrs.get("hidden_size", qm.layers[i].out_size):
            c.fail(f"state field '{role}' of layer {i} does not have the layer's hidden size")
        fields.add((qm.layers[i].name, role))
    names = {q.name for q in qm.layers}
    for t in qm.state_io:
        if not isinstance(t, ir.StateTensor) or t.io not in ("in", "out") or t.role not in ("h", "c") or \
                not isinstance(t.name, str) or not isinstance(t.layers, list) or not t.layers or \
                t.layout not in ("LBH", "BH") or t.dtype not in ("float32", "int8", "int16"):
            c.fail("a state tensor is malformed")
        for layer in t.layers:
            if layer not in names or (layer, t.role) not in fields:
                c.fail(f"state tensor '{t.name[:40]}' names layer '{str(layer)[:40]}', which keeps no '{t.role}' state")


def _float_array(c: Check, a, what: str, shape: tuple[int, ...]) -> None:
    if not isinstance(a, np.ndarray) or a.dtype.name not in ("float32", "float64") or tuple(a.shape) != shape:
        c.fail(f"{what} must be a float array of shape {shape}")
    if not np.all(np.isfinite(a)):
        c.fail(f"{what} contains NaN or Inf")


def check_float_layer(q, c: Check) -> None:
    """The float IR layer a float QLayer computes with (its weights live in the IR)."""
    layer = q.ir
    if layer is None:
        c.fail("the float layer's weights are missing")
    if isinstance(layer, ir.RecurrentLayer):
        _check_recurrent(q, layer, c)
    elif isinstance(layer, ir.DenseLayer):
        if not isinstance(layer.weight, np.ndarray) or layer.weight.ndim != 2:
            c.fail("the dense weight must be a matrix")
        _float_array(c, layer.weight, "weight", (q.out_size, q.in_size))
        _float_array(c, layer.bias, "bias", (q.out_size,))
    elif isinstance(layer, ir.ActivationLayer):
        c.choice({"function": layer.function}, "function", ["relu", "sigmoid", "tanh", "softmax", "leakyrelu"])
        if layer.alpha is not None:
            c.number({"alpha": layer.alpha}, "alpha")
        if layer.size != q.in_size or q.in_size != q.out_size:
            c.fail("an activation keeps its width")
    elif isinstance(layer, ir.EmbeddingLayer):
        if not isinstance(layer.table, np.ndarray) or layer.table.ndim != 2 or q.in_size != 1:
            c.fail("the embedding table must be a (vocabulary, width) matrix")
        _float_array(c, layer.table, "table", (layer.table.shape[0], q.out_size))
    elif isinstance(layer, ir.LastStepLayer):
        check_last_step(q, c)
    else:
        c.fail("unknown float layer")


def _check_recurrent(q, layer: ir.RecurrentLayer, c: Check) -> None:
    c.choice({"direction": layer.direction}, "direction", ["forward", "reverse", "bidirectional"])
    H, In = c.int({"hidden_size": layer.hidden_size}, "hidden_size", 1, MAX_WIDTH), layer.input_size
    c.int({"input_size": In}, "input_size", 1, MAX_WIDTH)
    if not isinstance(layer.dirs, list) or len(layer.dirs) != layer.num_directions:
        c.fail("the number of directions does not match 'direction'")
    if (q.in_size, q.out_size) != (In, layer.output_size) or q.causal != layer.causal:
        c.fail("sizes or causality differ from the float layer's")
    c.choice({"linear_before_reset": layer.linear_before_reset}, "linear_before_reset", [True, False])
    if layer.clip is not None:
        c.number({"clip": layer.clip}, "clip", positive=True)
    acts = layer.activations or ()
    if not isinstance(acts, tuple) or len(acts) not in (0, len(ir.DEFAULT_ACTIVATIONS[layer.kind]) * len(layer.dirs),
                                                         len(ir.DEFAULT_ACTIVATIONS[layer.kind])):
        c.fail("wrong number of activations")
    for a in acts:
        if not isinstance(a, ir.ActivationSpec) or a.name not in ir.RNN_ACTIVATIONS:
            c.fail("unknown activation")
        for v in (a.alpha, a.beta):
            if v is not None:
                c.number({"alpha/beta": v}, "alpha/beta")
    for d, dp in enumerate(layer.dirs):
        if not isinstance(dp, ir.DirectionParams) or not isinstance(dp.gates, dict) or \
                set(dp.gates) != set(ir.GATES[layer.kind]):
            c.fail(f"direction {d} must hold gates {ir.GATES[layer.kind]}")
        for g, gw in dp.gates.items():
            if not isinstance(gw, ir.GateWeights):
                c.fail(f"gate '{g}' has no weights")
            for n, shape in (("W", (H, In)), ("R", (H, H)), ("Wb", (H,)), ("Rb", (H,))):
                _float_array(c, getattr(gw, n), f"direction {d} gate {g} {n}", shape)
        if dp.peepholes is not None:
            if layer.kind != "lstm" or not isinstance(dp.peepholes, dict) or \
                    not set(dp.peepholes) <= set(ir.PEEPHOLES):
                c.fail("peepholes are LSTM i, o, f vectors")
            for n, v in dp.peepholes.items():
                _float_array(c, v, f"direction {d} peephole {n}", (H,))
        for n in ("initial_h", "initial_c"):
            if getattr(dp, n) is not None:
                _float_array(c, getattr(dp, n), f"direction {d} {n}", (H,))


def check_last_step(q, c: Check) -> None:
    rw = q.ir.reverse_width if q.ir is not None else q.attrs.get("reverse_width", 0)
    c.int({"reverse_width": rw}, "reverse_width", 0, q.out_size)
    if q.in_size != q.out_size or q.causal or q.in_dtype != q.out_dtype:
        c.fail("the last-step layer keeps its width and dtype and is not causal")
