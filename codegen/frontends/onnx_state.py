"""Recurrent state as graph inputs and outputs: how streaming models are exported for
onnxruntime (x, h, c -> y, hn, cn). rnnc compiles them into the usual C, where that state is
the caller-owned <prefix>_state_t: `rnnc run` starts each row from the reset (zero) state, and
--state-in / --state-out give and take it in the model's own layout.

- A graph input that only feeds RNN initial states (inputs 5 and 6), through Slice, Gather,
  Squeeze, Unsqueeze, Identity or Cast, is a state input (StateIn while interpreting: which
  entries of its first axis a value holds). Each forward RNN layer that takes entries of it
  records which.
- A graph output besides the model's output must be the final state of forward RNN layers:
  an RNN's Y_h or Y_c, or several of them concatenated along the first axis (PyTorch's h_n of
  a stack of layers). Anything else is refused by name.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .. import ir
from ..errors import RnncError, UnsupportedError
from .onnx_fold import attr
from .onnx_tensors import safe_name
from .onnx_values import Seq, is_const

RNN_OPS = ("LSTM", "GRU", "RNN")
PASS_OPS = ("Slice", "Gather", "Squeeze", "Unsqueeze", "Identity", "Cast")
STATE_SLOTS = {5: "h", 6: "c"}


@dataclass(frozen=True)
class StateIn:
    """Entries [start, start + count) of state input `name` (first axis), 3-D unless squeezed."""
    name: str
    start: int
    count: int
    squeezed: bool = False


def state_input_names(graph, nodes, candidates) -> set[str]:
    """The graph inputs among `candidates` that feed nothing but RNN initial states."""
    consumers: dict[str, list] = {}
    for _, node in nodes:
        for idx, name in enumerate(node.input):
            consumers.setdefault(name, []).append((node, idx))

    def only_state(name: str, depth: int = 0) -> bool:
        uses = consumers.get(name, [])
        if not uses or depth > 8:
            return False
        for node, idx in uses:
            if node.op_type in RNN_OPS:
                if idx not in STATE_SLOTS or (idx == 6 and node.op_type != "LSTM"):
                    return False
            elif node.op_type not in PASS_OPS or idx != 0 or \
                    not all(only_state(o, depth + 1) for o in node.output if o):
                return False
        return True
    return {vi.name for vi in candidates if only_state(vi.name)}


def bind_state_input(vi) -> StateIn:
    dims = [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]
    if len(dims) != 3 or not dims[0]:
        raise UnsupportedError(f"state input '{safe_name(vi.name)}' must be 3-D (layers x directions, batch, "
                               f"hidden) with a fixed first axis; it has shape {dims}")
    return StateIn(vi.name, 0, int(dims[0]))


def apply(node, inputs: list) -> StateIn:
    """An op on a state input: only selections of its first axis and no-op reshapes."""
    st = inputs[0]
    op = node.op_type
    if not isinstance(st, StateIn) or any(isinstance(v, (StateIn, Seq)) for v in inputs[1:]):
        raise UnsupportedError(f"{op} combines the state input with other values")
    if op in ("Identity", "Cast"):
        return st
    if op in ("Squeeze", "Unsqueeze"):
        axes = _ints(inputs[1]) if len(inputs) > 1 and inputs[1] is not None else list(attr(node, "axes") or [])
        if axes != [0] or (op == "Squeeze") == st.squeezed or (op == "Squeeze" and st.count != 1):
            raise UnsupportedError(f"{op} of the state input on axes {axes}")
        return dataclasses.replace(st, squeezed=op == "Squeeze")
    if st.squeezed:
        raise UnsupportedError(f"{op} of a single layer's state")
    if op == "Gather":
        idx = inputs[1]
        if int(attr(node, "axis", 0)) != 0 or not is_const(idx) or idx.size != 1:
            raise UnsupportedError("Gather of the state input needs one constant index on its first axis")
        i = _index(int(idx.reshape(-1)[0]), st.count)
        return StateIn(st.name, st.start + i, 1, squeezed=idx.ndim == 0)
    # Slice
    starts, ends = _ints(inputs[1]), _ints(inputs[2])
    axes = _ints(inputs[3]) if len(inputs) > 3 and inputs[3] is not None else list(range(len(starts)))
    steps = _ints(inputs[4]) if len(inputs) > 4 and inputs[4] is not None else [1] * len(starts)
    if axes != [0] or steps != [1]:
        raise UnsupportedError("Slice of the state input is supported along its first axis with step 1")
    lo, hi = (min(max(v + st.count if v < 0 else v, 0), st.count) for v in (starts[0], ends[0]))
    if hi <= lo:
        raise UnsupportedError("an empty Slice of the state input")
    return StateIn(st.name, st.start + lo, hi - lo)


def _ints(v) -> list[int]:
    if not is_const(v):
        raise UnsupportedError("the state input is indexed with a non-constant value")
    return [int(x) for x in np.asarray(v).reshape(-1)]


def _index(i: int, n: int) -> int:
    if not -n <= i < n:
        raise RnncError(f"index {i} is out of range for a state of {n} entries")
    return i % n


def initial_state(v, role: str, ndir: int, direction: str) -> StateIn | None:
    """An RNN's initial_h / initial_c when it is (part of) a state input, else None."""
    if not isinstance(v, StateIn):
        return None
    if direction != "forward":
        raise UnsupportedError(f"the initial {role} of a {direction} layer is a graph input: streaming state "
                               "exists for forward layers only (the others run over whole sequences)")
    if v.squeezed or v.count != ndir:
        raise UnsupportedError(f"initial_{role} takes {v.count} entries of the state input '{safe_name(v.name)}'; "
                               f"the layer has {ndir} direction(s)")
    return v


