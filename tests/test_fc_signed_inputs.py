"""The signed-input int8 gate FC (rnnc_fc_s8_s16_b16x4_signed, what Arm64 outputs use) built
for the host: an Arm64 output compiled on a PC for unit tests runs its portable C (and on x86
its AVX2 path), which tests/test_aarch64.py only runs under qemu-aarch64. The emitter is told to
choose that kernel for the host target, so the host testbench (ASan/UBSan, -Werror) runs it on
each path (RNNC_X86_PATH=portable caps an x86 build to the portable C; elsewhere both runs take
the native path): bit for bit with the simulator on LSTM / GRU / RNN layers whose input sizes
leave a partial last group of four, and with TFLM's outputs on converter-made LSTMs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codegen.api import compile_ir, compile_model
from codegen.emit.layers import _rnn_int_common
from codegen.running import run_testbench
from codegen.verification import verify_compiled

from models import dense, model, recurrent

FIXTURES = Path(__file__).parent / "fixtures" / "tflite"


@pytest.fixture(autouse=True, params=["portable", "native"])
def signed_inputs(request, monkeypatch):
    monkeypatch.setattr(_rnn_int_common, "fc_s8_signed_inputs", lambda target: True)
    if request.param == "portable":
        monkeypatch.setenv("RNNC_X86_PATH", "portable")


def _has_signed_fc(out: Path) -> bool:
    return any(".gate_fc = rnnc_fc_s8_s16_b16x4_signed," in h.read_text() for h in out.glob("*_weights.h"))


@pytest.mark.parametrize("kind,H,In", [("lstm", 37, 70), ("gru", 64, 3), ("rnn", 130, 19)])
def test_signed_input_fc_equals_simulator_on_host(tmp_path, kind, H, In):
    layer = recurrent(kind, In, H, "bidirectional", seed=H)
    m = model([layer, dense(layer.output_size, 5)], In)
    calib = np.random.default_rng(H).standard_normal((8, 9, In)).astype(np.float32)
    compile_ir(m, str(tmp_path), scheme="int8", calib=calib)
    assert _has_signed_fc(tmp_path), "the host output did not get the signed-input gate FC"
    res = verify_compiled(str(tmp_path), (calib[:4] * 3).astype(np.float32))
    assert res.ok, res.summary()


@pytest.mark.parametrize("stem", ["lstm_sat_t30_f8_h48_dense", "lstm_t50_f16_h256_dense"])
def test_signed_input_fc_equals_tflm_on_host(tmp_path, stem):
    compile_model(str(FIXTURES / f"{stem}.tflite"), str(tmp_path), scheme="int8")
    assert _has_signed_fc(tmp_path), "the host output did not get the signed-input gate FC"
    run = run_testbench(str(tmp_path), np.load(FIXTURES / f"{stem}.input.npy"))
    np.testing.assert_array_equal(run.y, np.load(FIXTURES / f"{stem}.tflm.npy"))
