"""Float reference of ONNX LSTM / GRU / RNN (all attributes), vectorised over the batch.

Row b runs steps 0..lengths[b]-1; the reverse direction starts at lengths[b]-1. Outputs at
steps >= length are zero (ONNX). A bidirectional layer outputs concat(h_fw, h_bw).
"""
from __future__ import annotations

import numpy as np

from .. import ir
from ..registry import simulator
from ._recurrent import keep_final, run_directions, start_state


def _act(spec: ir.ActivationSpec):
    a, b = spec.alpha, spec.beta
    n = spec.name
    table = {
        "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
        "tanh": np.tanh,
        "relu": lambda x: np.maximum(x, 0),
        "affine": lambda x: a * x + b,
        "leakyrelu": lambda x: np.where(x >= 0, x, a * x),
        "thresholdedrelu": lambda x: np.where(x > a, x, 0),
        "scaledtanh": lambda x: a * np.tanh(b * x),
        "hardsigmoid": lambda x: np.clip(a * x + b, 0, 1),
        "elu": lambda x: np.where(x >= 0, x, a * (np.exp(np.minimum(x, 0)) - 1)),
        "softsign": lambda x: x / (1 + np.abs(x)),
        "softplus": lambda x: np.logaddexp(0, x),
    }
    fn = table[n]

    def apply(x):
        with np.errstate(over="ignore"):   # exp overflow saturates sigmoid/elu correctly
            return np.asarray(fn(x), np.float32)
    return apply


def _clip(layer):
    if layer.clip is None:
        return lambda v: v
    c = np.float32(layer.clip)
    return lambda v: np.clip(v, -c, c)


def _gate_pre(gw: ir.GateWeights, x, h):
    return x @ gw.W.T + gw.Wb + h @ gw.R.T + gw.Rb


def _lstm_step(layer, dp, acts, x, h, c, stats, valid):
    f_, g_, h_ = (_act(a) for a in acts)
    clip = _clip(layer)
    G = dp.gates
    P = dp.peepholes or {}
    pre_i = clip(_gate_pre(G["i"], x, h) + (P["i"] * c if "i" in P else 0))
    pre_f = clip(_gate_pre(G["f"], x, h) + (P["f"] * c if "f" in P else 0))
    pre_c = clip(_gate_pre(G["c"], x, h))
    i, f, g = f_(pre_i), f_(pre_f), g_(pre_c)
    c_new = f * c + i * g
    pre_o = clip(_gate_pre(G["o"], x, h) + (P["o"] * c_new if "o" in P else 0))
    o = f_(pre_o)
    h_new = o * h_(c_new)
    if stats is not None:
        for n, v in (("gate_i", pre_i), ("gate_f", pre_f), ("gate_c", pre_c), ("gate_o", pre_o),
                     ("cell", c_new), ("hidden", h_new)):
            stats.observe(n, v[valid])
    return h_new.astype(np.float32), c_new.astype(np.float32)


def _gru_step(layer, dp, acts, x, h, c, stats, valid):
    f_, g_ = (_act(a) for a in acts)
    clip = _clip(layer)
    G = dp.gates
    pre_z = clip(_gate_pre(G["z"], x, h))
    pre_r = clip(_gate_pre(G["r"], x, h))
    z, r = f_(pre_z), f_(pre_r)
    gh = G["h"]
    if layer.linear_before_reset:
        pre_h = x @ gh.W.T + gh.Wb + r * (h @ gh.R.T + gh.Rb)
    else:
        pre_h = x @ gh.W.T + gh.Wb + (r * h) @ gh.R.T + gh.Rb
    pre_h = clip(pre_h)
    n = g_(pre_h)
    h_new = (1 - z) * n + z * h
    if stats is not None:
        for name, v in (("gate_z", pre_z), ("gate_r", pre_r), ("gate_h", pre_h), ("hidden", h_new)):
            stats.observe(name, v[valid])
    return h_new.astype(np.float32), c


def _rnn_step(layer, dp, acts, x, h, c, stats, valid):
    pre = _clip(layer)(_gate_pre(dp.gates["h"], x, h))
    h_new = _act(acts[0])(pre)
    if stats is not None:
        stats.observe("gate_h", pre[valid])
        stats.observe("hidden", h_new[valid])
    return h_new.astype(np.float32), c


STEPS = {"lstm": _lstm_step, "gru": _gru_step, "rnn": _rnn_step}


@simulator("lstm", family="float")
@simulator("gru", family="float")
@simulator("rnn", family="float")
def simulate_rnn_float(q, x, lengths, stats, state=None):
    layer: ir.RecurrentLayer = q.ir
    H = layer.hidden_size
    step_fn = STEPS[layer.kind]

    roles = ("h", "c") if layer.kind == "lstm" else ("h",)

    def init(d, B):
        dp = layer.dirs[d]
        reset = tuple(np.broadcast_to(v if v is not None else np.zeros(H, np.float32), (B, H)).astype(np.float32)
                      for v in (dp.initial_h, dp.initial_c))
        return start_state(state, roles, reset[:len(roles)], d) + reset[len(roles):]

    def step(d, xt, state, valid):
        return step_fn(layer, layer.dirs[d], layer.activations_for(d), xt, state[0], state[1], stats, valid)
    y, finals = run_directions(np.asarray(x, np.float32), lengths, layer.direction, H, np.float32, init, step)
    keep_final(state, roles, finals)
    return y
