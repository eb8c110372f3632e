"""Generated C cross-compiled for five Cortex-M cores and run on QEMU (semihosting): bit-exact
with the simulator and with the TFLM goldens, streaming through the step API, float models."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from codegen.api import compile_ir, compile_model, run_compiled, verify_compiled
from codegen.errors import RnncError

from models import dense, model, recurrent

TARGETS = ["cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"]
FIX = Path(__file__).parent / "fixtures" / "tflite"
MISSING = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]

pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"{' and '.join(MISSING)} NOT INSTALLED: Cortex-M tests skipped "
                          "(make setup installs them when run as root)")


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("stem", ["lstm2_t12_f6_h32", "lstm_sat_t30_f8_h48_dense"])
def test_tflm_fixture_on_core(tmp_path, target, stem):
    compile_model(str(FIX / f"{stem}.tflite"), str(tmp_path), scheme="int8", target=target)
    x = np.load(FIX / f"{stem}.input.npy")
    np.testing.assert_array_equal(run_compiled(str(tmp_path), x), np.load(FIX / f"{stem}.tflm.npy"))


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("scheme", ["int8", "int16x8"])
def test_integer_rnns_on_core(tmp_path, target, scheme):
    layers = [recurrent("gru", 5, 12, name="gru0"), recurrent("rnn", 12, 9, "bidirectional", name="rnn1"),
              recurrent("lstm", 18, 10, "reverse", lbr=False, name="lstm2"), dense(10, 3, name="dense3")]
    m = model(layers, 5)
    rng = np.random.default_rng(3)
    calib = rng.standard_normal((6, 8, 5)).astype(np.float32)
    compile_ir(m, str(tmp_path), scheme=scheme, target=target, calib=calib)
    res = verify_compiled(str(tmp_path), (calib[:3] * 2).astype(np.float32))
    assert res.ok, res.summary()


@pytest.mark.parametrize("target", ["cortex-m4", "cortex-m55"])
def test_streaming_step_api_on_core(tmp_path, target):
    m = model([recurrent("lstm", 4, 16, name="lstm0"), dense(16, 2, name="dense1")], 4)
    rng = np.random.default_rng(4)
    calib = rng.standard_normal((4, 40, 4)).astype(np.float32)
    compile_ir(m, str(tmp_path), scheme="int8", target=target, calib=calib)
    x = (rng.standard_normal((2, 40, 4)) * 1.5).astype(np.float32)
    whole = run_compiled(str(tmp_path), x)
    np.testing.assert_array_equal(run_compiled(str(tmp_path), x, api="step"), whole)
    np.testing.assert_array_equal(run_compiled(str(tmp_path), x, chunk=7), whole)


@pytest.mark.parametrize("target", ["cortex-m3", "cortex-m7"])
def test_float_example_on_core(tmp_path, target):
    root = Path(__file__).parent.parent / "examples" / "japanese_vowels"
    compile_model(str(root / "model.onnx"), str(tmp_path), scheme="float", target=target)
    res = verify_compiled(str(tmp_path), np.load(root / "test_x.npy")[:3])
    assert res.ok, res.summary()


def test_unknown_target_is_a_clear_error(tmp_path):
    with pytest.raises(RnncError, match="unknown target 'cortex-m99'.*cortex-m4"):
        compile_model(str(FIX / "lstm_t8_f4_h16.tflite"), str(tmp_path), target="cortex-m99")


def test_relative_output_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    compile_model(str(FIX / "lstm_t8_f4_h16.tflite"), "rel_out", scheme="int8", target="cortex-m4")
    x = np.load(FIX / "lstm_t8_f4_h16.input.npy")
    np.testing.assert_array_equal(run_compiled("rel_out", x), np.load(FIX / "lstm_t8_f4_h16.tflm.npy"))


def test_instruction_counts_are_deterministic_and_scale(tmp_path):
    from codegen.qmodel import QModel
    from codegen.toolchain.insncount import instructions_per_step
    from codegen.toolchain.targets import load_target
    counts = {}
    for H in (8, 32):
        out = tmp_path / f"h{H}"
        m = model([recurrent("lstm", 4, H, name="lstm0")], 4)
        calib = np.random.default_rng(0).standard_normal((4, 8, 4)).astype(np.float32)
        qm = compile_ir(m, str(out), scheme="int8", target="cortex-m4", calib=calib)
        first = instructions_per_step(out, load_target("cortex-m4"), qm)
        assert first == instructions_per_step(out, load_target("cortex-m4"), QModel.load(out))
        counts[H] = first
    macs = {H: 4 * H * (4 + H) for H in counts}
    assert counts[8] > macs[8] and counts[32] > counts[8] * 3  # work grows with the MACs


def test_bench_cli(tmp_path):
    import subprocess
    import sys
    out = tmp_path / "o"
    compile_model(str(FIX / "lstm_t8_f4_h16.tflite"), str(out), scheme="int8", target="cortex-m33")
    res = subprocess.run([sys.executable, "-m", "codegen", "bench", str(out)], capture_output=True, text=True)
    assert res.returncode == 0 and "instructions per time step" in res.stdout, res.stderr


def test_footprint_matches_the_layer_table(tmp_path):
    from codegen.qmodel import QModel
    from codegen.report import layer_rows
    from codegen.toolchain.footprint import measure
    from codegen.toolchain.targets import load_target
    m = model([recurrent("lstm", 6, 20, name="lstm0")], 6)
    calib = np.random.default_rng(0).standard_normal((4, 8, 6)).astype(np.float32)
    compile_ir(m, str(tmp_path), scheme="int8", target="cortex-m7", calib=calib, prefix="fp")
    qm = QModel.load(tmp_path)
    tgt = load_target("cortex-m7")
    rows = layer_rows(qm, tgt)
    fp = measure(tmp_path, tgt, qm)
    assert fp.ram == sum(r["scratch_bytes"] for r in rows)                # static scratch only
    assert fp.sections[".rodata"] >= sum(r["weight_bytes"] for r in rows) + 512  # + sigmoid table
    assert fp.stack_bounded and fp.stack_entry in ("fp_run", "fp_step") and 64 < fp.stack_bytes < 4096
