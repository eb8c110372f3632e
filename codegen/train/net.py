"""The trainable form of an rnnc IR model (PyTorch): the same layers with the same equations
(ONNX LSTM / GRU / RNN, dense, element-wise activations, the last step), with fake
quantization where the integer model quantizes.

Parameters are the IR's own, gates stacked in the IR's order (ir.GATES); `to_ir()` writes them
back into a copy of the model, which is what the compiler gets. The sloping factor (HitNet)
multiplies every gate pre-activation; it is folded into the gate weights and biases the model
hands on, so the integer model computes sigmoid(slope * z) with its ordinary gate functions.
"""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import torch
from torch import nn

from .. import ir
from ..errors import UnsupportedError
from .fake_quant import fake_code, fake_quantize, straight_through
from .plan import LayerQuant

KINDS = ("lstm", "gru", "rnn", "dense", "activation", "last_step")


def _param(a) -> nn.Parameter:
    return nn.Parameter(torch.from_numpy(np.array(a, np.float32)))


class Recurrent(nn.Module):
    def __init__(self, layer: ir.RecurrentLayer, slope: float):
        super().__init__()
        _check_recurrent(layer)
        self.kind, self.H, self.slope = layer.kind, layer.hidden_size, float(slope)
        self.gates = ir.GATES[layer.kind]
        self.act = layer.activations_for(0)[0].name.lower() if layer.kind == "rnn" else None
        self.lbr = bool(layer.linear_before_reset)
        g = layer.dirs[0].gates
        self.W = _param(np.concatenate([g[k].W for k in self.gates]))
        self.R = _param(np.concatenate([g[k].R for k in self.gates]))
        self.Wb = _param(np.concatenate([g[k].Wb for k in self.gates]))
        self.Rb = _param(np.concatenate([g[k].Rb for k in self.gates]))

    def effective(self) -> dict[str, torch.Tensor]:
        """The weights the model hands on: the parameters times the sloping factor."""
        return {k: self.slope * getattr(self, k) for k in ("W", "R", "Wb", "Rb")}

    def forward(self, x: torch.Tensor, w: dict, lq: LayerQuant | None) -> torch.Tensor:
        B, T, _ = x.shape
        code = lq is not None and lq.act_code is not None
        if code:
            x = fake_code(x, lq.in_q, lq.act_code)
        zx = x @ w["W"].T + w["Wb"]                     # (B, T, G*H): every step at once
        h = x.new_zeros(B, self.H)
        c = x.new_zeros(B, self.H)
        hq = lq.out_q if lq is not None else None
        ys = []
        for t in range(T):
            hin = fake_code(h, hq, lq.act_code) if code else h
            h, c = self._step(zx[:, t], hin, h, c, w, lq)
            h = fake_quantize(h, hq)
            ys.append(h)
        return torch.stack(ys, 1)

    def _step(self, zx, hin, h, c, w, lq):
        H = self.H
        if self.kind == "lstm":                     # gates i f c o
            z = zx + hin @ w["R"].T + w["Rb"]
            i, f, o = (torch.sigmoid(z[:, k * H:(k + 1) * H]) for k in (0, 1, 3))
            c = f * c + i * torch.tanh(z[:, 2 * H:3 * H])
            return o * torch.tanh(c), c
        if self.kind == "rnn":
            z = zx + hin @ w["R"].T + w["Rb"]
            return (torch.relu(z) if self.act == "relu" else torch.tanh(z)), c
        zr = zx[:, :2 * H] + hin @ w["R"][:2 * H].T + w["Rb"][:2 * H]     # gates z r h
        zg, r = torch.sigmoid(zr[:, :H]), torch.sigmoid(zr[:, H:])
        if self.lbr:
            n = torch.tanh(zx[:, 2 * H:] + r * (hin @ w["R"][2 * H:].T + w["Rb"][2 * H:]))
        else:
            rh = fake_quantize(r * h, lq.out_q if lq is not None else None)
            if lq is not None and lq.act_code is not None:
                rh = fake_code(rh, lq.out_q, lq.act_code)
            n = torch.tanh(zx[:, 2 * H:] + rh @ w["R"][2 * H:].T + w["Rb"][2 * H:])
        return (1 - zg) * n + zg * h, c

    def write(self, layer: ir.RecurrentLayer) -> ir.RecurrentLayer:
        w = {k: v.detach().numpy().astype(np.float32) for k, v in self.effective().items()}
        H = self.H
        gates = {g: ir.GateWeights(w["W"][k * H:(k + 1) * H].copy(), w["R"][k * H:(k + 1) * H].copy(),
                                   w["Wb"][k * H:(k + 1) * H].copy(), w["Rb"][k * H:(k + 1) * H].copy())
                 for k, g in enumerate(self.gates)}
        return dataclasses.replace(layer, dirs=[dataclasses.replace(layer.dirs[0], gates=gates)])

    def projected(self, layer: ir.RecurrentLayer) -> dict[str, torch.Tensor]:
        """The W and R a projected IR layer holds, stacked like the parameters."""
        g = layer.dirs[0].gates
        return {"W": torch.from_numpy(np.concatenate([g[k].W for k in self.gates]).astype(np.float32)),
                "R": torch.from_numpy(np.concatenate([g[k].R for k in self.gates]).astype(np.float32))}


