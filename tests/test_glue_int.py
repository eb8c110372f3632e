"""Integer dense heads and activations (relu, sigmoid, tanh, softmax), embeddings and last-step
selection: generated C == simulator bit for bit, dequantized output close to float."""
from __future__ import annotations

import numpy as np
import pytest

from codegen import ir
from codegen.quant.common import dequantize_array
from codegen.simulate import run_layers

from helpers import compile_and_verify
from models import dense, model, recurrent


@pytest.mark.parametrize("scheme", ["int8", "int16x8"])
@pytest.mark.parametrize("fn", ["relu", "sigmoid", "tanh", "softmax"])
def test_head_activation(tmp_path, scheme, fn):
    lstm = recurrent("lstm", 5, 16, seed=8)
    m = model([lstm, dense(16, 6), ir.ActivationLayer("act", fn, 6)], 5)
    rng = np.random.default_rng(4)
    calib = rng.standard_normal((16, 12, 5)).astype(np.float32)
    qm = compile_and_verify(m, tmp_path, scheme, calib[:4] * 2, calib=calib)
    # the integer activation agrees with float on the calibration data
    from codegen.quantize import _float_qlayers
    lengths = np.full(16, 12)
    ref = run_layers(_float_qlayers(m), calib, lengths)
    from codegen.quant.common import quantize_array
    got = dequantize_array(run_layers(qm.layers, quantize_array(calib, qm.input_q), lengths), qm.output_q)
    tol = {"relu": 0.15, "sigmoid": 0.03, "tanh": 0.05, "softmax": 0.03}[fn]
    assert np.abs(got - ref).max() < tol


@pytest.mark.parametrize("scheme", ["int8", "int16x8"])
def test_embedding_and_last_step(tmp_path, scheme):
    rng = np.random.default_rng(5)
    emb = ir.EmbeddingLayer("embedding0", rng.standard_normal((50, 8)).astype(np.float32))
    gru = recurrent("gru", 8, 12, seed=9, name="gru1")
    m = ir.Model("tok", "tok.onnx", "0" * 64, 1,
                 [emb, gru, ir.LastStepLayer("last2", 12), dense(12, 4, name="dense3"),
                  ir.ActivationLayer("softmax4", "softmax", 4)], input_kind="tokens")
    m.validate()
    calib = rng.integers(0, 50, (16, 10, 1)).astype(np.int32)
    x = rng.integers(0, 50, (4, 10, 1)).astype(np.int32)
    qm = compile_and_verify(m, tmp_path, scheme, x, calib=calib)
    assert qm.input_dtype == "int32" and not qm.causal
