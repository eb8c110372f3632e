"""The aarch64 target (Arm64 Linux) under user-mode QEMU: every kernel path (portable C, NEON,
NEON with SDOT) bit for bit with the simulator and the TFLM goldens (float layers within the
verify tolerance), and the testbench reports the path it ran."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from codegen.api import compile_ir, compile_model
from codegen.running import run_testbench
from codegen.verification import verify_compiled

from models import dense, model, recurrent

FIXTURES = Path(__file__).parent / "fixtures" / "tflite"
TFLM_STEMS = sorted(p.stem for p in FIXTURES.glob("*.tflite"))
MISSING = [t for t in ("aarch64-linux-gnu-gcc", "qemu-aarch64") if shutil.which(t) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"{' and '.join(MISSING)} NOT INSTALLED: the aarch64 target is NOT tested "
                          "(make setup installs gcc-aarch64-linux-gnu and qemu-user when run as root)")

#: path -> (extra flags, the name <prefix>_kernel_path() reports)
PATHS = {"portable": (["-DRNNC_KERNELS=RNNC_KERNELS_PORTABLE"], "portable"),
         "neon": ([], "neon"),
         "sdot": (["-march=armv8.2-a+dotprod"], "neon-sdot")}


@pytest.fixture(scope="module")
def tflm_outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("a64tflm")
    for stem in TFLM_STEMS:
        compile_model(str(FIXTURES / f"{stem}.tflite"), str(root / stem), scheme="int8", target="aarch64")
    return root


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("stem", TFLM_STEMS)
def test_aarch64_equals_tflm(tflm_outputs, stem, path):
    flags, name = PATHS[path]
    run = run_testbench(str(tflm_outputs / stem), np.load(FIXTURES / f"{stem}.input.npy"), extra_cflags=flags)
    assert run.kernel_path == name
    np.testing.assert_array_equal(run.y, np.load(FIXTURES / f"{stem}.tflm.npy"))


@pytest.mark.parametrize("path", list(PATHS))
@pytest.mark.parametrize("kind,scheme", [(k, s) for k in ("lstm", "gru", "rnn") for s in ("int8", "int16x8", "float")]
                         + [("wide", "int16x8")])
def test_aarch64_equals_simulator(tmp_path, kind, scheme, path):
    # 'wide': more inputs than one int32 chunk of the int16x8 FC (rnnc_fc_s16_s16.c)
    rkind, H, In = {"lstm": ("lstm", 37, 70), "gru": ("gru", 64, 3), "rnn": ("rnn", 130, 19),
                    "wide": ("lstm", 20, 1100)}[kind]
    layer = recurrent(rkind, In, H, "bidirectional", seed=H)
    m = model([layer, dense(layer.output_size, 5)], In)
    rng = np.random.default_rng(H)
    calib = rng.standard_normal((8, 9, In)).astype(np.float32)
    compile_ir(m, str(tmp_path), scheme=scheme, calib=calib, target="aarch64")
    flags, name = PATHS[path]
    res = verify_compiled(str(tmp_path), (calib[:4] * 3).astype(np.float32), extra_cflags=flags)
    assert res.ok, res.summary()
    assert res.kernel_path == name


def test_bench_and_inspect_cli(tmp_path):
    """`rnnc bench` counts instructions on aarch64 and names the emulator; inspect names the path."""
    import subprocess
    import sys
    out = tmp_path / "o"
    compile_model(str(FIXTURES / "lstm_t8_f4_h16.tflite"), str(out), scheme="int8", target="aarch64")
    res = subprocess.run([sys.executable, "-m", "codegen", "bench", str(out)], capture_output=True, text=True)
    assert res.returncode == 0 and "instructions per time step" in res.stdout and "qemu-aarch64" in res.stdout, \
        res.stdout + res.stderr
    res = subprocess.run([sys.executable, "-m", "codegen", "inspect", str(out)], capture_output=True, text=True)
    assert res.returncode == 0 and "kernel path: neon\n" in res.stdout, res.stdout + res.stderr
