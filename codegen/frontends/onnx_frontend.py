"""ONNX frontend: walk the graph in order, folding glue, lowering compute into the IR chain.

The graph must be a chain around one sequence: one non-constant input (float features, or
int token ids for an embedding), one output. Anything that cannot be mapped is refused with
the node's name and op type.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from .. import ir
from ..emit.cgen import c_identifier
from ..errors import RnncError, UnsupportedError
from .onnx_fold import MAX_ELEMENTS, any_symbolic, attr, fold_constant, fold_symbolic, is_foldable
from .onnx_ops import OPS, Lowering
from .onnx_values import Axis, Graph, Seq, is_const, seq_shape

MAX_FILE_BYTES = 1 << 30


def load_onnx(path: str) -> ir.Model:
    data = _read(path)
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # protobuf raises several types for corrupt bytes
        raise RnncError(f"not a valid ONNX file ({type(e).__name__})", file=path) from None
    where = None
    try:
        low = Lowering(Graph(), [], path)
        for node in model.graph.node:
            for name in node.input:
                low.consumers[name] = low.consumers.get(name, 0) + 1
        for o in model.graph.output:
            low.consumers[o.name] = low.consumers.get(o.name, 0) + 1
        _bind_inputs(model.graph, low)
        for node in model.graph.node:
            where = f"node '{_safe_name(node.name) or node.op_type}' ({node.op_type})"
            _run_node(node, low)
        m = _finish(model.graph, low, path, data)
        m.validate()
        return m
    except RnncError as e:
        raise e.with_context(file=path, where=where) from None
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, ZeroDivisionError,
            OverflowError, MemoryError, AssertionError, RuntimeError) as e:
        raise RnncError(f"malformed model ({type(e).__name__}: {str(e)[:120]})", file=path, where=where) from None
    except Exception as e:  # onnx.reference and protobuf raise their own types
        raise RnncError(f"cannot interpret the model ({type(e).__name__}: {str(e)[:120]})",
                        file=path, where=where) from None


def _read(path: str) -> bytes:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise RnncError("file is larger than 1 GiB", file=path)
        return p.read_bytes()
    except OSError as e:
        raise RnncError(f"cannot read the file ({e.strerror})", file=path) from None


def _safe_name(s: str) -> str:
    """Node names appear in messages only, cut short and printable."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(s))[:60]


def _bind_inputs(graph, low: Lowering) -> None:
    g = low.graph
    for init in graph.initializer:
        n = 1
        for d in init.dims:
            n *= max(int(d), 0)
        if n > MAX_ELEMENTS:
            raise RnncError(f"initializer '{_safe_name(init.name)}' is too large ({n} elements)")
        g.values[init.name] = numpy_helper.to_array(init)
    inputs = [i for i in graph.input if i.name not in g.values]
    if len(inputs) != 1:
        names = ", ".join(_safe_name(i.name) for i in inputs) or "none"
        raise UnsupportedError(f"the model must have exactly one non-constant input (has: {names})")
    vi = inputs[0]
    tt = vi.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
    elem = tt.elem_type
    if elem in (onnx.TensorProto.INT64, onnx.TensorProto.INT32):
        if len(dims) != 2:
            raise UnsupportedError(f"token-id input must be 2-D (batch, time), got rank {len(dims)}")
        g.values[vi.name] = Seq((Axis("?0"), Axis("?1")), dtype="ids")
    elif elem in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE):
        if len(dims) != 3 or dims[2] is None or dims[2] <= 0:
            raise UnsupportedError("the input must be 3-D (batch/time, time/batch, features) with a "
                                   f"fixed feature size; it has shape {dims}")
        g.values[vi.name] = Seq((Axis("?0"), Axis("?1"), Axis("F", int(dims[2]))))
        low.input_size = int(dims[2])
    else:
        raise UnsupportedError(f"input element type {onnx.TensorProto.DataType.Name(elem)} is not supported")
    low.input_name = vi.name
    low.input_static = dims


def _run_node(node, low: Lowering) -> None:
    g = low.graph
    if node.domain not in ("", "ai.onnx"):
        raise UnsupportedError(f"operator domain '{_safe_name(node.domain)}' is not supported")
    inputs = []
    for name in node.input:
        if name == "":
            inputs.append(None)
            continue
        if name not in g.values:
            raise RnncError(f"input '{_safe_name(name)}' is not produced by any earlier node")
        inputs.append(g.values[name])
    op = node.op_type
    if op == "Constant":
        value = attr(node, "value")
        if value is None:
            raise UnsupportedError("Constant without a tensor 'value'")
        g.values[node.output[0]] = numpy_helper.to_array(value)
        return
    if op == "Shape" and inputs and isinstance(inputs[0], Seq):
        g.values[node.output[0]] = seq_shape(inputs[0], g.resolve)
        return
    if not any(isinstance(v, Seq) for v in inputs):
        if is_foldable(inputs):
            outs = fold_constant(node, inputs)
        elif any_symbolic(inputs):
            outs = [fold_symbolic(node, inputs)]
        else:
            raise UnsupportedError(f"{op} on these inputs cannot be folded")
        for name, v in zip(node.output, outs):
            g.values[name] = v
        return
    handler = OPS.get(op)
    if handler is None:
        raise UnsupportedError(f"operator {op} is not supported on the sequence path")
    outs = handler(low, node, inputs)
    for name, v in zip(node.output, outs):
        if name:
            g.values[name] = v


def _finish(graph, low: Lowering, path: str, data: bytes) -> ir.Model:
    g = low.graph
    if len(graph.output) != 1:
        names = ", ".join(_safe_name(o.name) for o in graph.output)
        raise UnsupportedError(f"the model must have exactly one output (has: {names})")
    out = g.values.get(graph.output[0].name)
    if not isinstance(out, Seq):
        raise UnsupportedError("the model output does not depend on the input sequence")
    for lab in ("?0", "?1"):      # no RNN resolved the input axes: assume batch-first
        g.resolve.setdefault(lab, "B" if lab == "?0" else "T")
    labels = out.labels(g.resolve)
    # an RNN's direction axis may reach the output (Y or Y_h used directly): rnnc outputs the
    # directions concatenated in the features; metadata keeps the ONNX layout
    rest = [l for l in labels if l not in ("T", "B", "F", "D")]
    if rest or "F" not in labels or ("T" not in labels and not out.last_step):
        raise UnsupportedError(f"the output's axes {labels} are not (batch, time, features)")
    if out.dtype == "ids":
        raise UnsupportedError("the model output is the token ids themselves")
    in_axes = "".join(g.resolve.get(f"?{i}", "?")[0] for i in range(2))
    stem = c_identifier(Path(path).stem or "model", 24)
    model = ir.Model(
        name=stem, source=str(path), sha256=hashlib.sha256(data).hexdigest(),
        input_size=low.input_size if low.input_size else 1, layers=low.layers,
        input_kind="tokens" if low.tokens else "float", sequence_lens=low.sequence_lens,
        metadata={"onnx_input_axes": in_axes + ("F" if not low.tokens else ""),
                  "onnx_output_axes": "".join(labels)})
    t_index = 0 if in_axes.startswith("T") else 1
    static = low.input_static[t_index] if low.input_static else None
    model.time_steps = int(static) if static else None
    if not model.layers:
        raise UnsupportedError("the model has no layers rnnc can compile")
    return model
