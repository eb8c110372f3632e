"""The low-bit schemes measured side by side: weight memory, host speed, Cortex-M instructions.

Model: one float LSTM (ONNX, PyTorch's uniform(-1/sqrt(H), 1/sqrt(H)) initialisation), 32 inputs
(for memory also H inputs), batch 1, streaming step API, every scheme post-training quantized from
it with the same random calibration data.

1. Weight memory: the bytes of every constant array of the LSTM except the biases (codes,
   coefficients, per-row multipliers included) against float32 weights.
2. Host: microseconds per step of the generated C (built with the Makefile's -O2, the kernel
   path the CPU selects), onnxruntime's float LSTM beside it; all columns timed once per round,
   rounds interleaved, medians; ratios are medians of the per-round ratios.
3. Cortex-M4 and Cortex-M55: instructions per step counted by QEMU (model code only), int8 with
   the target's best kernels (DSP / Helium), the low-bit schemes with their kernels (portable C),
   and the int8 build with its gate FC kernels emptied: what the step costs outside the gate FCs
   (activations, cell and hidden update, calls), which no weight scheme can go below.

usage: python benchmarks/lowbit.py [--sizes 256 512] [--rounds 3] [--mcu-size 64] [--write]
"""
from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from codegen.api import compile_model  # noqa: E402
from codegen.emit.frame import layer_views  # noqa: E402
from codegen.emit.layercode import ConstArray  # noqa: E402
from codegen.qmodel import QModel  # noqa: E402
from codegen.toolchain.insncount import instructions_per_step  # noqa: E402
from codegen.toolchain.targets import load_target  # noqa: E402

from cortex_m import recurrent_onnx  # noqa: E402
from run_all import build_c, cpu_info, time_c, time_ort  # noqa: E402

#: (label, scheme, low-bit settings)
SCHEMES = [("float", "float", {}), ("int8", "int8", {}), ("int4", "int4", {}),
           ("int4 + residual", "int4", {"residual": "auto", "residual_threshold_db": 99.0}),
           ("w1a8", "binary-w1a8", {}), ("w2a8", "binary-w2a8", {}), ("w3a8", "binary-w3a8", {}),
           ("w4a8", "binary-w4a8", {}), ("ternary-a8", "ternary-a8", {}),
           ("w1a1", "binary-w1a1", {}), ("w2a2", "binary-w2a2", {}), ("w3a3", "binary-w3a3", {}),
           ("ternary", "ternary", {})]
MEMORY = [s for s in SCHEMES if s[0] in ("float", "int8", "int4", "int4 + residual", "w1a8", "w2a8", "w3a8",
                                         "w4a8", "ternary-a8")]
#: the Cortex-M row of the int8 step without its gate FCs
FLOOR = "int8 with its gate FCs emptied (the floor of every scheme)"
SPEED = [s for s in SCHEMES if s[0] in ("float", "int8", "int4", "w2a8", "ternary-a8", "w1a1", "w2a2", "w3a3",
                                        "ternary")]


def lstm_onnx(H: int, n_in: int, path: Path, seed: int = 0) -> None:
    recurrent_onnx("LSTM", H, n_in, path, seed)


def compile_scheme(onnx_path: Path, out: Path, scheme: str, settings: dict, n_in: int, target: str = "host"):
    calib = np.random.default_rng(1).standard_normal((8, 32, n_in)).astype(np.float32)
    return compile_model(str(onnx_path), str(out), scheme=scheme, target=target, prefix="bench",
                         calib=None if scheme == "float" else calib, lowbit=dict(settings) or None)


def weight_bytes(qm, target: str = "host") -> int:
    """Constant bytes of the recurrent layer except its biases."""
    view = layer_views(qm, load_target(target))[0]
    return sum(w.nbytes for w in view.code.weights
               if isinstance(w, ConstArray) and not re.search(r"_(b[xh]|b)\d*$", w.name))


def memory(H: int, work: Path) -> list[tuple]:
    rows = []
    for n_in in (32, H):
        path = work / f"mem_{H}_{n_in}.onnx"
        lstm_onnx(H, n_in, path)
        ref = None
        for label, scheme, settings in MEMORY:
            qm = compile_scheme(path, work / f"mem-{H}-{n_in}-{label.replace(' ', '')}", scheme, settings, n_in)
            b = weight_bytes(qm)
            ref = ref or b
            sqnr = qm.layers[0].report.get("sqnr_db")
            rows.append((H, n_in, label, b, ref / b, 8 * b / (4 * H * (n_in + H)), sqnr))
    return rows


def speed(H: int, work: Path, rounds: int) -> dict:
    path = work / f"speed_{H}.onnx"
    lstm_onnx(H, 32, path)
    exes = {}
    for label, scheme, settings in SPEED:
        out = work / f"speed-{H}-{label}"
        qm = compile_scheme(path, out, scheme, settings, 32)
        exes[label] = build_c(out, "bench", qm, ["-O2"])
    x = np.random.default_rng(2).standard_normal((32, 1, 32)).astype(np.float32)
    ort, times, ran = [], {k: [] for k in exes}, {}
    for _ in range(rounds):
        ort.append(time_ort(path, x, 9))
        for k, exe in exes.items():
            t, ran[k] = time_c(exe, "native")
            times[k].append(t)
    return {"H": H, "ort": statistics.median(ort), "path": ran["int8"],
            "cells": {k: (statistics.median(ts), statistics.median(o / t for o, t in zip(ort, ts)),
                          statistics.median(i / t for i, t in zip(times["int8"], ts))) for k, ts in times.items()}}