def state_tensors(graph, values: dict, inputs: dict[str, StateIn], used: list,
                  extra_outputs: list) -> list[ir.StateTensor]:
    """The StateTensors of the model: every state input fully mapped onto layers, every extra
    output the final state of layers. used: (StateIn, layer, role) per RNN that took one."""
    out = []
    for name, whole in inputs.items():
        entries: dict[int, tuple] = {}
        for st, layer, role in used:
            if st.name == name:
                if st.start in entries:
                    raise UnsupportedError(f"entry {st.start} of state input '{safe_name(name)}' feeds two layers")
                entries[st.start] = (layer, role)
        roles = {r for _, r in entries.values()}
        if sorted(entries) != list(range(whole.count)) or len(roles) != 1:
            raise UnsupportedError(f"state input '{safe_name(name)}' has {whole.count} entries but feeds "
                                   f"{len(entries)} layer state(s) of {sorted(roles) or 'no'} kind")
        layers = [entries[k][0] for k in range(whole.count)]
        out.append(ir.StateTensor(name, "in", roles.pop(), [l.name for l in layers], layers[0].hidden_size))
    for o in extra_outputs:
        v = values.get(o.name)
        parts = list(v.pieces) if isinstance(v, Seq) and v.pieces is not None else [v]
        states = [p.rnn_state if isinstance(p, Seq) and p.dir_part is None and len(p.axes) == 3
                  and p.axes[0].label == "D" and p.axes[-1].label == "F" else None for p in parts]
        if any(s is None for s in states) or len({r for _, r in states}) != 1:
            raise UnsupportedError(f"output '{safe_name(o.name)}' is neither the model's output nor the final "
                                   "state (Y_h, Y_c) of recurrent layers; rnnc compiles one output "
                                   "sequence and the recurrent state")
        for layer, _ in states:
            if layer.direction != "forward":
                raise UnsupportedError(f"output '{safe_name(o.name)}' is the final state of a {layer.direction} "
                                       "layer: streaming state exists for forward layers only")
        out.append(ir.StateTensor(o.name, "out", states[0][1], [l.name for l, _ in states],
                                  states[0][0].hidden_size))
    return out


def is_state_value(v) -> bool:
    """A value that is only some layers' final state (a candidate state output)."""
    if not isinstance(v, Seq):
        return False
    parts = list(v.pieces) if v.pieces is not None else [v]
    return all(isinstance(p, Seq) and p.rnn_state is not None and p.dir_part is None for p in parts)
