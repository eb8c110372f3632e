"""Lowering of ONNX LSTM / GRU / RNN nodes (every attribute ONNX defines) into the IR."""
from __future__ import annotations

import numpy as np

from .. import ir
from ..errors import RnncError, UnsupportedError
from .onnx_fold import attr
from .onnx_state import initial_state
from .onnx_values import Axis, Graph, Seq, SymZeros, is_const

#: ONNX packs gates in this order inside W, R and B.
ONNX_GATE_ORDER = {"LSTM": ("i", "o", "f", "c"), "GRU": ("z", "r", "h"), "RNN": ("h",)}
KIND = {"LSTM": "lstm", "GRU": "gru", "RNN": "rnn"}
ACT_NAMES = {a.lower(): a for a in ir.RNN_ACTIVATIONS}


def lower_rnn(node, inputs: list, g: Graph, name: str) -> tuple[ir.RecurrentLayer, dict]:
    """Returns the IR layer and info: the axes of Y and Y_h, the constant sequence_lens."""
    op = node.op_type
    kind = KIND[op]
    x = inputs[0]
    if not isinstance(x, Seq) or x.dtype != "float":
        raise UnsupportedError("X must be the float input sequence (not a constant)")
    W, R = _const(inputs, 1, "W"), _const(inputs, 2, "R")
    hidden = attr(node, "hidden_size")
    direction = attr(node, "direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else str(direction)
    if direction not in ("forward", "reverse", "bidirectional"):
        raise RnncError(f"unknown direction '{direction}'")
    ndir = 2 if direction == "bidirectional" else 1
    gates = ONNX_GATE_ORDER[op]
    G = len(gates)
    if W.ndim != 3 or R.ndim != 3:
        raise RnncError(f"W and R must be 3-D, got {W.shape} and {R.shape}")
    H = int(hidden) if hidden is not None else R.shape[-1]
    In = W.shape[2]
    if H <= 0 or In <= 0:
        raise RnncError(f"hidden_size {H} and input size {In} must be positive")
    if W.shape != (ndir, G * H, In) or R.shape != (ndir, G * H, H):
        raise RnncError(f"W {W.shape} / R {R.shape} do not match hidden_size={H}, "
                        f"{ndir} direction(s), {G} gates")
    if op == "LSTM" and _flag(node, "input_forget"):
        raise UnsupportedError("input_forget=1 (coupled input and forget gates) is not supported")
    layout = int(attr(node, "layout", 0) or 0)
    if layout not in (0, 1):
        raise RnncError(f"layout must be 0 or 1, got {layout}")
    _unify_input(x, layout, g)
    feat = x.axes[-1].size
    if feat != In:
        raise RnncError(f"X has {feat} features but W expects {In}")

    B = _optional_const(inputs, 3, "B")
    if B is not None and B.shape != (ndir, 2 * G * H):
        raise RnncError(f"B has shape {B.shape}, expected {(ndir, 2 * G * H)}")
    seq_lens = _optional_const(inputs, 4, "sequence_lens")
    state_in, init_h, init_c = _states(op, inputs, ndir, direction, H, layout)
    P = _optional_const(inputs, 7, "P") if op == "LSTM" else None
    if P is not None and P.shape != (ndir, 3 * H):
        raise RnncError(f"P has shape {P.shape}, expected {(ndir, 3 * H)}")
    dirs = [_direction(W[d], R[d], None if B is None else B[d], None if P is None else P[d], gates, H,
                       None if init_h is None else init_h[d], None if init_c is None else init_c[d])
            for d in range(ndir)]
    clip = attr(node, "clip")
    layer = ir.RecurrentLayer(
        name=name, kind=kind, input_size=In, hidden_size=H, direction=direction, dirs=dirs,
        activations=_activations(node, kind, ndir), clip=float(clip) if clip is not None else None,
        linear_before_reset=_flag(node, "linear_before_reset") if op == "GRU" else False)
    if op != "GRU" and attr(node, "linear_before_reset") not in (None, 0):
        raise RnncError("linear_before_reset only exists for GRU")
    t_axis = x.axes[x.find("T", g.resolve)]
    b_axis = x.axes[x.find("B", g.resolve)]
    d_axis, h_axis = Axis("D", ndir), Axis("F", H)
    y_axes = (t_axis, d_axis, b_axis, h_axis) if layout == 0 else (b_axis, t_axis, d_axis, h_axis)
    yh_axes = (d_axis, b_axis, h_axis) if layout == 0 else (b_axis, d_axis, h_axis)
    return layer, {"seq_lens": seq_lens, "y_axes": y_axes, "yh_axes": yh_axes, "state_in": state_in}


def _states(op: str, inputs: list, ndir: int, direction: str, H: int, layout: int):
    """(state tensors the model streams in, as (tensor, role); constant initial h; constant
    initial c): initial_h/initial_c that are graph inputs stream, constants initialize."""
    state_in = []
    for idx, role in ((5, "h"), (6, "c")) if op == "LSTM" else ((5, "h"),):
        st = initial_state(inputs[idx] if idx < len(inputs) else None, role, ndir, direction)
        if st is not None:
            state_in.append((st, role))
    taken = {idx for idx, role in ((5, "h"), (6, "c")) if any(r == role for _, r in state_in)}
    init_h = None if 5 in taken else _initial(inputs, 5, "initial_h", ndir, H, layout)
    init_c = (None if 6 in taken else _initial(inputs, 6, "initial_c", ndir, H, layout)) if op == "LSTM" else None
    return state_in, init_h, init_c


def _direction(W, R, B, P, gates, H: int, init_h, init_c) -> ir.DirectionParams:
    """One direction's gate weights (ONNX's stacked W, R, B split per gate), peepholes, initial state."""
    G = len(gates)
    gw = {}
    for k, gname in enumerate(gates):
        sl = slice(k * H, (k + 1) * H)
        wb = B[sl] if B is not None else np.zeros(H, np.float32)
        rb = B[G * H + k * H:G * H + (k + 1) * H] if B is not None else np.zeros(H, np.float32)
        gw[gname] = ir.GateWeights(W[sl].astype(np.float32), R[sl].astype(np.float32),
                                   np.asarray(wb, np.float32), np.asarray(rb, np.float32))
    peep = None
    if P is not None and np.any(P != 0):
        peep = {p: P[j * H:(j + 1) * H].astype(np.float32) for j, p in enumerate(ir.PEEPHOLES)}
    return ir.DirectionParams(gw, peep, init_h, init_c)


def _flag(node, name: str) -> bool:
    v = attr(node, name, 0)
    if v not in (0, 1):
        raise RnncError(f"{name} must be 0 or 1, got {str(v)[:20]}")
    return bool(v)


def _unify_input(x: Seq, layout: int, g: Graph) -> None:
    want = ("T", "B", "F") if layout == 0 else ("B", "T", "F")
    labels = x.labels(g.resolve)
    if len(labels) != 3:
        raise UnsupportedError(f"X must be 3-D (time, batch, features); it has axes {labels}")
    for lab, w in zip(labels, want):
        if lab.startswith("?"):
            g.resolve[lab] = w
        elif lab != w:
            raise UnsupportedError(f"X axes are {labels} but layout={layout} needs {want}")


def _const(inputs, i, what):
    v = inputs[i] if i < len(inputs) else None
    if v is None:
        raise RnncError(f"input {what} is missing")
    if not is_const(v):
        raise UnsupportedError(f"input {what} must be a constant (initializer)")
    if not np.issubdtype(v.dtype, np.floating):
        raise RnncError(f"input {what} must be float, got {v.dtype}")
    return v.astype(np.float32)


def _optional_const(inputs, i, what):
    v = inputs[i] if i < len(inputs) else None
    if v is None:
        return None
    if not is_const(v):
        raise UnsupportedError(f"input {what} must be a constant; as a graph input it is not supported")
    return v


def _initial(inputs, i, what, ndir, H, layout):
    v = inputs[i] if i < len(inputs) else None
    if v is None or isinstance(v, SymZeros):
        return None
    if not is_const(v):
        raise UnsupportedError(f"{what} must be a constant (a state input is the caller-owned state in C)")
    v = np.asarray(v, np.float32)
    if v.ndim != 3:
        raise RnncError(f"{what} must be 3-D, got {v.shape}")
    if layout == 1:
        v = v.transpose(1, 0, 2)
    if v.shape[0] != ndir or v.shape[2] != H:
        raise RnncError(f"{what} has shape {v.shape}, expected ({ndir}, batch, {H})")
    if not np.all(v == v[:, :1, :]):
        raise UnsupportedError(f"{what} differs between batch rows; rnnc compiles one reset state "
                               "for every sequence")
    return v[:, 0, :]


REQUIRED = object()
#: (alpha, beta) of each parametrized activation: the default, REQUIRED where the model must
#: give it (the ONNX spec's defaults for Affine and ThresholdedRelu are not onnxruntime's, and
#: ScaledTanh has none: guessing would silently change the model), None where it takes none.
_PARAMS = {"leakyrelu": (0.01, None), "hardsigmoid": (0.2, 0.5), "elu": (1.0, None),
           "affine": (REQUIRED, 0.0), "thresholdedrelu": (REQUIRED, None), "scaledtanh": (REQUIRED, REQUIRED)}


def _activations(node, kind, ndir) -> tuple[ir.ActivationSpec, ...]:
    names = attr(node, "activations")
    if names is None:
        return tuple(ir.ActivationSpec(a) for a in ir.DEFAULT_ACTIVATIONS[kind] * ndir)
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    per_dir = len(ir.DEFAULT_ACTIVATIONS[kind])
    alphas = list(attr(node, "activation_alpha") or [])
    betas = list(attr(node, "activation_beta") or [])
    if len(names) == per_dir and ndir == 2:   # one set given for both directions
        names, alphas, betas = names * 2, alphas * 2, betas * 2
    if len(names) != per_dir * ndir:
        raise RnncError(f"{len(names)} activations given, {kind.upper()} needs {per_dir * ndir}")
    specs = []
    ai = bi = 0
    for n in names:
        key = n.lower()
        if key not in ACT_NAMES:
            raise UnsupportedError(f"activation '{n[:40]}' is not supported "
                                   f"(supported: {', '.join(ir.RNN_ACTIVATIONS)})")
        da, db = _PARAMS.get(key, (None, None))
        a = _param(n, "activation_alpha", alphas, ai, da)
        b = _param(n, "activation_beta", betas, bi, db)
        ai, bi = ai + (da is not None), bi + (db is not None)
        specs.append(ir.ActivationSpec(key, a, b))
    return tuple(specs)


def _param(fn: str, what: str, values: list, i: int, default):
    """The i-th value of activation_alpha/beta (consumed in order by the functions using one)."""
    if default is None:
        return None
    if i < len(values):
        return float(values[i])
    if default is REQUIRED:
        raise UnsupportedError(f"activation '{fn[:40]}' needs an explicit {what} value (runtimes "
                               "disagree on its default)")
    return default
