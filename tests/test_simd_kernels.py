"""Every x86 kernel path, on the models of the core compiler: bit for bit with the simulator and
the TFLM goldens (float layers within the verify tolerance).

Host outputs carry every x86 path and choose the best the CPU offers at start-up
(kernels/rnnc_common.h); RNNC_X86_PATH caps that choice, so one build runs each path in turn,
and the testbench reports the path that ran, which each test checks. A path this CPU lacks runs
under user-mode QEMU where QEMU can execute it (qemu-x86_64 -cpu max: AVX2 and FMA, not
AVX-VNNI or AVX-512); otherwise its tests skip, naming the path that went untested.
Builds that choose at compile time (-DRNNC_X86_DISPATCH=0 with -march flags) and Clang's
dispatch build are checked too.
"""
from __future__ import annotations

import platform
import shutil
from pathlib import Path

import numpy as np
import pytest

from codegen.api import compile_ir, compile_model
from codegen.toolchain.kernel_path import cpu_flags, x86_levels
from codegen.running import run_testbench
from codegen.verification import verify_compiled

from models import dense, model, recurrent

FIXTURES = Path(__file__).parent / "fixtures" / "tflite"
TFLM_STEMS = sorted(p.stem for p in FIXTURES.glob("*.tflite"))

#: the dispatched levels above the portable C
LEVELS = ["avx2", "avx-vnni", "avx512-vnni"]
#: what user-mode QEMU 7.2 executes
QEMU_LEVELS = {"avx2"}

pytestmark = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                                reason="NOT AN x86-64 MACHINE: the x86 kernel paths are NOT tested here")


def _how(level: str) -> list[str] | None:
    """[] to run natively, the emulator command, or None where this machine cannot run the path."""
    if level in x86_levels(cpu_flags() or set()):   # the dispatcher's own test (checked below)
        return []
    if level in QEMU_LEVELS and shutil.which("qemu-x86_64"):
        return ["qemu-x86_64", "-cpu", "max"]
    return None


@pytest.fixture(params=LEVELS)
def level(request, monkeypatch):
    """Run the test's testbenches on one x86 path (natively or emulated), sanitizers where native."""
    how = _how(request.param)
    if how is None:
        pytest.skip(f"THIS CPU CANNOT RUN THE x86 {request.param.upper()} PATH and user-mode QEMU does not "
                    f"emulate it (or qemu-user is not installed): that path is NOT tested here")
    monkeypatch.setenv("RNNC_X86_PATH", request.param)
    if how:
        monkeypatch.setenv("RNNC_HOST_EMULATOR", " ".join(how))
        monkeypatch.setenv("RNNC_SANITIZE", "0")   # AddressSanitizer does not run under QEMU
    return request.param


@pytest.fixture(scope="module")
def tflm_outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("tflm")
    for stem in TFLM_STEMS:
        compile_model(str(FIXTURES / f"{stem}.tflite"), str(root / stem), scheme="int8")
    return root


SIM_CASES = ([(k, s) for k in ("lstm", "gru", "rnn") for s in ("int8", "int16x8", "float")] + [("wide", "int16x8")]
             + [("gru_lbr", s) for s in ("int8", "int16x8")])
#: kind -> (recurrent kind, hidden, inputs); 'wide' has more inputs than one int32 chunk of the
#: int16x8 FC (RNNC_FC16_CHUNK = 1024 in rnnc_fc_s16_s16.c); 'gru_lbr' is a GRU with
#: linear_before_reset = 1 (PyTorch's form; the int8 steps go by blocks of units there), its
#: hidden size leaving half a block
SHAPES = {"lstm": ("lstm", 37, 70), "gru": ("gru", 64, 3), "rnn": ("rnn", 130, 19), "wide": ("lstm", 20, 1100),
          "gru_lbr": ("gru", 40, 21)}


@pytest.fixture(scope="module")
def sim_outputs(tmp_path_factory):
    """Bidirectional LSTM/GRU/RNN + dense, every scheme; sizes with vector tails (37, 70, 19)."""
    root = tmp_path_factory.mktemp("sim")
    inputs = {}
    for kind, scheme in SIM_CASES:
        rkind, H, In = SHAPES[kind]
        layer = recurrent(rkind, In, H, "bidirectional", seed=H, lbr=kind == "gru_lbr")
        m = model([layer, dense(layer.output_size, 5)], In)
        rng = np.random.default_rng(H)
        calib = rng.standard_normal((8, 9, In)).astype(np.float32)
        compile_ir(m, str(root / f"{kind}_{scheme}"), scheme=scheme, calib=calib)
        inputs[kind] = (calib[:4] * 3).astype(np.float32)
    return root, inputs


@pytest.mark.parametrize("stem", TFLM_STEMS)
def test_path_equals_tflm(level, tflm_outputs, stem):
    run = run_testbench(str(tflm_outputs / stem), np.load(FIXTURES / f"{stem}.input.npy"))
    assert run.kernel_path == f"x86 {level} (run-time)"
    np.testing.assert_array_equal(run.y, np.load(FIXTURES / f"{stem}.tflm.npy"))


@pytest.mark.parametrize("kind,scheme", SIM_CASES)
def test_path_equals_simulator(level, sim_outputs, kind, scheme):
    root, inputs = sim_outputs
    res = verify_compiled(str(root / f"{kind}_{scheme}"), inputs[kind])
    assert res.ok, res.summary()
    assert res.kernel_path == f"x86 {level} (run-time)"


