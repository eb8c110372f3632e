"""Compile time of a large model, every scheme in one run.

A 2-layer LSTM (64 -> 512 -> 512) with a dense head, 3.3 M parameters, calibrated on 16
sequences of 32 steps, compiled to C with each scheme (and one mixed-precision variant). Prints
seconds per stage: import of the IR is excluded; quantization includes the calibration run and
the SQNR measurement; emission includes formatting every weight literal; writing includes the
manifest. Target: every scheme under 3 s.

usage: python benchmarks/compile_time.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codegen import ir  # noqa: E402
from codegen.emit.frame import emit_model  # noqa: E402
from codegen.quantize import quantize_model  # noqa: E402
from codegen.toolchain.targets import load_target  # noqa: E402


def lstm(name: str, n_in: int, hidden: int, seed: int) -> ir.RecurrentLayer:
    rng = np.random.default_rng(seed)
    gates = {g: ir.GateWeights((rng.standard_normal((hidden, n_in)) / np.sqrt(n_in)).astype(np.float32),
                               (rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)).astype(np.float32),
                               (rng.standard_normal(hidden) * 0.1).astype(np.float32),
                               np.zeros(hidden, np.float32)) for g in ir.GATES["lstm"]}
    return ir.RecurrentLayer(name, "lstm", n_in, hidden, "forward", [ir.DirectionParams(gates)])


def big_model() -> ir.Model:
    rng = np.random.default_rng(3)
    head = ir.DenseLayer("fc2", (rng.standard_normal((10, 512)) * 0.05).astype(np.float32),
                         np.zeros(10, np.float32))
    m = ir.Model("big", "big.onnx", "0" * 64, 64, [lstm("lstm0", 64, 512, 1), lstm("lstm1", 512, 512, 2), head])
    m.validate()
    return m


def time_compile(m: ir.Model, scheme: str, calib: np.ndarray, layer_schemes=None) -> dict[str, float]:
    from codegen.qmodel import QModel  # noqa: F401
    tgt = load_target("host")
    t0 = time.perf_counter()
    qm = quantize_model(m, scheme, calib, prefix="big", layer_schemes=layer_schemes)
    t1 = time.perf_counter()
    files = emit_model(qm, tgt)
    t2 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        qm.save(Path(tmp), files)
    t3 = time.perf_counter()
    return {"quantize": t1 - t0, "emit": t2 - t1, "write": t3 - t2, "total": t3 - t0,
            "source MB": sum(len(v) for v in files.values()) / 1e6}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    m = big_model()
    params = sum(a.size for l in m.layers for _, a in ir._arrays_of(l))
    calib = np.random.default_rng(0).standard_normal((16, 32, 64)).astype(np.float32)
    print(f"compile time, {params / 1e6:.2f} M parameters, medians of {args.repeats} runs "
          f"({cpu_name()}, Python {platform.python_version()})")
    print(f"{'scheme':<26} {'quantize s':>10} {'emit s':>8} {'write s':>8} {'total s':>8} {'C MB':>6}")
    cases = [("float", None), ("int8", None), ("int16x8", None), ("int8, fc2=float", {"fc2": "float"})]
    for label, ls in cases:
        scheme = label.split(",")[0]
        runs = [time_compile(m, scheme, calib, ls) for _ in range(args.repeats)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"{label:<26} {med['quantize']:>10.2f} {med['emit']:>8.2f} {med['write']:>8.2f} "
              f"{med['total']:>8.2f} {med['source MB']:>6.1f}")


if __name__ == "__main__":
    main()
