"""Quantize a float IR model into a QModel: one scheme, or a scheme per layer.

Steps: run the float model over the calibration sequences (each batch row independent,
starting from the reset state, exactly like deployment) collecting statistics per layer;
then walk the chain asking each layer's registered quantizer for a QLayer, feeding it the
quantization of the previous layer's output.

Mixed precision: where a layer's scheme wants its input in another form than the previous
layer gives (float after int8, int16 after int8, int8 after float), an explicit conversion
layer (kind 'convert', quant/convert.py) is inserted between them: quantize, dequantize or
requantize, defined exactly and computed identically by the simulator and the C.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import ir
from .calibrate import Stats
from .errors import RnncError
from .qmodel import QLayer, QModel
from .quant.common import activation_qparams
from .registry import QUANTIZERS, lookup, run_planners
from .progress import stage
from .schemes import Scheme, get_scheme


@dataclass
class QuantContext:
    scheme: str
    in_dtype: str
    in_q: ir.QuantParams | None
    stats: Stats
    source: str
    index: int
    options: dict[str, Any] = field(default_factory=dict)
    #: for a conversion layer: the input quantization the next layer fixes (pre-quantized models)
    next_input_q: ir.QuantParams | None = None

    @property
    def scheme_obj(self) -> Scheme:
        return get_scheme(self.scheme)

    @property
    def act_dtype(self) -> str:
        return self.scheme_obj.act_dtype


def quantize_model(model: ir.Model, scheme: str, calib: np.ndarray | None = None, *,
                   target: str = "host", prefix: str | None = None,
                   layer_schemes: dict[str, str] | None = None,
                   options: dict[str, Any] | None = None) -> QModel:
    options = dict(options or {})
    schemes = layer_scheme_list(model, scheme, layer_schemes)
    pre_quantized = model.fixed_input_quant is not None
    if pre_quantized:
        _check_pre_quantized(model, schemes)
    stats = [Stats() for _ in model.layers]
    if calib is not None:
        calib = check_calibration(calib, model)
        stats = float_calibration(model, calib)
    elif not pre_quantized and not all(s.is_float for s in schemes):
        names = sorted({s.name for s in schemes if not s.is_float})
        raise RnncError(f"scheme '{names[0]}' needs calibration data: pass --calib CALIB.npy "
                        "(float32, shape (batch, T, features))", file=model.source)

    from .quant.lowbit import check_lowbit_options
    check_lowbit_options(options, schemes, model.source)
    run_planners(model, schemes, options)
    with stage("quantizing"):
        qlayers = _quantize_chain(model, schemes, stats, options, pre_quantized)
    first_in_q = qlayers[0].in_q if model.input_kind != "tokens" else None
    in_dtype, in_q = qlayers[-1].out_dtype, qlayers[-1].out_q

    qm = QModel(
        name=prefix or model.name, source=model.source, sha256=model.sha256, scheme=scheme,
        target=target, input_size=model.input_size, input_dtype=qlayers[0].in_dtype if qlayers else "float32",
        output_size=model.output_size, output_dtype=in_dtype, layers=qlayers,
        input_q=first_in_q, output_q=in_q, input_kind=model.input_kind,
        sequence_lens=model.sequence_lens, options=options, state_io=list(model.state_io),
        max_steps=int(options.get("max_steps") or model.time_steps or 256))
    if calib is not None:
        from .report import measure_sqnr
        with stage("measuring each layer's SQNR against float"):
            measure_sqnr(qm, calib, [st.samples["out"] for st in stats])
    return qm


def float_calibration(model: ir.Model, calib: np.ndarray) -> list[Stats]:
    """Each layer's statistics from the float model run over checked calibration sequences
    (every row from the reset state, all its steps valid)."""
    from .simulate import run_layers
    stats = [Stats() for _ in model.layers]
    lengths = np.full(calib.shape[0], calib.shape[1], np.int64)
    with stage(f"calibrating on {calib.shape[0]} sequences of {calib.shape[1]} steps"):
        run_layers(_float_qlayers(model), calib, lengths, stats=stats)
    return stats


def _quantize_chain(model: ir.Model, schemes: list[Scheme], stats: list[Stats], options: dict,
                    pre_quantized: bool) -> list[QLayer]:
    """Each layer's quantizer in turn, fed the previous layer's output quantization, with a
    conversion layer wherever the next layer's scheme wants its input in another form."""
    qlayers: list[QLayer] = []
    in_dtype, in_q = _model_input(model, schemes[0], stats)
    for i, (layer, s) in enumerate(zip(model.layers, schemes)):
        if layer.kind != "embedding" and in_dtype != s.act_dtype:
            conv = _quantize(ir.ConvertLayer(f"{layer.name}_in", layer.input_size), s.name,
                             QuantContext(s.name, in_dtype, in_q, stats[i], model.source, i, options,
                                          next_input_q=_fixed_input(layer) if pre_quantized else None), model)
            qlayers.append(conv)
            in_dtype, in_q = conv.out_dtype, conv.out_q
        q = _quantize(layer, s.name, QuantContext(s.name, in_dtype, in_q, stats[i], model.source, i, options), model)
        qlayers.append(q)
        in_dtype, in_q = q.out_dtype, q.out_q
    return qlayers


