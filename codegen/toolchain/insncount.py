"""Instructions executed inside the model code on an emulated core (deterministic).

A small TCG plugin of our own (targets/cortex_m_common/insn_count_plugin.c, built with the
host C compiler at first use) counts guest instructions whose address lies in the model's
functions: every function named <prefix>_* or rnnc_* except the testbench's semihosting and
startup helpers, CMSIS-NN's arm_* functions, and the C library and compiler helpers the model
code calls (memcpy, memset, __aeabi_*; the testbench itself calls none of them per step). Instructions per step = (count(T2) - count(T1)) / (T2 - T1), which cancels
the one-off reset and call overhead.
"""
from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..emit.layercode import targets_dir
from ..errors import RnncError
from . import binio
from .host import find_cc
from .runners import runner_for

NOT_MODEL = ("rnnc_sh_", "rnnc_reset_handler", "rnnc_fault_handler", "rnnc_trace")
LIBRARY = ("arm_", "memcpy", "memset", "__aeabi_")


def plugin_path() -> Path:
    src = targets_dir() / "cortex_m_common" / "insn_count_plugin.c"
    digest = hashlib.sha256(src.read_bytes()).hexdigest()[:16]
    so = Path(tempfile.gettempdir()) / f"rnnc-insn-count-{digest}.so"
    if not so.is_file():
        tmp = so.with_suffix(".tmp.so")
        res = subprocess.run([find_cc(), "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
                              "-o", str(tmp), str(src)], capture_output=True, text=True)
        if res.returncode != 0:
            raise RnncError(f"building the instruction-count plugin failed:\n{res.stderr[-2000:]}")
        tmp.replace(so)
    return so


def model_ranges(elf: Path, prefix: str, readelf: str = "arm-none-eabi-readelf") -> list[tuple[int, int]]:
    res = subprocess.run([readelf, "-sW", str(elf)], capture_output=True, text=True, check=True)
    ranges = []
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) < 8 or parts[3] != "FUNC":
            continue
        name = parts[7]
        if not name.startswith((prefix + "_", "rnnc_") + LIBRARY) or name.startswith(NOT_MODEL):
            continue
        start, size = int(parts[1], 16) & ~1, int(parts[2], 0)
        if size:
            ranges.append((start, start + size))
    return sorted(ranges)


def count(out_dir: Path, target: dict, qm, x: np.ndarray, lengths: np.ndarray,
          extra: list[str] | None = None) -> int:
    runner = runner_for(target)
    if not runner.counts_instructions:
        raise RnncError(f"instructions are counted on emulated targets; '{target['name']}' runs natively")
    elf = runner.build_testbench(out_dir, qm, extra=extra)
    with tempfile.TemporaryDirectory(prefix="rnnc-count-") as tmp:
        tmp = Path(tmp)
        (tmp / "ranges.txt").write_text("".join(f"{a:x} {b:x}\n" for a, b in model_ranges(elf, qm.name, target.get("readelf", "arm-none-eabi-readelf"))))
        binio.write_input(tmp / "in.bin", x, lengths, binio.MODE_RUN)
        plugin = f"{plugin_path()},ranges={tmp / 'ranges.txt'},out={tmp / 'count.txt'}"
        runner.run_testbench(elf, tmp, plugin=plugin)
        return int((tmp / "count.txt").read_text())


def instructions_per_step(out_dir: Path, target: dict, qm, t1: int = 8, t2: int = 24,
                          extra: list[str] | None = None) -> float:
    from ..api import random_input
    if not qm.causal:
        raise RnncError("instructions per step need a streaming (causal) model")
    counts = []
    for t in (t1, t2):
        x = random_input(qm, 1, t, seed=0)
        from ..simulate import check_input
        x = check_input(qm, x)
        counts.append(count(out_dir, target, qm, x, np.array([t]), extra))
    return (counts[1] - counts[0]) / (t2 - t1)
