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

from .. import ir
from ..emit.cgen import c_identifier
from ..errors import RnncError, UnsupportedError
from . import onnx_ops, onnx_select, onnx_state  # noqa: F401  (importing registers the op handlers)
from .onnx_fold import any_symbolic, attr, concrete, fold_constant, fold_symbolic, is_foldable
from .onnx_lowering import OPS, Lowering
from .onnx_reroll import reroll_unrolled_rnns
from .onnx_tensors import external_data_from, safe_name as _safe_name, tensor_array
from .onnx_values import Axis, Graph, Seq, seq_shape

MAX_FILE_BYTES = 1 << 30
MAX_NODES = 20_000       # exported RNN models have tens to hundreds; bounds the time spent
MAX_WIDTH = 1 << 20      # input sizes (features, steps) beyond this are not for microcontrollers
MIN_OPSET = 7            # LSTM/GRU/RNN took their current form in opset 7
RNN_OPS = ("LSTM", "GRU", "RNN")


def load_onnx(path: str) -> ir.Model:
    data = _read(path)
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # protobuf raises several types for corrupt bytes
        raise RnncError(f"not a valid ONNX file ({type(e).__name__})", file=path) from None
    where = None
    try:
        with external_data_from(Path(path).parent):
            where = "unrolled RNN steps"
            reroll_unrolled_rnns(model.graph, _opset(model))
            where = None
            nodes = _live_nodes(model.graph)
            low = Lowering(Graph(), [], path, opset=_opset(model))
            _bind_inputs(model.graph, nodes, low)
            for i, node in nodes:
                where = describe(node, i)
                _run_node(node, low)
            where = "graph outputs"
            m = _finish(model.graph, low, path, data)
        where = None
        m.validate()
        return m
    except RnncError as e:
        raise e.with_context(file=path, where=where) from None
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, ZeroDivisionError,
            OverflowError, MemoryError, AssertionError, RuntimeError) as e:
        raise RnncError(f"malformed model ({type(e).__name__}: {_safe_name(str(e))[:120]})",
                        file=path, where=where) from None
    except Exception as e:  # onnx.reference and protobuf raise their own types
        raise RnncError(f"cannot interpret the model ({type(e).__name__}: {_safe_name(str(e))[:120]})",
                        file=path, where=where) from None


def describe(node, index: int) -> str:
    """How messages name a node: its name from the file (sanitized), else its position."""
    return f"node '{_safe_name(node.name) or f'#{index}'}' ({_safe_name(node.op_type)[:40]})"


def _read(path: str) -> bytes:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise RnncError("file is larger than 1 GiB", file=path)
        return p.read_bytes()
    except OSError as e:
        raise RnncError(f"cannot read the file ({e.strerror})", file=path) from None


def _opset(model) -> int:
    versions = [int(o.version) for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if not versions:
        raise RnncError("the model imports no version of the standard ONNX operator set")
    v, newest = versions[0], onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= v <= newest:
        raise UnsupportedError(f"opset {v} is not supported (rnnc reads opsets {MIN_OPSET} to {newest})")
    return v


def _live_nodes(graph) -> list:
    """(index, node) of the nodes the graph outputs depend on: dead branches (an unused Y_c,
    training leftovers) are neither lowered nor refused."""
    if not graph.output or len(graph.output) > 16:
        raise UnsupportedError(f"the model has {len(graph.output)} outputs")
    if len(graph.node) > MAX_NODES:
        raise UnsupportedError(f"the graph has {len(graph.node)} nodes (more than {MAX_NODES})")
    needed = {o.name for o in graph.output}
    live = []
    for i in reversed(range(len(graph.node))):
        node = graph.node[i]
        if any(o in needed for o in node.output):
            live.append((i, node))
            needed.update(node.input)
    return live[::-1]


def _bind_inputs(graph, nodes: list, low: Lowering) -> None:
    g = low.graph
    for init in graph.initializer:
        g.values[init.name] = tensor_array(init, "initializer")
    used = {name for _, node in nodes for name in node.input} | {o.name for o in graph.output}
    inputs = [i for i in graph.input if i.name not in g.values and i.name in used]   # unused inputs: dead
    states = onnx_state.state_input_names(graph, nodes, inputs)
    for vi in inputs:
        if vi.name in states:
            g.values[vi.name] = low.state_inputs[vi.name] = onnx_state.bind_state_input(vi)
    inputs = [i for i in inputs if i.name not in states]
    if len(inputs) != 1:
        _refuse_inputs(inputs, nodes)
    vi = inputs[0]
    tt = vi.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
    if any(d is not None and not 0 <= d <= MAX_WIDTH for d in dims):
        raise RnncError(f"the input has an impossible dimension {dims[:8]}")
    dims = [d or None for d in dims]   # 0 = unknown
    elem = tt.elem_type
    if elem in (onnx.TensorProto.INT64, onnx.TensorProto.INT32):
        if len(dims) != 2:
            raise UnsupportedError(f"token-id input must be 2-D (batch, time), got rank {len(dims)}")
        g.values[vi.name] = Seq((Axis("?0"), Axis("?1")), dtype="ids")
    elif elem in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE):
        if len(dims) not in (2, 3) or dims[-1] is None or dims[-1] > MAX_WIDTH:
            raise UnsupportedError("the input must be 3-D (batch/time, time/batch, features), or 2-D (time, "
                                   f"features), with a fixed feature size; it has shape {dims[:8]}")
        if len(dims) == 2:   # one sequence without a batch axis: rnnc runs each row as one
            low.batchless = True
            g.resolve["?0"] = "T"
            g.values[vi.name] = Seq((Axis("?0"), Axis("F", int(dims[1]))))
            dims = [dims[0], None, dims[1]]
        else:
            g.values[vi.name] = Seq((Axis("?0"), Axis("?1"), Axis("F", int(dims[2]))))
        low.input_size = int(dims[2])
    else:
        raise UnsupportedError(f"input element type {elem} is not supported (float32, or int32/int64 ids)")
    low.input_static = dims