def without_gate_fcs(out: Path, core: str) -> float:
    """Instructions per step of a copy of `out` whose gate FC kernels (rnnc_fc_s8_s16_*.c) return
    at once: the step's cost outside its gate FCs."""
    bare = out.with_name(out.name + "-no-gate-fcs")
    shutil.copytree(out, bare)
    emptied = 0
    for src in (bare / "kernels").glob("rnnc_fc_s8_s16_*.c"):
        text, n = re.subn(r"(\nvoid (?:RNNC_ISA_FN\()?rnnc_fc_s8_s16_\w+\)?\([^;{]*\)\s*\{)",
                          r"\1\n    if (out_size >= 0) {\n        return;\n    }", src.read_text())
        src.write_text(text)
        emptied += n
    if emptied == 0:
        raise RuntimeError(f"no gate FC kernel found to empty in {out}")
    return instructions_per_step(bare, load_target(core), QModel.load(bare))


def mcu(H: int, work: Path) -> list[tuple]:
    path = work / f"mcu_{H}.onnx"
    lstm_onnx(H, 32, path)
    rows = []
    for core in ("cortex-m4", "cortex-m55"):
        ref = None
        for label, scheme, settings in SPEED[1:]:
            out = work / f"mcu-{H}-{core}-{label}"
            qm = compile_scheme(path, out, scheme, settings, 32, target=core)
            ips = instructions_per_step(out, load_target(core), QModel.load(out))
            ref = ref or ips
            rows.append((core, label, ips, ips / ref))
            print(f"  counted {label} on {core}", file=sys.stderr)
            if label == "int8":
                floor = without_gate_fcs(out, core)
                rows.append((core, FLOOR, floor, floor / ref))
    return rows


def report(mem, host, mcu_rows, H_mcu: int) -> str:
    cpu, _ = cpu_info()
    lines = ["## Weight memory (LSTM, biases excluded; codes, coefficients and per-row multipliers included)", "",
             "| H | inputs | scheme | bytes | smaller than float32 | bits per weight | output SQNR dB |",
             "|---:|---:|---|---:|---:|---:|---:|"]
    for H, n_in, label, b, ratio, bits, sqnr in mem:
        lines.append(f"| {H} | {n_in} | {label} | {b:,} | {ratio:.2f}x | {bits:.2f} | "
                     f"{'-' if sqnr is None else f'{sqnr:.1f}'} |")
    lines += ["", f"## Host, LSTM 32 inputs, batch 1, one thread ({cpu}; C built with -O2)", "",
              "microseconds per step; in brackets: speed-up over onnxruntime float / over rnnc int8 C", "",
              "| H | onnxruntime float | " + " | ".join(k for k, _, _ in SPEED) + " |",
              "|---:|---:|" + "---:|" * len(SPEED)]
    for r in host:
        cells = [f"{t:.2f} ({so:.2f}x / {si:.2f}x)" for t, so, si in (r["cells"][k] for k, _, _ in SPEED)]
        lines.append(f"| {r['H']} | {r['ort']:.2f} | " + " | ".join(cells) + " |")
    if host:
        from codegen.toolchain.kernel_path import cpu_flags
        vpopcnt = "avx512_vpopcntdq" in (cpu_flags() or set())
        lines += ["", f"Kernel path of every scheme (one run-time dispatch for all kernels): {host[0]['path']}; "
                  f"the popcount kernel counts with {'VPOPCNTD (this CPU has AVX512_VPOPCNTDQ)' if vpopcnt else 'a VPSHUFB nibble table (this CPU lacks AVX512_VPOPCNTDQ)'}."]
    lines += ["", f"## Cortex-M instructions per step (QEMU), LSTM H={H_mcu}, 32 inputs", "",
              "| core | scheme | instructions per step | vs int8 |", "|---|---|---:|---:|"]
    for core, label, ips, ratio in mcu_rows:
        lines.append(f"| {core} | {label} | {ips:,.0f} | {ratio:.2f}x |")
    lines += ["", "The floor row is the int8 build with its gate FC kernels returning at once: activations, cell and "
              "hidden update, requantization glue and calls, which every scheme's step also does. A scheme at "
              "0.5x of int8 would need its gate FCs (input coding included) to cost the difference between "
              "0.5x and the floor."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--mcu-size", type=int, default=64)
    ap.add_argument("--write", action="store_true", help="also write benchmarks/results/lowbit.md")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rnnc-bench-lowbit-") as tmp:
        work = Path(tmp)
        mem = memory(max(a.sizes), work)
        host = [speed(H, work, a.rounds) for H in a.sizes]
        mcu_rows = mcu(a.mcu_size, work)
    text = report(mem, host, mcu_rows, a.mcu_size)
    print(text)
    if a.write:
        dest = ROOT / "benchmarks" / "results" / "lowbit.md"
        dest.parent.mkdir(exist_ok=True)
        dest.write_text("# Low-bit schemes: memory, host speed, Cortex-M instructions\n\n"
                        "Written by `python benchmarks/lowbit.py --write` (part of `make bench`).\n\n" + text)


if __name__ == "__main__":
    main()
