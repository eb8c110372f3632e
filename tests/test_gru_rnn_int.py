"""Integer GRU (both ONNX variants) and simple RNN: generated C == simulator bit for bit,
and the quantized layers stay close to float (SQNR), for int8 and int16x8."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from codegen import ir

from helpers import compile_and_verify
from models import dense, model, recurrent

CASES = [("gru", False), ("gru", True), ("rnn", False)]


@pytest.mark.parametrize("kind,lbr", CASES)
@pytest.mark.parametrize("scheme", ["int8", "int16x8"])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_gru_rnn_bit_exact_and_close_to_float(tmp_path, kind, lbr, scheme, direction):
    In, H = 5, 20
    layer = recurrent(kind, In, H, direction, seed=4, lbr=lbr)
    m = model([layer, dense(layer.output_size, 3)], In)
    rng = np.random.default_rng(1)
    calib = rng.standard_normal((16, 16, In)).astype(np.float32)
    x = (rng.standard_normal((4, 16, In)) * 1.5).astype(np.float32)
    qm = compile_and_verify(m, tmp_path, scheme, x, calib=calib)
    assert min(l.report["sqnr_db"] for l in qm.layers) > 25


def test_relu_rnn(tmp_path):
    layer = recurrent("rnn", 4, 12, seed=6, scale=0.3)
    layer.activations = (ir.ActivationSpec("relu"),)
    m = model([layer], 4)
    rng = np.random.default_rng(2)
    calib = rng.standard_normal((8, 10, 4)).astype(np.float32)
    qm = compile_and_verify(m, tmp_path, "int8", calib[:3], calib=calib)
    assert qm.layers[0].report["sqnr_db"] > 25


def test_stacked_gru_int16x8(tmp_path):
    a = recurrent("gru", 3, 16, seed=1, name="gru0")
    b = recurrent("gru", 16, 16, seed=2, lbr=True, name="gru1")
    m = model([a, b], 3)
    calib = np.random.default_rng(3).standard_normal((8, 12, 3)).astype(np.float32)
    compile_and_verify(m, tmp_path, "int16x8", calib[:4], calib=calib)


@settings(max_examples=6, deadline=None)
@given(kind=st.sampled_from(CASES), H=st.integers(1, 300), In=st.integers(1, 32), T=st.integers(1, 10),
       direction=st.sampled_from(["forward", "reverse", "bidirectional"]),
       scheme=st.sampled_from(["int8", "int16x8"]), seed=st.integers(0, 1000))
def test_property_random_gru_rnn_c_equals_simulator(tmp_path_factory, kind, H, In, T, direction, scheme, seed):
    m = model([recurrent(kind[0], In, H, direction, seed=seed, lbr=kind[1])], In)
    rng = np.random.default_rng(seed)
    calib = rng.standard_normal((4, T, In)).astype(np.float32)
    x = (rng.standard_normal((3, T, In)) * 2).astype(np.float32)
    compile_and_verify(m, tmp_path_factory.mktemp("p"), scheme, x, calib=calib)