def _check_recurrent(layer: ir.RecurrentLayer) -> None:
    why = None
    dp = layer.dirs[0]
    acts = tuple(a.name.lower() for a in layer.activations_for(0))
    if layer.direction != "forward":
        why = f"direction '{layer.direction}' (training supports forward layers)"
    elif dp.peepholes:
        why = "peepholes"
    elif layer.clip is not None:
        why = "ONNX 'clip'"
    elif any(v is not None and np.any(v != 0) for v in (dp.initial_h, dp.initial_c)):
        why = "a non-zero initial state"
    elif acts != ir.DEFAULT_ACTIVATIONS[layer.kind] and not (layer.kind == "rnn" and acts == ("relu",)):
        why = f"activations {acts}"
    if why:
        raise UnsupportedError(f"training does not support {why}", where=f"layer '{layer.name}' ({layer.kind})")


class Dense(nn.Module):
    def __init__(self, layer: ir.DenseLayer):
        super().__init__()
        if layer.fixed_quant is not None:
            raise UnsupportedError("a pre-quantized dense layer cannot be trained", where=f"layer '{layer.name}'")
        self.weight, self.bias = _param(layer.weight), _param(layer.bias)

    def effective(self):
        return {"weight": self.weight, "bias": self.bias}

    def forward(self, x, w, lq):
        return fake_quantize(x @ w["weight"].T + w["bias"], lq.out_q if lq else None)

    def write(self, layer):
        return dataclasses.replace(layer, weight=self.weight.detach().numpy().astype(np.float32).copy(),
                                   bias=self.bias.detach().numpy().astype(np.float32).copy())

    def projected(self, layer):
        return {"weight": torch.from_numpy(np.asarray(layer.weight, np.float32))}


class Activation(nn.Module):
    FUNCTIONS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                 "softmax": lambda x: torch.softmax(x, -1)}

    def __init__(self, layer: ir.ActivationLayer):
        super().__init__()
        self.function, self.alpha = layer.function, layer.alpha

    def effective(self):
        return {}

    def forward(self, x, w, lq):
        if self.function == "leakyrelu":
            y = torch.nn.functional.leaky_relu(x, 0.01 if self.alpha is None else self.alpha)
        else:
            y = self.FUNCTIONS[self.function](x)
        return fake_quantize(y, lq.out_q if lq else None)

    def write(self, layer):
        return layer


class LastStep(nn.Module):
    def __init__(self, layer: ir.LastStepLayer):
        super().__init__()
        if layer.reverse_width:
            raise UnsupportedError("training supports forward layers", where=f"layer '{layer.name}'")

    def effective(self):
        return {}

    def forward(self, x, w, lq):
        return x[:, -1:]

    def write(self, layer):
        return layer


class QatNet(nn.Module):
    """An IR model as a PyTorch module. forward(x, quant) runs it in float (quant None) or with
    the fake quantization of a list of LayerQuant and projected weights (see train/loop.py)."""

    def __init__(self, model: ir.Model, slope: float = 1.0):
        super().__init__()
        if model.input_kind != "float":
            raise UnsupportedError(f"training needs float model inputs ({model.source} takes token ids)")
        if model.fixed_input_quant is not None:
            raise UnsupportedError(f"{model.source} is already quantized (int8); train its float model")
        for l in model.layers:
            if l.kind not in KINDS:
                raise UnsupportedError(f"training does not support {l.kind} layers", where=f"layer '{l.name}'")
        self.template = copy.deepcopy(model)
        self.mods = nn.ModuleList(
            [Recurrent(l, slope) if isinstance(l, ir.RecurrentLayer) else
             {"dense": Dense, "activation": Activation, "last_step": LastStep}[l.kind](l) for l in model.layers])

    @property
    def ends_in_softmax(self) -> bool:
        last = self.template.layers[-1]
        return last.kind == "activation" and last.function == "softmax"

    def forward(self, x: torch.Tensor, quant: list[LayerQuant] | None = None,
                projected: list | None = None, logits: bool = False) -> torch.Tensor:
        """The model's output; logits=True stops before a final softmax (for the loss)."""
        n = len(self.mods) - (1 if logits and self.ends_in_softmax else 0)
        if quant is not None and quant[0].in_q is not None and not isinstance(self.mods[0], LastStep):
            x = fake_quantize(x, quant[0].in_q)
        for i, mod in enumerate(self.mods[:n]):
            w = mod.effective()
            if projected is not None and projected[i] is not None:
                w.update({k: straight_through(w[k], v) for k, v in projected[i].items()})
            x = mod(x, w, quant[i] if quant is not None else None)
        return x

    def to_ir(self) -> ir.Model:
        """The model with the trained weights (sloping factor folded in), for the compiler."""
        m = copy.deepcopy(self.template)
        m.layers = [mod.write(l) for mod, l in zip(self.mods, m.layers)]
        return m

    def projected_tensors(self, layers: list) -> list:
        """Per module, the projected weights as tensors (None where a layer has none)."""
        return [mod.projected(l) if hasattr(mod, "projected") else None for mod, l in zip(self.mods, layers)]

    def recurrent_matrices(self):
        """(module index, name, parameter) of every gate matrix pruning applies to."""
        for i, mod in enumerate(self.mods):
            if isinstance(mod, Recurrent):
                yield i, "W", mod.W
                yield i, "R", mod.R