def _quantize(layer, scheme: str, ctx: QuantContext, model: ir.Model) -> QLayer:
    fn = lookup(QUANTIZERS, layer.kind, scheme, "quantizer", f"layer '{layer.name}'")
    try:
        return fn(layer, ctx)
    except RnncError as e:
        raise e.with_context(file=model.source, where=f"layer '{layer.name}' ({layer.kind})") from None


def layer_scheme_list(model: ir.Model, scheme: str, layer_schemes: dict[str, str] | None) -> list[Scheme]:
    """The scheme of every layer: --scheme, overridden per layer by --layer-scheme NAME=SCHEME.
    An unknown layer or scheme name is an error, never ignored."""
    default = get_scheme(scheme)
    names = [l.name for l in model.layers]
    chosen = {}
    for name, s in (layer_schemes or {}).items():
        if name not in names:
            raise RnncError(f"--layer-scheme names layer '{name}', which the model does not have "
                            f"(its layers: {', '.join(names)})", file=model.source)
        try:
            chosen[name] = get_scheme(s)
        except RnncError as e:
            raise RnncError(f"--layer-scheme {name}={s}: {e.reason}", file=model.source) from None
    return [chosen.get(l.name, default) for l in model.layers]


def _check_pre_quantized(model: ir.Model, schemes: list[Scheme]) -> None:
    """A model that comes quantized (an int8 .tflite) keeps its own int8 quantization; a layer
    may instead be computed in float (its dequantized weights), nothing else."""
    for layer, s in zip(model.layers, schemes):
        if s.name not in ("int8", "float"):
            raise RnncError(f"{model.source} is already quantized (int8): compile it with --scheme int8, "
                            "which keeps its own quantization, or --scheme float (dequantized weights); "
                            f"layer '{layer.name}' cannot be {s.name}")


def _fixed_input(layer) -> ir.QuantParams | None:
    fixed = getattr(layer, "fixed_quant", None) or {}
    return fixed.get("input")


def _model_input(model: ir.Model, first: Scheme, stats: list[Stats]):
    """The model's input follows its first layer: int32 token ids for an embedding, else that
    layer's activation dtype (quantized like a pre-quantized model's input, or calibrated)."""
    if model.input_kind == "tokens":
        return "int32", None
    if first.is_float:
        return "float32", None
    if model.fixed_input_quant is not None:
        q = model.fixed_input_quant
        return q.dtype, q
    return first.act_dtype, activation_qparams(stats[0].range("in"), first.act_dtype)


def _float_qlayers(model: ir.Model) -> list[QLayer]:
    out = []
    for layer in model.layers:
        fn = lookup(QUANTIZERS, layer.kind, "float", "quantizer", f"layer '{layer.name}'")
        in_dtype = "int32" if layer.kind == "embedding" else "float32"
        out.append(fn(layer, QuantContext("float", in_dtype, None, Stats(), model.source, 0)))
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
