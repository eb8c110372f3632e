"""Instructions per time step and footprint on emulated Cortex-M4 and Cortex-M55, side by side.

Models (32 inputs, batch 1, streaming step API):
  int8 LSTM H = 64 and 256   the converter-made benchmarks/models/lstm_h{H}.tflite (TFLM arithmetic)
  int8 GRU  H = 64 and 256   a float ONNX GRU with random weights, quantized by rnnc (calibrated)
Kernels: rnnc's portable C, DSP (SMLAD) and Helium (MVE) paths, and CMSIS-NN's
arm_lstm_unidirectional_s8 built from CMSIS_NN_PATH in the same testbench (LSTM only: CMSIS-NN
has no GRU). Instructions are counted by QEMU (our TCG plugin) inside the model code, CMSIS-NN's
functions and the C library calls they make; per step = difference of a 24- and an 8-step run / 16.

Flash and RAM are the model code alone (arm-none-eabi-size of the model's objects, CMSIS-NN's
included where called); RAM adds the caller-owned state struct to the static scratch. The
theoretical minimum beside them: int8 weights + one int32 bias per gate row + the state.

usage: python benchmarks/cortex_m.py [--sizes 64 256]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codegen.api import compile_model  # noqa: E402
from codegen.errors import RnncError  # noqa: E402
from codegen.qmodel import QModel  # noqa: E402
from codegen.report import layer_rows  # noqa: E402
from codegen.toolchain.footprint import measure  # noqa: E402
from codegen.toolchain.insncount import instructions_per_step  # noqa: E402
from codegen.toolchain.targets import load_target  # noqa: E402

CORES = ("cortex-m4", "cortex-m55")
OWN = {"portable": "RNNC_KERNELS_PORTABLE", "dsp": "RNNC_KERNELS_DSP", "mve": "RNNC_KERNELS_MVE"}
COLUMNS = ("portable", "dsp", "mve", "cmsis-nn")


def recurrent_onnx(op: str, H: int, n_in: int, path: Path, seed: int = 0, **attrs) -> None:
    """One ONNX LSTM or GRU layer (uniform +-1/sqrt(H) weights, as PyTorch initializes them),
    input (T, 1, n_in), output (T, 1, H)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    gates = {"LSTM": 4, "GRU": 3}[op]
    rng = np.random.default_rng(seed)
    s = 1 / np.sqrt(H)
    W = rng.uniform(-s, s, (1, gates * H, n_in)).astype(np.float32)
    R = rng.uniform(-s, s, (1, gates * H, H)).astype(np.float32)
    B = rng.uniform(-s, s, (1, 2 * gates * H)).astype(np.float32)
    nodes = [helper.make_node(op, ["X", "W", "R", "B"], ["Y"], hidden_size=H, **attrs),
             helper.make_node("Squeeze", ["Y", "axes"], ["out"])]
    inits = [numpy_helper.from_array(a, n) for a, n in ((W, "W"), (R, "R"), (B, "B"))]
    inits.append(numpy_helper.from_array(np.array([1], np.int64), "axes"))
    graph = helper.make_graph(nodes, op.lower(), [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["T", 1, n_in])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))


def gru_onnx(H: int, n_in: int, path: Path, seed: int = 0) -> None:
    recurrent_onnx("GRU", H, n_in, path, seed, linear_before_reset=1)


def minimum_bytes(qm: QModel, tgt: dict) -> int:
    """int8 weights + an int32 bias per gate row (input and recurrent) + the state."""
    total = 0
    for q, row in zip(qm.layers, layer_rows(qm, tgt)):
        for k, a in q.arrays.items():
            if k[:1] in ("w", "r") and a.dtype == np.int8:
                total += a.size
            elif k[:2] in ("bx", "bh") and np.any(a):
                total += 4 * a.size
        total += row["state_bytes"]
    return total


