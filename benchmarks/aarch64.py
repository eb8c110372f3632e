"""Instructions per time step on Arm64 (target aarch64, user-mode QEMU), every kernel path.

Models (32 inputs, batch 1, streaming step API): the converter-made int8 LSTM
benchmarks/models/lstm_h{H}.tflite, an int8 GRU quantized by rnnc (the float ONNX GRU of
benchmarks/cortex_m.py), and the float LSTM with the tflite's dequantized weights. Each model is
compiled once for aarch64 and built per path: portable C (-DRNNC_KERNELS=RNNC_KERNELS_PORTABLE),
NEON (the target's -march=armv8-a) and NEON with SDOT (-march=armv8.2-a+dotprod). Instructions
are counted by QEMU's TCG plugin inside the model code; per step = the difference of a 24- and
an 8-step run / 16. In brackets: the ratio to the portable C's count.

usage: python benchmarks/aarch64.py [--sizes 64 256]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from codegen.api import compile_model  # noqa: E402
from codegen.frontends import load_model  # noqa: E402
from codegen.toolchain.insncount import instructions_per_step  # noqa: E402
from codegen.toolchain.targets import load_target  # noqa: E402

from cortex_m import gru_onnx  # noqa: E402
from run_all import onnx_from_ir  # noqa: E402

PATHS = {"portable": ["-DRNNC_KERNELS=RNNC_KERNELS_PORTABLE"], "neon": [], "neon-sdot": ["-march=armv8.2-a+dotprod"]}


def compile_case(name: str, H: int, work: Path):
    out = work / f"{name}{H}"
    if name == "int8 LSTM":
        return out, compile_model(str(ROOT / "benchmarks" / "models" / f"lstm_h{H}.tflite"), str(out),
                                  target="aarch64", prefix="bench")
    onnx_path = work / f"{name.replace(' ', '_')}{H}.onnx"
    if name == "int8 GRU":
        gru_onnx(H, 32, onnx_path)
        calib = np.random.default_rng(1).standard_normal((8, 32, 32)).astype(np.float32)
        return out, compile_model(str(onnx_path), str(out), target="aarch64", calib=calib, prefix="bench")
    m = load_model(str(ROOT / "benchmarks" / "models" / f"lstm_h{H}.tflite"))
    onnx_from_ir(m.layers[0], 32, onnx_path)
    return out, compile_model(str(onnx_path), str(out), target="aarch64", scheme="float", prefix="bench")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    a = ap.parse_args()
    missing = [t for t in ("aarch64-linux-gnu-gcc", "qemu-aarch64") if shutil.which(t) is None]
    if missing:
        print(f"aarch64 benchmark skipped: {' and '.join(missing)} not installed (make setup installs them as root)")
        return
    tgt = load_target("aarch64")
    print("Arm64 (aarch64-linux-gnu-gcc -O2, qemu-aarch64 -cpu max): instructions per time step inside the "
          "model code, 32 inputs; in brackets: ratio to the portable C\n")
    head = f"{'model':<11} {'H':>4}  " + "  ".join(f"{p:>20}" for p in PATHS)
    print(head)
    print("-" * len(head))
    with tempfile.TemporaryDirectory(prefix="rnnc-a64-") as tmp:
        for H in a.sizes:
            for name in ("int8 LSTM", "int8 GRU", "float LSTM"):
                out, qm = compile_case(name, H, Path(tmp))
                counts = {p: instructions_per_step(out, tgt, qm, extra=f) for p, f in PATHS.items()}
                base = counts["portable"]
                print(f"{name:<11} {H:>4}  " + "  ".join(f"{c:>11,.0f} ({c / base:4.2f}x)" for c in counts.values()))


if __name__ == "__main__":
    main()
