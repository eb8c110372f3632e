"""What quantization-aware training needs from the compiler, in numpy: each layer's weights as
the scheme codes them, and the activation quantization calibration gives (docs/training.md).

Both come from the compiler's own code, not from a second implementation: the weights from
the weight projector registered beside each quantizer (registry.weight_projector: the same
coders, pruning masks and residual choices as `rnnc compile`), the activation parameters from
the float calibration run and activation_qparams that quantize_model uses.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from .. import ir
from ..quant.common import activation_qparams
from ..quant.glue_int import FIXED_OUT
from ..quant.lowbit import check_lowbit_options
from ..quantize import check_calibration, float_calibration, layer_scheme_list
from ..registry import find_projector, run_planners
from ..schemes import Scheme


@dataclass
class LayerQuant:
    """Fake quantization of one layer in the training forward pass."""
    scheme: Scheme
    in_q: ir.QuantParams | None = None    # the layer's input (None: float)
    out_q: ir.QuantParams | None = None   # its output (recurrent: also the fed-back state)
    act_code: dict | None = None          # gate inputs coded online: {'kind', 'bits'}


class QuantPlan:
    """The schemes of a model's layers and the compiler settings they are compiled with.

    >>> from codegen.train.plan import QuantPlan
    >>> import numpy as np
    >>> from codegen import ir
    >>> d = ir.DenseLayer("fc", np.ones((2, 3), np.float32), np.zeros(2, np.float32))
    >>> p = QuantPlan(ir.Model("m", "m.onnx", "", 3, [d]), "int8")
    >>> [s.name for s in p.schemes], p.is_float
    (['int8'], False)
    """

    def __init__(self, model: ir.Model, scheme: str, layer_schemes: dict[str, str] | None = None,
                 lowbit: dict | None = None, sparsity: float = 0.0):
        """sparsity: the fraction training prunes; the compile settings carry it as --sparsity
        where a low-bit layer takes it (int8 layers keep the zeros as int8 zeros)."""
        self.scheme = scheme
        self.layer_schemes = dict(layer_schemes or {})
        self.lowbit = {k: v for k, v in (lowbit or {}).items() if v not in (None, 0, 0.0)}
        self.schemes = layer_scheme_list(model, scheme, self.layer_schemes)
        if sparsity and any(s.family == "lowbit" for s in self.schemes):
            self.lowbit["sparsity"] = sparsity
        check_lowbit_options(self.lowbit, self.schemes, model.source)

    @property
    def is_float(self) -> bool:
        return all(s.is_float for s in self.schemes)

    def options(self, sparsity: float | None = None) -> dict:
        """The low-bit settings, with the pruning fraction reached so far during training."""
        opts = dict(self.lowbit)
        if sparsity is not None:
            opts["sparsity"] = sparsity
        if not opts.get("sparsity"):
            opts.pop("sparsity", None)
        return opts

    def project(self, model: ir.Model, sparsity: float | None = None) -> list:
        """Every layer with its weights replaced by the real values of its integer weights."""
        opts = self.options(sparsity)
        if any(s.family == "lowbit" for s in self.schemes):
            check_lowbit_options(opts, self.schemes, model.source)
        run_planners(model, self.schemes, opts)
        out = []
        for layer, s in zip(model.layers, self.schemes):
            fn = find_projector(layer.kind, s.name)
            out.append(fn(layer, SimpleNamespace(scheme=s.name, options=opts)) if fn else layer)
        return out

    def activations(self, model: ir.Model, calib: np.ndarray) -> list[LayerQuant]:
        """Each layer's activation quantization from a float calibration run, as quantize_model
        derives it (the input of a layer from its own statistics where the scheme changes)."""
        stats = float_calibration(model, check_calibration(calib, model))
        out = []
        for layer, s, st in zip(model.layers, self.schemes, stats):
            if s.is_float:
                out.append(LayerQuant(s))
                continue
            act = s.act_dtype
            in_q = activation_qparams(st.range("in"), act)
            fixed = FIXED_OUT.get((getattr(layer, "function", None), act))
            if layer.kind == "last_step":
                out_q = None
            elif fixed is not None:
                out_q = ir.QuantParams(fixed[0], fixed[1], act)
            else:
                out_q = activation_qparams(st.range("out"), act)
            code = s.coder_settings.get("act")
            out.append(LayerQuant(s, in_q, out_q, {"kind": code, "bits": s.coder_settings["act_bits"]}
                                  if code else None))
        return out

    def compile_args(self) -> dict:
        """compile_model's keyword arguments that reproduce this plan."""
        return {"scheme": self.scheme, "layer_schemes": self.layer_schemes or None, "lowbit": self.lowbit or None}

    def command_line(self) -> list[str]:
        """The same settings as `rnnc compile` flags."""
        args = ["--scheme", self.scheme]
        for name, s in sorted(self.layer_schemes.items()):
            args += ["--layer-scheme", f"{name}={s}"]
        for key, flag in (("residual", "--residual"), ("residual_threshold_db", "--residual-threshold"),
                          ("sparsity", "--sparsity")):
            if key in self.lowbit:
                args += [flag, str(self.lowbit[key])]
        return args


def prunable(layer) -> bool:
    """Pruning (--sparsity) applies to the gate matrices of recurrent layers."""
    return isinstance(layer, ir.RecurrentLayer)
