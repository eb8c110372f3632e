"""The target's own settings drive every build: target.toml's compiler and flags for rnnc's
builds, and a generated Makefile that builds the output for its target (cross compiler, startup
code, linker script) and runs it."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from codegen.api import compile_model, simulate_compiled
from codegen.errors import RnncError
from codegen.qmodel import QModel
from codegen.simulate import check_input, default_lengths
from codegen.toolchain import binio
from codegen.toolchain.runners import runner_for
from codegen.toolchain.targets import load_target

FIX = Path(__file__).parent / "fixtures" / "tflite"
MODEL = FIX / "lstm_t8_f4_h16.tflite"
MISSING = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]


def test_host_builds_use_the_targets_compiler_and_flags(tmp_path, monkeypatch):
    monkeypatch.delenv("CC", raising=False)
    compile_model(str(MODEL), str(tmp_path))
    qm = QModel.load(tmp_path)
    tgt = load_target("host")
    with pytest.raises(RnncError, match="'no-such-cc-rnnc' not found"):
        runner_for(dict(tgt, cc="no-such-cc-rnnc")).build_testbench(tmp_path, qm)
    with pytest.raises(RnncError, match="RNNC_FROM_TARGET_TOML"):
        runner_for(dict(tgt, cflags=["-O2", "-include", "RNNC_FROM_TARGET_TOML.h"])).build_testbench(tmp_path, qm)
    monkeypatch.setenv("CC", "no-such-cc-from-env")
    with pytest.raises(RnncError, match="'no-such-cc-from-env' not found"):
        runner_for(tgt).build_testbench(tmp_path, qm)


def _make_run(out: Path, x: np.ndarray, qm) -> np.ndarray:
    """Build with the generated Makefile alone and run `make run` on an in.bin."""
    res = subprocess.run(["make", "-C", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    x = check_input(qm, x)
    binio.write_input(out / "in.bin", x, default_lengths(qm, x))
    res = subprocess.run(["make", "-C", str(out), "run"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    return binio.read_output(out / "out.bin", np.int8, (x.shape[0], x.shape[1], qm.output_size))


def test_generated_makefile_builds_and_runs_the_host_testbench(tmp_path):
    compile_model(str(MODEL), str(tmp_path))
    qm = QModel.load(tmp_path)
    x = np.load(FIX / "lstm_t8_f4_h16.input.npy")[:3]
    np.testing.assert_array_equal(_make_run(tmp_path, x, qm), simulate_compiled(str(tmp_path), x))


@pytest.mark.skipif(bool(MISSING), reason=f"{' and '.join(MISSING)} NOT INSTALLED: Cortex-M Makefile test skipped")
@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55"])
def test_generated_makefile_cross_compiles_for_the_outputs_target(tmp_path, target):
    """The Makefile of a Cortex-M output builds an Arm ELF with the target's startup code and
    linker script (copied into OUT/target/), and `make run` runs it on the target's QEMU board."""
    compile_model(str(MODEL), str(tmp_path), target=target)
    qm = QModel.load(tmp_path)
    x = np.load(FIX / "lstm_t8_f4_h16.input.npy")[:2]
    y = _make_run(tmp_path, x, qm)
    head = (tmp_path / "testbench.elf").read_bytes()[:20]
    assert head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") == 40   # EM_ARM
    np.testing.assert_array_equal(y, simulate_compiled(str(tmp_path), x))