@pytest.mark.parametrize("stem", ["lstm_sat_t30_f8_h48_dense", "lstm_t50_f16_h256_dense"])
def test_portable_and_compile_time_paths(tflm_outputs, stem):
    """Builds that choose at compile time: portable C at -O3 -march=native, and the best path
    the native flags enable without run-time dispatch."""
    want = np.load(FIXTURES / f"{stem}.tflm.npy")
    x = np.load(FIXTURES / f"{stem}.input.npy")
    portable = run_testbench(str(tflm_outputs / stem), x,
                             extra_cflags=["-O3", "-march=native", "-DRNNC_KERNELS=RNNC_KERNELS_PORTABLE"])
    assert portable.kernel_path == "portable"
    np.testing.assert_array_equal(portable.y, want)
    static = run_testbench(str(tflm_outputs / stem), x, extra_cflags=["-O3", "-march=native", "-DRNNC_X86_DISPATCH=0"])
    assert "run-time" not in static.kernel_path
    np.testing.assert_array_equal(static.y, want)


@pytest.mark.parametrize("stem", ["lstm_sat_t30_f8_h48_dense", "lstm_t50_f16_h256_dense"])
def test_compile_time_avx2_path(monkeypatch, tflm_outputs, stem):
    """A build for AVX2 + FMA chosen at compile time (-march=haswell, no run-time dispatch): its
    int8 steps call the signed-input gate FC as the dispatched AVX2 level does."""
    how = _how("avx2")
    if how is None:
        pytest.skip("THIS CPU CANNOT RUN AVX2 and qemu-user is not installed: the compile-time AVX2 build is NOT tested")
    if how:
        monkeypatch.setenv("RNNC_HOST_EMULATOR", " ".join(how))
        monkeypatch.setenv("RNNC_SANITIZE", "0")
    run = run_testbench(str(tflm_outputs / stem), np.load(FIXTURES / f"{stem}.input.npy"),
                        extra_cflags=["-march=haswell", "-DRNNC_X86_DISPATCH=0"])
    assert run.kernel_path == "avx2"
    np.testing.assert_array_equal(run.y, np.load(FIXTURES / f"{stem}.tflm.npy"))


@pytest.mark.skipif(shutil.which("clang") is None,
                    reason="CLANG NOT INSTALLED: Clang's build of the x86 dispatch (attribute push) is NOT tested")
@pytest.mark.parametrize("kind,scheme", [("lstm", "int8"), ("gru", "float")])
def test_clang_dispatch_build(monkeypatch, sim_outputs, kind, scheme):
    root, inputs = sim_outputs
    monkeypatch.setenv("CC", "clang")
    monkeypatch.setenv("RNNC_SANITIZE", "0")   # Debian's clang may lack the sanitizer runtimes
    res = verify_compiled(str(root / f"{kind}_{scheme}"), inputs[kind])
    assert res.ok, res.summary()
    assert res.kernel_path.startswith("x86 ")


@pytest.mark.skipif(shutil.which("qemu-x86_64") is None,
                    reason="qemu-user NOT INSTALLED: the AVX2 path under user-mode QEMU is NOT tested")
def test_avx2_path_under_user_mode_qemu(monkeypatch, tflm_outputs):
    """The emulated route the tests take on CPUs without AVX2, checked on every machine."""
    stem = "lstm_sat_t30_f8_h48_dense"
    monkeypatch.setenv("RNNC_HOST_EMULATOR", "qemu-x86_64 -cpu max")
    monkeypatch.setenv("RNNC_X86_PATH", "avx2")
    run = run_testbench(str(tflm_outputs / stem), np.load(FIXTURES / f"{stem}.input.npy"), sanitize=False)
    assert run.kernel_path == "x86 avx2 (run-time)"
    np.testing.assert_array_equal(run.y, np.load(FIXTURES / f"{stem}.tflm.npy"))
    # a cap naming a level this (emulated) CPU lacks falls to the highest one it has
    for cap in ("avx-vnni", "avx512-vnni"):
        monkeypatch.setenv("RNNC_X86_PATH", cap)
        run = run_testbench(str(tflm_outputs / stem), np.load(FIXTURES / f"{stem}.input.npy"), sanitize=False)
        assert run.kernel_path == "x86 avx2 (run-time)", cap


@pytest.mark.parametrize("cap", [None, "avx2", "portable"])
def test_inspect_names_the_path_the_c_takes(monkeypatch, tflm_outputs, cap):
    """`rnnc inspect` reads the CPU in Python; the C reads it with CPUID: they must agree."""
    from codegen.cli import main
    import contextlib
    import io
    stem = "lstm_t8_f4_h16"
    if cap is not None:
        monkeypatch.setenv("RNNC_X86_PATH", cap)
    run = run_testbench(str(tflm_outputs / stem), np.load(FIXTURES / f"{stem}.input.npy"))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["inspect", str(tflm_outputs / stem)]) == 0
    line = next(ln for ln in buf.getvalue().splitlines() if ln.startswith("kernel path: "))
    assert line.startswith("kernel path: x86 run-time dispatch (")
    assert run.kernel_path == f"x86 {line.split('this CPU: ')[1].split()[0]} (run-time)", (line, run.kernel_path)
