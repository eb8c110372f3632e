"""ONNX RNN attributes and glue, through the frontend, the float simulator and the generated C,
against onnxruntime (an independent implementation)."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from codegen.api import compile_model, run_compiled, simulate_compiled
from codegen.errors import RnncError, UnsupportedError
from codegen.frontends import load_model

from onnx_builders import rnn_model, save

CASES = {
    "lstm_forward": dict(op="LSTM"),
    "lstm_reverse": dict(op="LSTM", direction="reverse"),
    "lstm_bidir_head": dict(op="LSTM", direction="bidirectional", head=3),
    "lstm_clip_peephole": dict(op="LSTM", clip=0.7, peepholes=True),
    "lstm_acts": dict(op="LSTM", activations=["HardSigmoid", "LeakyRelu", "Softsign"], alphas=[0.3, 0.2], betas=[0.4]),
    "lstm_init_state": dict(op="LSTM", init_h=np.full((1, 3, 6), 0.3), init_c=np.full((1, 3, 6), -0.2)),
    "lstm_seq_lens_bidir": dict(op="LSTM", direction="bidirectional", seq_lens=[5, 2, 4]),
    "gru_lbr0": dict(op="GRU"),
    "gru_lbr1_bidir": dict(op="GRU", lbr=1, direction="bidirectional"),
    "gru_acts_reverse": dict(op="GRU", direction="reverse", activations=["Sigmoid", "ScaledTanh"], alphas=[1.5], betas=[0.7]),
    "gru_seq_lens": dict(op="GRU", seq_lens=[1, 5, 3]),
    "rnn_relu": dict(op="RNN", activations=["Relu"]),
    "rnn_elu_bidir": dict(op="RNN", direction="bidirectional", activations=["Elu", "Softplus"], alphas=[0.5]),
    "rnn_affine": dict(op="RNN", activations=["Affine"], alphas=[0.8], betas=[0.1], head=2),
    "lstm_y_h": dict(op="LSTM", y_h=True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_attribute_case_matches_onnxruntime(name, tmp_path):
    model = rnn_model(**CASES[name])
    path = save(model, tmp_path / f"{name}.onnx")
    x = np.random.default_rng(1).standard_normal((5, 3, 4)).astype(np.float32)  # (T, B, F)
    want = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"X": x})[0]
    meta = load_model(path).metadata
    out = tmp_path / "out"
    compile_model(path, str(out), scheme="float")
    xb = x.transpose(1, 0, 2)
    if meta["onnx_output_axes"] == "TBF":
        want = want.transpose(1, 0, 2)
    elif meta["onnx_output_axes"] == "DBF":
        want = want.transpose(1, 0, 2).reshape(3, 1, -1)
    for got in (simulate_compiled(str(out), xb), run_compiled(str(out), xb)):
        np.testing.assert_allclose(got, want, atol=2e-5, rtol=1e-4)


def test_layout_1_matches_onnx_reference(tmp_path):
    from onnx.reference import ReferenceEvaluator
    model = rnn_model(op="GRU", layout=1, lbr=1)
    path = save(model, tmp_path / "gru_layout1.onnx")
    x = np.random.default_rng(2).standard_normal((3, 5, 4)).astype(np.float32)  # (B, T, F)
    want = ReferenceEvaluator(model).run(None, {"X": x})[0]
    out = tmp_path / "out"
    compile_model(path, str(out), scheme="float")
    np.testing.assert_allclose(run_compiled(str(out), x), want, atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("kw,needle", [
    (dict(op="LSTM", activations=["Sigmoid", "Tanh", "Gelu"]), "Gelu"),
    (dict(op="LSTM", init_h=np.arange(3.0)[None, :, None] * np.ones((1, 3, 6))), "differs between batch rows"),
])
def test_refusals_name_node_and_reason(tmp_path, kw, needle):
    path = save(rnn_model(**kw), tmp_path / "bad.onnx")
    with pytest.raises(UnsupportedError) as e:
        load_model(path)
    msg = str(e.value)
    assert "bad.onnx" in msg and needle in msg and "node" in msg


def test_input_forget_refused(tmp_path):
    m = rnn_model(op="LSTM")
    from onnx import helper
    m.graph.node[0].attribute.append(helper.make_attribute("input_forget", 1))
    with pytest.raises(UnsupportedError, match="input_forget"):
        load_model(save(m, tmp_path / "m.onnx"))


def test_unsupported_op_is_named(tmp_path):
    m = rnn_model(op="GRU")
    m.graph.node[1].op_type = "Erf"
    with pytest.raises(RnncError, match=r"node '.*' \(Erf\).*not supported"):
        load_model(save(m, tmp_path / "m.onnx"))


def test_nan_weights_refused(tmp_path):
    from onnx import numpy_helper
    m = rnn_model(op="RNN")
    w = numpy_helper.to_array(m.graph.initializer[0]).copy()
    w[0, 0, 0] = np.nan
    m.graph.initializer[0].CopyFrom(numpy_helper.from_array(w, "W"))
    with pytest.raises(RnncError, match="NaN"):
        load_model(save(m, tmp_path / "m.onnx"))


def test_truncated_and_garbage_files(tmp_path):
    good = save(rnn_model(), tmp_path / "good.onnx")
    data = open(good, "rb").read()
    (tmp_path / "trunc.onnx").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.tflite").write_bytes(b"\x00" * 64)
    for name in ("trunc.onnx", "junk.tflite"):
        with pytest.raises(RnncError, match=name):
            load_model(str(tmp_path / name))


def test_calibration_errors(tmp_path):
    from codegen.api import compile_model as cm
    path = save(rnn_model(op="LSTM", layout=1), tmp_path / "m.onnx")
    for calib, needle in ((np.zeros((0, 5, 4), np.float32), "empty"),
                          (np.full((2, 5, 4), np.inf, np.float32), "NaN or Inf"),
                          (np.zeros((2, 5, 3), np.float32), "3 features"),
                          (None, "needs calibration data")):
        with pytest.raises(RnncError, match=needle):
            cm(path, str(tmp_path / "o"), scheme="int8", calib=calib)
