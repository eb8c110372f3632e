"""Per-layer figures: sizes, memory, MACs, and the SQNR of each quantized layer vs float.

SQNR is measured on the calibration data at compile time: the quantized model runs in the
simulator, each layer's output is dequantized and compared with the float model's output of
the same layer (errors accumulate through the chain, as they do on the device).
"""
from __future__ import annotations

import math

import numpy as np

from . import ir
from .emit.layercode import C_SIZES, ConstArray
from .qmodel import QModel
from .quant.common import dequantize_array, quantize_array



def macs_per_step(q) -> int:
    layer = q.ir
    if layer is None:
        return int(q.attrs.get("macs_per_step", 0))
    if isinstance(layer, ir.RecurrentLayer):
        g = len(ir.GATES[layer.kind])
        return g * layer.hidden_size * (layer.input_size + layer.hidden_size) * layer.num_directions
    if isinstance(layer, ir.DenseLayer):
        return layer.input_size * layer.output_size
    return 0


def parameter_count(q) -> int:
    layer = q.ir
    if isinstance(layer, ir.RecurrentLayer):
        return sum(a.size for name, a in ir._arrays_of(layer) if "initial" not in name)
    if isinstance(layer, ir.DenseLayer):
        return layer.weight.size + layer.bias.size
    if isinstance(layer, ir.EmbeddingLayer):
        return layer.table.size
    return 0


def measure_sqnr(qm: QModel, calib: np.ndarray, float_outputs: list[np.ndarray]) -> None:
    """Store report['sqnr_db'] on every layer of qm (None for float and conversion layers).

    float_outputs: the float model's output of each IR layer on `calib` (kept by the
    calibration run); the quantized model runs on the same data in the simulator and each
    layer's dequantized output is compared with the float output of the same layer."""
    from .simulate import run_layers
    lengths = np.full(calib.shape[0], calib.shape[1], np.int64)
    x = calib if qm.input_q is None else quantize_array(calib, qm.input_q)
    _, got = run_layers(qm.layers, x, lengths, keep=True)
    ref = iter(float_outputs)
    for q, g in zip(qm.layers, got):
        if q.kind == "convert":
            continue
        r = next(ref)
        if q.out_q is None:
            q.report["sqnr_db"] = None
            continue
        deq = dequantize_array(g, q.out_q).astype(np.float64)
        noise = float(np.sum((r.astype(np.float64) - deq) ** 2))
        signal = float(np.sum(r.astype(np.float64) ** 2))
        q.report["sqnr_db"] = (float("inf") if noise == 0 else 10 * math.log10(max(signal, 1e-30) / noise))


def layer_rows(qm: QModel, target: dict) -> list[dict]:
    from .emit.frame import layer_views
    from .kernel_variants import layer_backend
    rows = []
    for q, v in zip(qm.layers, layer_views(qm, target)):
        weight_bytes = sum(w.nbytes for w in v.code.weights if isinstance(w, ConstArray))
        rows.append(dict(
            layer=q.name, type=q.kind + _direction(q), sizes=f"{q.in_size}->{q.out_size}",
            scheme=q.scheme, kernels=layer_backend(qm, q) or "rnnc", params=parameter_count(q), weight_bytes=weight_bytes,
            state_bytes=sum(C_SIZES[b.ctype] * b.count for b in v.code.state),
            scratch_bytes=sum(C_SIZES[b.ctype] * b.count for b in v.code.scratch),
            macs=macs_per_step(q), sqnr=q.report.get("sqnr_db"),
            bits=8 * weight_bytes / parameter_count(q) if parameter_count(q) else None))
    return rows


def _direction(q) -> str:
    d = getattr(q.ir, "direction", None) or q.attrs.get("direction")
    return "" if d in (None, "forward") else f"({d})"


def _total_bits(rows: list[dict]) -> str:
    params = sum(r["params"] for r in rows)
    return f"{8 * sum(r['weight_bytes'] for r in rows) / params:.2f}" if params else "-"


def format_table(rows: list[dict]) -> str:
    cols = [("layer", "layer"), ("type", "type"), ("sizes", "in->out"), ("scheme", "scheme"),
            ("kernels", "kernels"), ("params", "params"), ("weight_bytes", "weight B"), ("state_bytes", "state B"),
            ("scratch_bytes", "scratch B"), ("macs", "MACs/step"), ("bits", "bits/param"), ("sqnr", "SQNR dB")]
    def fmt(k, v):
        if k == "bits":
            return "-" if v is None else f"{v:.2f}"
        if k == "sqnr":
            return "-" if v is None else ("inf" if v == float("inf") else f"{v:.1f}")
        return str(v)
    table = [[h for _, h in cols]] + [[fmt(k, r[k]) for k, _ in cols] for r in rows]
    total = ["total", "", "", "", "", str(sum(r["params"] for r in rows)),
             str(sum(r["weight_bytes"] for r in rows)), str(sum(r["state_bytes"] for r in rows)),
             str(sum(r["scratch_bytes"] for r in rows)), str(sum(r["macs"] for r in rows)),
             _total_bits(rows), ""]
    table.append(total)
    widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
    lines = ["  ".join(c.rjust(w) if i >= 5 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
