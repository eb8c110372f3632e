"""Post-training quantized integer LSTMs: generated C == simulator bit for bit, and the
quantized model stays close to float (so a consistent-but-wrong spec cannot pass)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from codegen.qmodel import QModel

from helpers import compile_and_verify
from models import dense, model, recurrent


@pytest.mark.parametrize("scheme", ["int8", "int16x8"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_lstm_ptq_bit_exact_and_close_to_float(tmp_path, scheme, direction):
    In, H = 6, 24
    lstm = recurrent("lstm", In, H, direction, seed=3)
    m = model([lstm, dense(lstm.output_size, 4)], In)
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((16, 20, In)).astype(np.float32)
    x = rng.standard_normal((5, 20, In)).astype(np.float32)
    qm = compile_and_verify(m, tmp_path, scheme, x, calib=calib)
    sqnr = [l.report["sqnr_db"] for l in qm.layers]
    assert min(sqnr) > (25 if scheme == "int8" else 33), sqnr


def test_lstm_int_streaming_equals_whole_sequence(tmp_path):
    m = model([recurrent("lstm", 4, 16, seed=5)], 4)
    rng = np.random.default_rng(1)
    calib = rng.standard_normal((8, 30, 4)).astype(np.float32)
    compile_and_verify(m, tmp_path, "int8", calib[:2], calib=calib)
    out = tmp_path / "m_int8"
    x = QModel.load(out)
    from codegen.api import random_input, run_compiled
    xs = random_input(x, 3, 40, seed=2)
    whole = run_compiled(str(out), xs)
    np.testing.assert_array_equal(run_compiled(str(out), xs, api="step"), whole)
    np.testing.assert_array_equal(run_compiled(str(out), xs, chunk=7), whole)


@settings(max_examples=6, deadline=None)
@given(H=st.integers(1, 300), In=st.integers(1, 40), T=st.integers(1, 12),
       direction=st.sampled_from(["forward", "reverse", "bidirectional"]),
       scheme=st.sampled_from(["int8", "int16x8"]), seed=st.integers(0, 1000))
def test_property_random_lstm_c_equals_simulator(tmp_path_factory, H, In, T, direction, scheme, seed):
    m = model([recurrent("lstm", In, H, direction, seed=seed)], In)
    rng = np.random.default_rng(seed)
    calib = rng.standard_normal((4, T, In)).astype(np.float32)
    x = (rng.standard_normal((3, T, In)) * 2).astype(np.float32)
    compile_and_verify(m, tmp_path_factory.mktemp("p"), scheme, x, calib=calib)