def _refuse_inputs(inputs, nodes) -> None:
    """Several graph inputs: say which RNN input they feed when that is the reason."""
    names = {i.name for i in inputs}
    roles = {4: "sequence_lens", 5: "initial_h", 6: "initial_c"}
    for k, node in nodes:
        if node.op_type not in RNN_OPS:
            continue
        for idx, role in roles.items():
            if idx < len(node.input) and node.input[idx] in names:
                hint = ("rnnc needs constant sequence_lens; pass per-row lengths at run time instead"
                        if idx == 4 else "it is also used for something else than the initial state, which "
                        "rnnc keeps in the caller's state struct")
                raise UnsupportedError(f"{role} is a graph input ('{_safe_name(node.input[idx])}'); {hint}",
                                       where=describe(node, k))
    listed = ", ".join(_safe_name(i.name) for i in inputs[:8]) or "none"
    raise UnsupportedError(f"the model must have exactly one non-constant input (has: {listed})")


def _constant(node) -> np.ndarray:
    """The value of a Constant node, in any of its numeric attribute forms."""
    for a in node.attribute:
        if a.name == "value":
            return tensor_array(a.t, "constant")
        if a.name in ("value_float", "value_int"):
            return np.array(a.f, np.float32) if a.name == "value_float" else np.array(a.i, np.int64)
        if a.name in ("value_floats", "value_ints"):
            return np.array(list(a.floats), np.float32) if a.name == "value_floats" \
                else np.array(list(a.ints), np.int64)
    raise UnsupportedError("Constant without a numeric value")


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
        g.values[node.output[0]] = _constant(node)
        return
    if op not in RNN_OPS and any(isinstance(v, onnx_state.StateIn) for v in inputs):
        g.values[node.output[0]] = onnx_state.apply(node, inputs)
        return
    if op == "Shape" and inputs and isinstance(inputs[0], Seq):
        shape = seq_shape(inputs[0], g.resolve)
        g.values[node.output[0]] = shape[attr(node, "start", 0):attr(node, "end", len(shape))]
        return
    if not any(isinstance(v, Seq) for v in inputs):
        inputs = [concrete(v) for v in inputs]
        if is_foldable(inputs):
            outs = fold_constant(node, inputs, low.opset)
        elif any_symbolic(inputs):
            outs = [fold_symbolic(node, inputs)]
        else:
            raise UnsupportedError(f"{_safe_name(op)} on these inputs cannot be folded")
        for name, v in zip(node.output, outs):
            g.values[name] = v
        return
    handler = OPS.get(op)
    if handler is None:
        raise UnsupportedError(f"operator {_safe_name(op)} is not supported on the sequence path")
    outs = handler(low, node, inputs)
    for name, v in zip(node.output, outs):
        if name:
            g.values[name] = v


def _main_output(graph, g):
    """The model's output: the graph output that is not only recurrent state (hn, cn); the
    first one when every output is state (a model that outputs h_n)."""
    outs = list(graph.output)
    main = [o for o in outs if not onnx_state.is_state_value(g.values.get(o.name))] or outs[:1]
    if len(main) > 1:
        names = ", ".join(_safe_name(o.name) for o in main[:8])
        raise UnsupportedError(f"the model has several outputs that are not recurrent state ({names}); rnnc "
                               "compiles one output sequence (plus the state of its recurrent layers)")
    return main[0], [o for o in outs if o is not main[0]]


def _finish(graph, low: Lowering, path: str, data: bytes) -> ir.Model:
    g = low.graph
    main, extra = _main_output(graph, g)
    out = g.values.get(main.name)
    if not isinstance(out, Seq):
        raise UnsupportedError("the model output does not depend on the input sequence")
    if out.dtype == "ids":
        raise UnsupportedError("the model output is the token ids themselves")
    low.settle(out)
    for lab in ("?0", "?1"):      # no RNN resolved the input axes: assume batch-first
        g.resolve.setdefault(lab, "B" if lab == "?0" else "T")
    labels = out.labels(g.resolve)
    # an RNN's direction axis may reach the output (Y or Y_h used directly): rnnc outputs the
    # directions concatenated in the features; metadata keeps the ONNX layout
    rest = [l for l in labels if l not in ("T", "B", "F", "D")]
    if rest or labels[-1] != "F" or ("T" not in labels and not out.last_step):
        raise UnsupportedError(f"the output's axes {labels} are not (batch or time, ..., features)")
    in_axes = "T" if low.batchless else "".join(g.resolve.get(f"?{i}", "?")[0] for i in range(2))
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
    model.state_io = onnx_state.state_tensors(graph, g.values, low.state_inputs, low.state_used, extra)
    return model
