"""Quantize a float IR model into a QModel with one scheme (per-layer overrides allowed).

Steps: run the float model over the calibration sequences (each batch row independent,
starting from the reset state, exactly like deployment) collecting statistics per layer;
then walk the chain asking each layer's registered quantizer for a QLayer, feeding it the
quantization of the previous layer's output.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import ir
from .calibrate import Stats
from .errors import RnncError
from .qmodel import QLayer, QModel
from .quant.common import SCHEME_ACTIVATION_DTYPE, activation_qparams
from .registry import QUANTIZERS, lookup, schemes


@dataclass
class QuantContext:
    scheme: str
    in_dtype: str
    in_q: ir.QuantParams | None
    stats: Stats
    source: str
    index: int
    is_last: bool
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def act_dtype(self) -> str:
        return SCHEME_ACTIVATION_DTYPE.get(self.scheme, "int8")


def quantize_model(model: ir.Model, scheme: str, calib: np.ndarray | None = None, *,
                   target: str = "host", prefix: str | None = None,
                   layer_schemes: dict[str, str] | None = None,
                   options: dict[str, Any] | None = None) -> QModel:
    if scheme not in schemes():
        raise RnncError(f"unknown scheme '{scheme}' (available: {', '.join(schemes())})")
    options = dict(options or {})
    pre_quantized = model.fixed_input_quant is not None and scheme != "float"
    if pre_quantized and scheme != "int8":
        raise RnncError(f"{model.source} is already quantized (int8): compile it with --scheme int8, "
                        "which keeps its own quantization, or --scheme float (dequantized weights)")
    float_layers = _float_qlayers(model)
    stats = [Stats() for _ in model.layers]
    if calib is not None:
        calib = check_calibration(calib, model)
        from .simulate import run_layers
        lengths = np.full(calib.shape[0], calib.shape[1], np.int64)
        run_layers(float_layers, calib, lengths, stats=stats)
    elif scheme != "float" and not pre_quantized:
        raise RnncError(f"scheme '{scheme}' needs calibration data: pass --calib CALIB.npy "
                        "(float32, shape (batch, T, features))", file=model.source)

    qlayers: list[QLayer] = []
    in_dtype, in_q = _model_input(model, scheme, stats)
    first_in_q = in_q
    for i, layer in enumerate(model.layers):
        s = (layer_schemes or {}).get(layer.name, scheme)
        if pre_quantized:
            s = "int8"
        fn = lookup(QUANTIZERS, layer.kind, s, "quantizer", f"layer '{layer.name}'")
        ctx = QuantContext(s, in_dtype, in_q, stats[i], model.source, i, i == len(model.layers) - 1, options)
        try:
            q = fn(layer, ctx)
        except RnncError as e:
            raise e.with_context(file=model.source, where=f"layer '{layer.name}' ({layer.kind})") from None
        qlayers.append(q)
        in_dtype, in_q = q.out_dtype, q.out_q

    return QModel(
        name=prefix or model.name, source=model.source, sha256=model.sha256, scheme=scheme,
        target=target, input_size=model.input_size, input_dtype=qlayers[0].in_dtype if qlayers else "float32",
        output_size=model.output_size, output_dtype=in_dtype, layers=qlayers,
        input_q=first_in_q, output_q=in_q, input_kind=model.input_kind,
        sequence_lens=model.sequence_lens, options=options,
        max_steps=int(options.get("max_steps") or model.time_steps or 256))


def _model_input(model: ir.Model, scheme: str, stats: list[Stats]):
    if model.input_kind == "tokens":
        return "int32", None
    if model.fixed_input_quant is not None and scheme != "float":
        q = model.fixed_input_quant
        return q.dtype, q
    dtype = SCHEME_ACTIVATION_DTYPE[scheme]
    if dtype == "float32":
        return "float32", None
    return dtype, activation_qparams(stats[0].range("in"), dtype)


def _float_qlayers(model: ir.Model) -> list[QLayer]:
    out = []
    for layer in model.layers:
        fn = lookup(QUANTIZERS, layer.kind, "float", "quantizer", f"layer '{layer.name}'")
        in_dtype = "int32" if layer.kind == "embedding" else "float32"
        out.append(fn(layer, QuantContext("float", in_dtype, None, Stats(), model.source, 0, False)))
    return out


def check_calibration(calib: np.ndarray, model: ir.Model, what: str = "calibration data") -> np.ndarray:
    calib = np.asarray(calib)
    if calib.ndim != 3:
        raise RnncError(f"{what} must have shape (batch, T, features), got {calib.shape}")
    if calib.shape[0] == 0 or calib.shape[1] == 0:
        raise RnncError(f"{what} is empty (shape {calib.shape})")
    if calib.shape[2] != model.input_size:
        raise RnncError(f"{what} has {calib.shape[2]} features but the model takes {model.input_size}")
    if model.input_kind == "tokens":
        if not np.issubdtype(calib.dtype, np.integer):
            raise RnncError(f"{what} for an embedding model must hold integer token ids")
        return calib.astype(np.int32)
    if not np.issubdtype(calib.dtype, np.floating):
        raise RnncError(f"{what} must be float32, got {calib.dtype}")
    if not np.all(np.isfinite(calib)):
        raise RnncError(f"{what} contains NaN or Inf")
    return calib.astype(np.float32)
