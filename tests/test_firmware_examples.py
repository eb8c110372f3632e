"""The firmware examples: committed generated sources are current, and both projects build
with their own Makefiles (and CMake) and print what the simulator computes."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "firmware_examples"


def _copy(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / "firmware_examples" / name
    shutil.copytree(EX / name, dst, ignore=shutil.ignore_patterns("firmware.elf", "link.ld", "streaming", "build"))
    return dst


def _expected_logits():
    """Simulator output for the same frames, through the committed model's manifest-free path."""
    from codegen.api import compile_model
    from codegen.quant.common import quantize_array
    from codegen.simulate import run_model
    import tempfile
    ex = ROOT / "examples" / "japanese_vowels"
    with tempfile.TemporaryDirectory() as tmp:
        qm = compile_model(str(ex / "model.onnx"), tmp, scheme="int8", calib=np.load(ex / "calib.npy"), prefix="vowels")
    x = quantize_array(np.load(ex / "test_x.npy")[:1], qm.input_q)
    return run_model(qm, x)[0]


def _parse(stdout: str) -> np.ndarray:
    rows = [list(map(int, m.group(1).split())) for m in re.finditer(r"logits ([-\d ]+)", stdout)]
    return np.array(rows)


def test_generated_sources_are_current(tmp_path):
    subprocess.run([sys.executable, str(EX / "regenerate.py"), str(tmp_path)], check=True, capture_output=True)
    for name in ("cortex_m_streaming", "host_streaming"):
        fresh, committed = tmp_path / name / "model", EX / name / "model"
        files = sorted(p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file())   # kernels/ too
        stale = [str(f) for f in files if not (committed / f).is_file()
                 or (committed / f).read_bytes() != (fresh / f).read_bytes()]
        assert not stale, (name, stale, "run: python firmware_examples/regenerate.py")
        extra = sorted(str(p.relative_to(committed)) for p in committed.rglob("*") if p.is_file()
                       and p.relative_to(committed) not in files)
        assert not extra, (name, extra, "files no longer generated: run python firmware_examples/regenerate.py")
        assert (tmp_path / name / "frames.h").read_bytes() == (EX / name / "frames.h").read_bytes()


def test_host_example_prints_the_simulators_logits(tmp_path):
    d = _copy(tmp_path, "host_streaming")
    res = subprocess.run(["make", "-C", str(d), "run"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    np.testing.assert_array_equal(_parse(res.stdout), _expected_logits())


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                    reason="arm-none-eabi-gcc / qemu-system-arm NOT INSTALLED: Cortex-M example skipped")
def test_cortex_m_example_runs_in_qemu(tmp_path):
    d = _copy(tmp_path, "cortex_m_streaming")
    targets = f"RNNC_TARGETS={ROOT / 'targets'}"
    res = subprocess.run(["make", "-C", str(d), targets, "run"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    # semihosting console output may arrive on either stream
    np.testing.assert_array_equal(_parse(res.stdout + res.stderr), _expected_logits())
    if shutil.which("cmake"):
        b = d / "build"
        subprocess.run(["cmake", "-S", str(d), "-B", str(b), "-DCMAKE_TOOLCHAIN_FILE=arm-none-eabi.cmake",
                        f"-DRNNC_TARGETS={ROOT / 'targets'}"], check=True, capture_output=True, cwd=d)
        res = subprocess.run(["cmake", "--build", str(b)], capture_output=True, text=True)
        assert res.returncode == 0, res.stdout + res.stderr
