"""Ethos-U NPUs (Vela's estimate) beside Cortex-M cores (instructions counted in QEMU), per time step.

Models: the converter-made int8 LSTMs benchmarks/models/lstm_h{64,256}.tflite (32 inputs, batch 1),
and an int16x8 GRU of the same sizes (a float ONNX GRU with random weights, as in
benchmarks/cortex_m.py, quantized by rnnc; TFLite has no int8 GRU, so the NPU takes the int16x8
one, unrolled into TFLite primitive operators). Each is compiled by rnnc for cortex-m4 (DSP
kernels) and cortex-m55 (Helium kernels) and its instructions per step counted as in
benchmarks/cortex_m.py; the same compiled model is exported as an Ethos-U target exports it
(16 steps per invocation, time reversal by slices, GRU state in and out) and given to Vela for
each accelerator.

Vela's figures are its own performance model's estimate (cycles including the memory accesses
it does not overlap, at the accelerator clock of Vela's default system configuration), not a
measurement: NPU timing and numerics need the hardware or Arm's FVP. The Cortex-M figures are
instructions, not cycles; an M55 runs roughly one instruction per cycle on this code, an M4
slightly fewer. The column "NPU / M55" divides the NPU's cycles per step by the M55's
instructions per step. "of which NPU compute" is Vela's cycles of the NPU itself; the rest
of "per step" is memory access Vela's model does not overlap with it.

usage: python benchmarks/npu.py [--sizes 64 256] [--steps 16] [--write]
"""
from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

from cortex_m import gru_onnx  # noqa: E402
from codegen.api import compile_model  # noqa: E402
from codegen.errors import RnncError  # noqa: E402
from codegen.qmodel import QModel  # noqa: E402
from codegen.tflite_export import export_qmodel  # noqa: E402
from codegen.toolchain import vela  # noqa: E402
from codegen.toolchain.insncount import instructions_per_step  # noqa: E402
from codegen.toolchain.targets import load_target  # noqa: E402

CORES = {"cortex-m4": "dsp", "cortex-m55": "mve"}
RESULTS = ROOT / "benchmarks" / "results" / "npu.md"


def cortex_m_counts(model: Path, tmp: Path, scheme: str = "int8", calib=None) -> dict[str, float]:
    counts = {}
    for core, kernels in CORES.items():
        out = tmp / f"{model.stem}_{core}"
        compile_model(str(model), str(out), target=core, scheme=scheme, kernels=kernels, calib=calib)
        try:
            counts[core] = instructions_per_step(out, load_target(core), QModel.load(out))
        except RnncError as e:
            print(f"  {core}: not counted ({e.message()})", file=sys.stderr)
    return counts


def rows(kind: str, H: int, tmp: Path, steps: int) -> list[str]:
    """The table rows of one model: Cortex-M instructions, then Vela's estimate per NPU."""
    if kind == "LSTM":
        model, scheme, calib = ROOT / "benchmarks" / "models" / f"lstm_h{H}.tflite", "int8", None
    else:
        model, scheme = tmp / f"gru_h{H}.onnx", "int16x8"
        gru_onnx(H, 32, model)
        calib = np.random.default_rng(1).standard_normal((8, 32, 32)).astype(np.float32)
    name = f"{kind} H={H} ({scheme})"
    counts = cortex_m_counts(model, tmp, scheme, calib)
    out = [f"| {name} | {core} ({CORES[core]}) | {n:.0f} | instructions | | | | | | |" for core, n in counts.items()]
    data = export_qmodel(QModel.load(tmp / f"{model.stem}_cortex-m55"), steps, reverse_by_slices=True, carry_state=True)
    for acc in vela.ACCELERATORS:
        e = vela.estimate(data, acc, model.stem)
        ratio = f"{e.per_step(steps) / counts['cortex-m55']:.3f}" if "cortex-m55" in counts else ""
        out.append(f"| {name} | {acc} ({e.clock_hz / 1e6:.0f} MHz) | {e.per_step(steps):.0f} | "
                   f"cycles | {e.cycles_npu / steps:.0f} | {ratio} | {e.npu_ops} | {e.cpu_ops} | {e.sram_bytes} | "
                   f"{e.dram_bytes or e.flash_bytes} |")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--write", action="store_true", help=f"write the table to {RESULTS.relative_to(ROOT)}")
    a = ap.parse_args()
    if vela.vela_version() is None:
        print("npu.py: SKIPPED, Vela is not installed (pip install '.[npu]'): no Ethos-U estimates", file=sys.stderr)
        return 0
    lines = [f"Vela {vela.vela_version()}, {a.steps} steps per NPU invocation; Cortex-M instructions counted in QEMU "
             f"({platform.machine()} host). Per time step, batch 1.", "",
             "| model | where | per step | unit | of which NPU compute | NPU / M55 | NPU ops | CPU ops | SRAM B | "
             "flash/DRAM B |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="rnnc-npu-") as tmp:
        for kind in ("LSTM", "GRU"):
            for H in a.sizes:
                lines += rows(kind, H, Path(tmp), a.steps)
    text = "\n".join(lines)
    print(text)
    if a.write:
        RESULTS.write_text("# Ethos-U (Vela estimate) and Cortex-M, per LSTM / GRU time step\n\n"
                           "Written by `python benchmarks/npu.py --write` (part of `make bench`).\n\n" + text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
