"""From the trained network to the compiler: the ONNX file, the calibration set and the
compile settings, and the integer mode (the quantized model in rnnc's simulator).

The integer mode quantizes the trained IR model in memory with the same plan and calibration
set; `rnnc compile` of the written files quantizes what it reads back from them. Both must give
the same QModel, so the simulator's (and the generated C's) outputs equal the integer mode's
bit for bit (tests/test_train.py checks it through the files).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import ir
from ..quantize import quantize_model
from ..simulate import run_model
from .plan import QuantPlan


def quantized_model(model: ir.Model, plan: QuantPlan, calib: np.ndarray):
    """The QModel `rnnc compile` makes of the trained model with the plan's settings."""
    return quantize_model(model, plan.scheme, calib, layer_schemes=plan.layer_schemes or None,
                          options=dict(plan.lowbit))


def integer_output(model: ir.Model, plan: QuantPlan, calib: np.ndarray, x: np.ndarray,
                   logits: bool = False) -> np.ndarray:
    """The trained model's output in integer mode, as real numbers. logits=True: a final
    softmax layer is left out (its input is what the loss and the metric score)."""
    if logits and model.layers and model.layers[-1].kind == "activation" and model.layers[-1].function == "softmax":
        model = ir.Model(**{**model.__dict__, "layers": model.layers[:-1]})
    qm = quantized_model(model, plan, calib)
    y = run_model(qm, x)
    if qm.output_q is None:
        return np.asarray(y, np.float32)
    return ((y.astype(np.float64) - qm.output_q.zero_point) * qm.output_q.scale).astype(np.float32)


def save_trained(model: ir.Model, plan: QuantPlan, calib: np.ndarray, path: str | Path,
                 report: dict | None = None) -> dict:
    """Write PATH (.onnx), PATH's .calib.npy and .train.json; returns the json record with the
    `rnnc compile` settings and command that reproduce the integer mode (layers named as the
    compiler names them in the written file)."""
    from ..export_onnx import save_onnx
    path = Path(path)
    save_onnx(model, path)
    plan = _plan_for_file(model, plan, path)
    calib_path = path.with_name(path.stem + ".calib.npy")
    np.save(calib_path, np.asarray(calib, np.float32))
    cmd = ["rnnc", "compile", str(path), "-o", "OUT", "--calib", str(calib_path)] + plan.command_line()
    record = {"model": path.name, "calib": calib_path.name, "compile": plan.compile_args(),
              "command": " ".join(cmd), "report": report or {}}
    path.with_name(path.stem + ".train.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return record


def _plan_for_file(model: ir.Model, plan: QuantPlan, path: Path) -> QuantPlan:
    """The plan with --layer-scheme naming the layers as rnnc names them reading the written
    file (its frontend names layers by kind and position, whatever they were called before)."""
    from ..errors import RnncError
    from ..frontends import load_model
    back = load_model(str(path))
    if [l.kind for l in back.layers] != [l.kind for l in model.layers]:
        raise RnncError(f"the written model reads back as other layers ({[l.kind for l in back.layers]})", file=str(path))
    names = {l.name: b.name for l, b in zip(model.layers, back.layers)}
    return QuantPlan(back, plan.scheme, {names[k]: v for k, v in plan.layer_schemes.items()}, plan.lowbit)
