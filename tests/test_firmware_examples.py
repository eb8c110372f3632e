"""The firmware examples: committed generated sources are current, and both projects build
with their own Makefiles (and CMake) and print what the simulator computes."""
from __future__ import annotations

import os
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


def _have_vela() -> bool:
    """Vela is installed, and is the version that generated the committed NPU sources (its
    command stream is part of them)."""
    from codegen.toolchain.vela import vela_version
    header = (EX / "ethos_u55" / "model" / "npu" / "vowels_npu.h").read_text()
    return vela_version() is not None and f"Vela {vela_version()} " in header


def test_generated_sources_are_current(tmp_path):
    subprocess.run([sys.executable, str(EX / "regenerate.py"), str(tmp_path)], check=True, capture_output=True)
    names = ["cortex_m_streaming", "host_streaming"]
    if _have_vela():
        names.append("ethos_u55")
    else:
        print("Vela (the npu extra) is NOT installed, or not the version that generated firmware_examples/ethos_u55: "
              "that example's sources are NOT checked")
    for name in names:
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


def test_ethos_u55_example_builds_with_the_users_driver(tmp_path):
    """The Cortex-M55 + Ethos-U55 project links against the user's Ethos-U core driver and CMSIS 6
    checkouts (ETHOSU_DRIVER_PATH, CMSIS_PATH); the NPU cannot run here (no hardware, no FVP)."""
    drv, cmsis = os.environ.get("ETHOSU_DRIVER_PATH"), os.environ.get("CMSIS_PATH")
    if not drv or not cmsis:
        pytest.skip("ETHOSU_DRIVER_PATH / CMSIS_PATH NOT SET: the Ethos-U55 example is not built "
                    "(point them at ethos-u-core-driver and CMSIS_6 checkouts)")
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc NOT INSTALLED: the Ethos-U55 example is not built")
    d = _copy(tmp_path, "ethos_u55")
    res = subprocess.run(["make", "-C", str(d), f"RNNC_TARGETS={ROOT / 'targets'}", f"ETHOSU_DRIVER_PATH={drv}",
                          f"CMSIS_PATH={cmsis}"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    nm = subprocess.run(["arm-none-eabi-nm", str(d / "firmware.elf")], capture_output=True, text=True).stdout
    addr = {line.split()[2]: int(line.split()[0], 16) for line in nm.splitlines() if len(line.split()) == 3}
    # what the NPU reads and writes lies outside the Cortex-M55's TCMs (0x10000000, 0x30000000)
    for sym in ("vowels_npu_arena", "vowels_npu_command_stream", "vowels_npu_read_only"):
        assert addr[sym] >> 24 in (0x11, 0x31), (sym, hex(addr[sym]))
