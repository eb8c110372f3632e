"""Re-rolling a simple RNN that PyTorch's default exporter unrolled over time.

torch.onnx.export(dynamo=True) writes nn.RNN step by step for the traced sequence length:

    P   = X @ Wt + b_ih                              (all steps' input terms, X time-major)
    h_0 = act(c + squeeze(P[0:1]))                   c: the constant h0 @ Rt + b_hh = b_hh (h0 = 0),
                                                     or h0 @ Rt + b_hh with h0 = unsqueeze(squeeze(h[l]))
    h_t = act((h_{t-1} @ Rt + b_hh) + squeeze(P[t:t+1]))
    Y   = concat(h_0, ..., h_{T-1}, axis 0)          act: Tanh or Relu
    h_n = unsqueeze(squeeze(h_{T-1}))                (when the model returns it)

A bidirectional layer adds a backward chain over the time-reversed input terms (a Slice with
step -1 of its own P), concatenated back in time order, and joins the two on the feature axis.

This pass finds those chains (every step the same Rt and b_hh, the steps in order, each h used
only by the next step and the concat, the last one maybe as h_n) and replaces them with the
ONNX RNN node they came from (initial_h h[l], Y_h h_n; direction bidirectional for a pair) plus
the Squeeze of its direction axis (or the Transpose + Reshape that puts two directions side by
side), so the model compiles as a recurrent layer for any number of steps, its state streaming
in and out as the model's own tensors. What does not match exactly (a constant initial state
that is not zero, steps with different weights, other uses of the steps, a bidirectional layer
with state) is left alone and is refused later with the way out (onnx_select.UNROLLED).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..errors import RnncError
from .onnx_fold import attr
from .onnx_select import slice_args
from .onnx_tensors import tensor_array

ACTIVATIONS = {"Tanh": "Tanh", "Relu": "Relu"}


def reroll_unrolled_rnns(graph, opset: int) -> int:
    """Rewrite every unrolled simple RNN in graph (in place); returns how many were re-rolled."""
    count = 0
    while True:
        ctx = _Graph(graph, opset)
        for concat in [n for n in graph.node if n.op_type == "Concat"]:
            chains = _bidirectional(ctx, concat)
            chain = None if chains else _match(ctx, concat)
            if chains or chain is not None:
                _replace(graph, concat, chains or [chain], opset, count)
                count += 1
                break
        else:
            return count


def _bidirectional(g: "_Graph", concat):
    """[forward chain, backward chain] when concat joins, on the feature axis, an unrolled forward
    chain and an unrolled backward one over the same input (PyTorch's bidirectional nn.RNN)."""
    if len(concat.input) != 2 or int(attr(concat, "axis", 0)) not in (2, -1):
        return None
    parts = [g.producer.get(i) for i in concat.input]
    if any(p is None or p.op_type != "Concat" for p in parts):
        return None
    fw, bw = _match(g, parts[0], shared_x=True), _match(g, parts[1], shared_x=True, reverse=True)
    if fw is None or bw is None or fw["X"] != bw["X"] or fw["act"] != bw["act"] or fw["H"] != bw["H"] \
            or fw["h0"] or fw["yh"] or bw["h0"] or bw["yh"]:
        return None
    if not all(g.only_used_by(part.output[0], [concat]) for part in parts):   # the halves feed the join only
        return None
    fw["members"] += [parts[0]]
    bw["members"] += [parts[1]]
    return [fw, bw]


class _Graph:
    """Producers, consumers and constants of a graph."""

    def __init__(self, graph, opset: int):
        self.opset = opset
        self.producer = {o: n for n in graph.node for o in n.output}
        self.uses: dict[str, list] = {}
        for n in graph.node:
            for i in n.input:
                self.uses.setdefault(i, []).append(n)
        for o in graph.output:
            self.uses.setdefault(o.name, []).append(None)
        self.inits = {t.name: t for t in graph.initializer}
        self.decoded: dict[str, np.ndarray] = {}

    def const(self, name: str):
        if name in self.inits:     # decoded once: every step names the same recurrent weights
            if name not in self.decoded:
                self.decoded[name] = tensor_array(self.inits[name], "initializer")
            return self.decoded[name]
        n = self.producer.get(name)
        if n is not None and n.op_type == "Constant" and attr(n, "value") is not None:
            return np.asarray(attr(n, "value"))
        return None

    def slice(self, node):
        """A Slice's (starts, ends, axes, steps) as the frontend reads them, or None when one of
        its arguments is not a constant."""
        if any(i and self.const(i) is None for i in node.input[1:]):
            return None
        try:
            return slice_args(node, [None] + [self.const(i) if i else None for i in node.input[1:]], self.opset)
        except RnncError:
            return None

    def node(self, name: str, op_type: str):
        n = self.producer.get(name)
        return n if n is not None and n.op_type == op_type else None

    def only_used_by(self, name: str, nodes) -> bool:
        return all(u is not None and any(u is n for n in nodes) for u in self.uses.get(name, []))


def _match(g: _Graph, concat, shared_x: bool = False, reverse: bool = False):
    """The chain behind concat as a dict, or None when it is not an unrolled simple RNN. reverse:
    a backward direction (its steps slice the time-reversed input terms; the concat lists them
    back in time order); shared_x: its input may feed the other direction too."""
    if int(attr(concat, "axis", 0)) != 0 or not concat.input:
        return None
    acts = [g.producer.get(i) for i in (reversed(concat.input) if reverse else concat.input)]
    if any(a is None or a.op_type not in ACTIVATIONS for a in acts) or len({a.op_type for a in acts}) != 1:
        return None
    steps = _steps(g, acts)
    if steps is None:
        return None
    P, Rt, b_hh, c, h0, members = steps
    if reverse:
        flip = _flip(g, P)
        if flip is None:
            return None
        members.append(flip)
        P = flip.input[0]
    proj = _projection(g, P)
    if proj is None:
        return None
    X, Wt, b_ih, pm = proj
    H = Wt.shape[1]
    if Rt.shape != (H, H) or b_hh.shape[-1] != H or b_ih.shape[-1] != H:
        return None
    if h0 is None and (c.ndim == 0 or c.shape[-1] != H or not np.array_equal(c.reshape(-1, H),
                                                                           np.broadcast_to(b_hh, (c.size // H, H)))):
        return None                      # a constant first step other than from 0 (c = b_hh per row)
    if not shared_x and not g.only_used_by(X, pm[:1]):
        return None                      # X feeds another chain too: a bidirectional layer
    members += pm
    inner = [m.output[0] for m in members if m not in acts]
    if not all(g.only_used_by(name, members) for name in inner):
        return None
    hn = _final_state(g, acts[-1].output[0], members + [concat])
    if not all(g.only_used_by(act.output[0], members + [concat]) for act in acts[:-1]) or hn is False:
        return None                      # h_t feeds the next step and the concat only, h_T maybe h_n
    return dict(X=X, Wt=Wt, Rt=Rt, b_ih=np.broadcast_to(b_ih, (H,)), b_hh=np.broadcast_to(b_hh, (H,)),
                act=acts[0].op_type, members=members + list(hn or ()), H=H, h0=_state_source(g, h0),
                yh=hn[1].output[0] if hn else "")


def _flip(g: _Graph, name: str):
    """The Slice that reverses its input along axis 0 (starts -1, step -1), or None."""
    slc = g.node(name, "Slice")
    args = g.slice(slc) if slc is not None else None
    ok = args is not None and (args[0], args[2], args[3]) == ([-1], [0], [-1]) and args[1][0] <= -(1 << 31)
    return slc if ok else None


def _final_state(g: _Graph, last: str, chain):
    """h_T's other use: None (none), (Squeeze, Unsqueeze) when it is unsqueeze(squeeze(h_T, 0), 0)
    (PyTorch's h_n of one layer, (1, B, H), which is the RNN's Y_h), or False (anything else)."""
    others = [u for u in g.uses.get(last, []) if u is None or not any(u is n for n in chain)]
    if not others:
        return None
    sq = others[0]
    if len(others) != 1 or sq is None or sq.op_type != "Squeeze" or not _axes0(g, sq):
        return False
    uses = g.uses.get(sq.output[0], [])
    un = uses[0] if len(uses) == 1 else None
    if un is None or un.op_type != "Unsqueeze" or not _axes0(g, un):
        return False
    return sq, un


def _state_source(g: _Graph, h0: str | None) -> str:
    """The RNN's initial_h: h0, or S where h0 is unsqueeze(squeeze(S, 0), 0) (PyTorch's h[l])."""
    if h0 is None:
        return ""
    un = g.node(h0, "Unsqueeze")
    sq = g.node(un.input[0], "Squeeze") if un is not None and _axes0(g, un) else None
    return sq.input[0] if sq is not None and _axes0(g, sq) else h0


def _axes0(g: _Graph, node) -> bool:
    """Whether a Squeeze / Unsqueeze works on axis 0 alone."""
    axes = attr(node, "axes") if len(node.input) < 2 else g.const(node.input[1])
    return axes is not None and [int(v) for v in np.reshape(axes, -1)] == [0]


def _steps(g: _Graph, acts):
    """(P, Rt, b_hh, the first step's constant c, the initial state h0, the steps' nodes) when act t
    computes act(h_{t-1} @ Rt + b_hh + squeeze(P[t:t+1])) for t > 0 and act(c + squeeze(P[0:1]))
    (zero initial state; h0 None) or act(h0 @ Rt + b_hh + squeeze(P[0:1])) (c None), else None."""
    P = Rt = b_hh = c = h0 = None
    members = []
    for t, act in enumerate(acts):
        add = g.node(act.input[0], "Add")
        if add is None or len(add.input) != 2:
            return None
        found = [(s, add.input[1 - k]) for k in (0, 1) for s in [_step_slice(g, add.input[k], t)] if s is not None]
        if not found:
            return None
        (squeeze, slc, source), other = found[0]
        if P is not None and source != P:
            return None
        P = source
        if t == 0:
            c = g.const(other)
            first = None if c is not None else _affine(g, other)    # h0 @ Rt + b_hh: h0 a state
            if c is None and first is None:
                return None
            if first is not None:
                h0, Rt, b_hh = first[0], first[1], first[2]
                members += [first[3], first[4]]
        else:
            rec = _recurrent(g, other, acts[t - 1].output[0])
            if rec is None or (Rt is not None and not (np.array_equal(rec[0], Rt) and np.array_equal(rec[1], b_hh))):
                return None
            Rt, b_hh = rec[0], rec[1]
            members += [rec[2], rec[3]]
        members += [act, add, squeeze, slc]
    if Rt is None:                       # one step: no recurrent weights in the graph
        return None
    return P, Rt, b_hh, c, h0, members


def _step_slice(g: _Graph, name: str, t: int):
    """(Squeeze, Slice, sliced tensor) when name is squeeze(P[t:t+1]) along axis 0, else None."""
    sq = g.node(name, "Squeeze")
    if sq is None or not _axes0(g, sq):
        return None
    slc = g.node(sq.input[0], "Slice")
    if slc is None or g.slice(slc) != ([t], [t + 1], [0], [1]):
        return None
    return sq, slc, slc.input[0]


def _affine(g: _Graph, name: str, v: str | None = None):
    """(v, Wt, b, MatMul, Add) when name is v @ Wt + b with constant Wt (2-D) and b (v given, or
    any non-constant v), else None."""
    add = g.node(name, "Add")
    if add is None:
        return None
    for k in (0, 1):
        mm = g.node(add.input[k], "MatMul")
        b = g.const(add.input[1 - k])
        if mm is None or b is None or (mm.input[0] != v if v is not None else g.const(mm.input[0]) is not None):
            continue
        w = g.const(mm.input[1])
        if w is not None and w.ndim == 2 and b.size == w.shape[1]:
            return mm.input[0], w.astype(np.float32), b.astype(np.float32).reshape(-1), mm, add
    return None


def _recurrent(g: _Graph, name: str, h_prev: str):
    """(Rt, b_hh, MatMul, Add) when name is h_prev @ Rt + b_hh, else None."""
    m = _affine(g, name, h_prev)
    return None if m is None else m[1:]


def _projection(g: _Graph, name: str):
    """(X, Wt, b_ih, [nodes]) when name is X @ Wt + b_ih, else None."""
    m = _affine(g, name)
    return None if m is None else (m[0], m[1], m[2], [m[3], m[4]])


def _replace(graph, concat, chains: list, opset: int, k: int) -> None:
    """The chains' nodes out; where concat was (its inputs are all computed before it), an RNN
    node, then for one direction the Squeeze of its direction axis, for two the Transpose and
    Reshape that put the directions side by side on the feature axis (T, B, 2H)."""
    first, H, tag = chains[0], chains[0]["H"], f"rnnc_rerolled{k}"
    names = {n: f"{tag}_{n}" for n in ("W", "R", "B", "Y", "axes", "YT", "shape")}
    graph.initializer.extend([
        numpy_helper.from_array(np.stack([np.ascontiguousarray(c["Wt"].T) for c in chains]), names["W"]),
        numpy_helper.from_array(np.stack([np.ascontiguousarray(c["Rt"].T) for c in chains]), names["R"]),
        numpy_helper.from_array(np.stack([np.concatenate([c["b_ih"], c["b_hh"]]).astype(np.float32)
                                          for c in chains]), names["B"])])
    ins = [first["X"], names["W"], names["R"], names["B"]] + (["", first["h0"]] if first["h0"] else [])
    outs = [names["Y"]] + ([first["yh"]] if first["yh"] else [])
    new = [helper.make_node("RNN", ins, outs, name=tag, hidden_size=H, activations=[first["act"]] * len(chains),
                            direction="bidirectional" if len(chains) == 2 else "forward")]
    if len(chains) == 2:
        graph.initializer.append(numpy_helper.from_array(np.array([0, 0, -1], np.int64), names["shape"]))
        new += [helper.make_node("Transpose", [names["Y"]], [names["YT"]], name=f"{tag}_transpose", perm=[0, 2, 1, 3]),
                helper.make_node("Reshape", [names["YT"], names["shape"]], [concat.output[0]], name=f"{tag}_reshape")]
    elif opset >= 13:
        graph.initializer.append(numpy_helper.from_array(np.array([1], np.int64), names["axes"]))
        new.append(helper.make_node("Squeeze", [names["Y"], names["axes"]], [concat.output[0]], name=f"{tag}_squeeze"))
    else:
        new.append(helper.make_node("Squeeze", [names["Y"]], [concat.output[0]], name=f"{tag}_squeeze", axes=[1]))
    drop = {id(n) for c in chains for n in c["members"]} | {id(concat)}
    kept = []
    for n in graph.node:
        if n is concat:
            kept += new
        elif id(n) not in drop:
            c = onnx.NodeProto()      # a copy: the graph's own messages go with the clear below
            c.CopyFrom(n)
            kept.append(c)
    del graph.node[:]
    graph.node.extend(kept)
