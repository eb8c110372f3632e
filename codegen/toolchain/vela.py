"""Arm's Vela compiler (PyPI ethos-u-vela, the `npu` extra): what an exported .tflite costs on an
Ethos-U NPU, from Vela's own performance estimate.

Vela compiles the file into a command stream and estimates cycles from its model of the NPU and
the memory system of the chosen system configuration (Vela's defaults per accelerator). These
are estimates, not measurements: numerics and timing on the NPU need the hardware or Arm's FVP.
"""
from __future__ import annotations

import csv
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import RnncError

ACCELERATORS = ("ethos-u55-128", "ethos-u55-256", "ethos-u65-256", "ethos-u85-256")
TIMEOUT_S = 600


@dataclass
class VelaEstimate:
    accelerator: str
    system_config: str
    npu_ops: int
    cpu_ops: int
    cycles_npu: int            # the NPU's compute cycles
    cycles_total: int          # including the memory accesses Vela's model does not overlap
    clock_hz: float
    sram_bytes: int
    flash_bytes: int
    dram_bytes: int            # U65/U85 system configurations hold weights in DRAM
    optimised: bytes           # Vela's output .tflite (the command stream in an ethos-u custom op)
    on_cpu: list[str]          # the operators Vela leaves on the CPU, as "OP (reason)"

    def per_step(self, steps: int) -> float:
        return self.cycles_total / steps

    def memory(self) -> str:
        return f"SRAM {self.sram_bytes} B, " + (f"DRAM {self.dram_bytes} B" if self.dram_bytes else
                                                 f"flash {self.flash_bytes} B")


def vela_version() -> str | None:
    """Vela's version, or None when the `npu` extra is not installed."""
    try:
        from ethosu.vela import __version__
    except ImportError:
        return None
    return str(__version__)


def estimate(tflite: bytes, accelerator: str, name: str = "model") -> VelaEstimate:
    """Run Vela on the .tflite bytes for one accelerator configuration."""
    if accelerator not in ACCELERATORS:
        raise RnncError(f"unknown NPU '{accelerator}' (one of {', '.join(ACCELERATORS)})")
    if vela_version() is None:
        raise RnncError("Vela is not installed: pip install 'rnnc[npu]' (ethos-u-vela)")
    with tempfile.TemporaryDirectory(prefix="rnnc-vela-") as tmp:
        src = Path(tmp) / f"{name}.tflite"
        src.write_bytes(tflite)
        cmd = [sys.executable, "-c", "import sys; from ethosu.vela.vela import main; sys.exit(main())",
               str(src), "--accelerator-config", accelerator, "--output-dir", str(Path(tmp) / "out")]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise RnncError(f"Vela did not finish within {TIMEOUT_S} s") from None
        if run.returncode != 0:
            tail = (run.stderr or run.stdout).strip().splitlines()[-3:]
            raise RnncError(f"Vela failed on the exported model ({accelerator}): {' | '.join(tail)}")
        out = Path(tmp) / "out"
        summaries = sorted(out.glob(f"{name}_summary_*.csv"))
        if not summaries:
            raise RnncError("Vela wrote no summary")
        row = next(csv.DictReader(summaries[0].open()))
        return VelaEstimate(
            accelerator=accelerator, system_config=row["system_config"],
            npu_ops=_count(run.stdout, "NPU"), cpu_ops=_count(run.stdout, "CPU"),
            cycles_npu=int(float(row["cycles_npu"])), cycles_total=int(float(row["cycles_total"])),
            clock_hz=float(row["core_clock"]),
            sram_bytes=int(round(float(row["sram_memory_used"]) * 1024)),
            flash_bytes=int(round((float(row["off_chip_flash_memory_used"]) +
                                   float(row["on_chip_flash_memory_used"])) * 1024)),
            dram_bytes=int(round(float(row["dram_memory_used"]) * 1024)),
            optimised=(out / f"{name}_vela.tflite").read_bytes(), on_cpu=_left_on_cpu(run.stdout))


def _left_on_cpu(stdout: str) -> list[str]:
    """Vela's "Warning (supported operators) operator: OP, ofm: ..." blocks with their reason."""
    found = re.findall(r"operator: (\w+), ofm: '[^']*'\s*\nReason: ([^\n]*)", stdout)
    return [f"{op} ({reason.strip().rstrip('.')})" for op, reason in found]


def _count(stdout: str, kind: str) -> int:
    m = re.search(rf"{kind} operators = (\d+)", stdout)
    return int(m.group(1)) if m else 0
