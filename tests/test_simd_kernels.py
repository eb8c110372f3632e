"""The SIMD paths of the kernels, built with -march=native on this machine, must equal the
simulator and the TFLM goldens bit for bit (the default build tests the portable C)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codegen.api import compile_ir, compile_model, run_compiled, verify_compiled

from models import dense, model, recurrent

FIXTURES = Path(__file__).parent / "fixtures" / "tflite"
NATIVE = ["-O3", "-march=native"]


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


pytestmark = pytest.mark.skipif(
    not {"avx512_vnni", "avx512bw"} <= _cpu_flags(),
    reason="THIS CPU HAS NO AVX-512 VNNI: the x86 SIMD kernel path is NOT tested here "
           "(the portable C path is tested everywhere)")


@pytest.mark.parametrize("stem", sorted(p.stem for p in FIXTURES.glob("*.tflite")))
def test_vnni_path_equals_tflm(tmp_path, stem):
    compile_model(str(FIXTURES / f"{stem}.tflite"), str(tmp_path), scheme="int8")
    x = np.load(FIXTURES / f"{stem}.input.npy")
    y = run_compiled(str(tmp_path), x, extra_cflags=NATIVE)
    np.testing.assert_array_equal(y, np.load(FIXTURES / f"{stem}.tflm.npy"))


@pytest.mark.parametrize("kind,H,In", [("lstm", 37, 70), ("gru", 64, 3), ("rnn", 130, 19)])
def test_vnni_path_equals_simulator(tmp_path, kind, H, In):
    layer = recurrent(kind, In, H, "bidirectional", seed=H)
    m = model([layer, dense(layer.output_size, 5)], In)
    rng = np.random.default_rng(H)
    calib = rng.standard_normal((8, 9, In)).astype(np.float32)
    compile_ir(m, str(tmp_path), scheme="int8", calib=calib)
    res = verify_compiled(str(tmp_path), (calib[:4] * 3).astype(np.float32), extra_cflags=NATIVE)
    assert res.ok, res.summary()
