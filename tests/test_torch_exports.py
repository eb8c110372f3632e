"""Real PyTorch exports (tools/make_onnx_fixtures.py): stacked bidirectional LSTM, GRU with a
last-step classifier and softmax, embedding + LSTM. Generated float C against onnxruntime,
and the integer schemes bit-exact against the simulator."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from codegen.api import compile_model, run_compiled, verify_compiled

FIX = Path(__file__).parent / "fixtures" / "onnx"


def _inputs(name, rng):
    if name == "torch_embed_lstm":
        return rng.integers(0, 40, (3, 9)).astype(np.int64)
    if name == "torch_gru_last":
        return rng.standard_normal((9, 3, 5)).astype(np.float32)   # (T, B, F)
    return rng.standard_normal((3, 9, 6)).astype(np.float32)


def _to_rnnc(name, x):
    if name == "torch_embed_lstm":
        return x[..., None].astype(np.int32)
    if name == "torch_gru_last":
        return x.transpose(1, 0, 2)
    return x


@pytest.mark.parametrize("name", ["torch_bilstm2", "torch_gru_last", "torch_embed_lstm"])
def test_torch_export_float_matches_onnxruntime(tmp_path, name):
    rng = np.random.default_rng(0)
    x = _inputs(name, rng)
    want = ort.InferenceSession(str(FIX / f"{name}.onnx")).run(None, {"x": x})[0]
    compile_model(str(FIX / f"{name}.onnx"), str(tmp_path), scheme="float")
    got = run_compiled(str(tmp_path), _to_rnnc(name, x))
    np.testing.assert_allclose(got.reshape(want.shape), want, atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("name", ["torch_bilstm2", "torch_gru_last", "torch_embed_lstm"])
@pytest.mark.parametrize("scheme", ["int8", "int16x8"])
def test_torch_export_integer_bit_exact(tmp_path, name, scheme):
    rng = np.random.default_rng(1)
    calib = _to_rnnc(name, _inputs(name, rng))
    if calib.dtype != np.int32:
        calib = calib.astype(np.float32)
    qm = compile_model(str(FIX / f"{name}.onnx"), str(tmp_path), scheme=scheme, calib=calib)
    res = verify_compiled(str(tmp_path), _to_rnnc(name, _inputs(name, np.random.default_rng(2))))
    assert res.ok, res.summary()
    assert all(l.report.get("sqnr_db") is None or l.report["sqnr_db"] > 15 for l in qm.layers)