def measure_build(out: Path, core: str, variant: str) -> dict:
    qm, tgt = QModel.load(out), load_target(core)
    extra = [f"-DRNNC_KERNELS={OWN[variant]}"] if variant in OWN else []
    ips = instructions_per_step(out, tgt, qm, extra=extra)
    fp = measure(out, tgt, qm, extra=extra)
    state = sum(r["state_bytes"] for r in layer_rows(qm, tgt))
    return dict(ips=ips, flash=fp.flash, ram=fp.ram + state, stack=fp.stack_bytes, minimum=minimum_bytes(qm, tgt))


def compile_case(kind: str, H: int, core: str, kernels: str, work: Path) -> Path:
    out = work / f"{kind}{H}-{core}-{kernels}"
    if kind == "lstm":
        compile_model(str(ROOT / "benchmarks" / "models" / f"lstm_h{H}.tflite"), str(out), target=core, kernels=kernels)
    else:
        onnx_path = work / f"gru_h{H}.onnx"
        if not onnx_path.exists():
            gru_onnx(H, 32, onnx_path)
        calib = np.random.default_rng(1).standard_normal((8, 32, 32)).astype(np.float32)
        compile_model(str(onnx_path), str(out), target=core, kernels=kernels, calib=calib, prefix=f"gru_h{H}")
    return out


def run(sizes, work: Path) -> list[dict]:
    have_cmsis = bool(os.environ.get("CMSIS_NN_PATH"))
    rows = []
    for kind in ("lstm", "gru"):
        for H in sizes:
            for core in CORES:
                row = {"model": f"int8 {kind.upper()} H={H}", "core": core, "cells": {}}
                # on a Helium core --kernels auto lays weights out by rows for MVE; the portable
                # and DSP columns there are measured on the 16x4 layout of --kernels dsp
                helium = core == "cortex-m55"
                blocks = compile_case(kind, H, core, "dsp" if helium else "auto", work)
                for v in ("portable", "dsp"):
                    row["cells"][v] = measure_build(blocks, core, v)
                if helium:
                    row["cells"]["mve"] = measure_build(compile_case(kind, H, core, "auto", work), core, "mve")
                if kind == "lstm" and have_cmsis:
                    row["cells"]["cmsis-nn"] = measure_build(compile_case(kind, H, core, "cmsis-nn", work), core, "cmsis-nn")
                row["cmsis_note"] = ("CMSIS_NN_PATH unset" if not have_cmsis else "no GRU in CMSIS-NN") \
                    if "cmsis-nn" not in row["cells"] else ""
                rows.append(row)
                print(f"  measured {row['model']} on {core}", file=sys.stderr)
    return rows


def print_tables(rows) -> None:
    print("Instructions per time step (QEMU, model code only; ratio to CMSIS-NN where measured)\n")
    print("| model | core | " + " | ".join(COLUMNS) + " |")
    print("|---|---|" + "---:|" * len(COLUMNS))
    for r in rows:
        ref = r["cells"].get("cmsis-nn", {}).get("ips")
        cells = []
        for c in COLUMNS:
            if c not in r["cells"]:
                cells.append(r["cmsis_note"] if c == "cmsis-nn" else "-")
                continue
            v = r["cells"][c]["ips"]
            cells.append(f"{v:,.0f}" + (f" ({v / ref:.2f}x)" if ref and c != "cmsis-nn" else ""))
        print(f"| {r['model']} | {r['core']} | " + " | ".join(cells) + " |")
    print("\nFlash / RAM in bytes (model code alone; RAM = static scratch + caller's state), worst-case stack\n")
    print("| model | core | kernels | flash | RAM | stack | minimum (weights + biases + state) |")
    print("|---|---|---|---:|---:|---:|---:|")
    for r in rows:
        for c, m in r["cells"].items():
            print(f"| {r['model']} | {r['core']} | {c} | {m['flash']:,} ({m['flash'] / m['minimum']:.2f}x) | "
                  f"{m['ram']:,} | {m['stack']:,} | {m['minimum']:,} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    a = ap.parse_args()
    try:
        with tempfile.TemporaryDirectory(prefix="rnnc-bench-m-") as tmp:
            print_tables(run(a.sizes, Path(tmp)))
    except RnncError as e:
        sys.exit(f"benchmarks/cortex_m.py: {e}")


if __name__ == "__main__":
    main()
