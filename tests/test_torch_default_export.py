"""Models as torch.onnx.export writes them by default (dynamo=True; tools/make_torch_default_fixtures.py):
weights in <model>.onnx.data, zero initial states built from the input's shape, the direction and
hidden axes merged by Transpose + Reshape, static or dynamic batch and time, streaming state as
graph inputs and outputs, nn.RNN unrolled over time (re-rolled by the frontend). Float C against onnxruntime; int8 / int16x8 C bit-exact against the
simulator, on the host and on Cortex-M4."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from codegen.api import compile_model, run_compiled, simulate_compiled, verify_compiled
from codegen.errors import RnncError, UnsupportedError
from codegen.qmodel import QModel

FIX = Path(__file__).parent / "fixtures" / "onnx_dynamo"
MISSING = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]

#: name -> (input axes, rows, steps, features): the shapes onnxruntime is run with (static models:
#: their own; dynamic ones: other than the traced batch 2 and time 7 / 5)
MODELS = {
    "lstm2_bf": ("BTF", 3, 9, 6),
    "bigru_last": ("TBF", 2, 7, 5),
    "lstm_b1_t20": ("BTF", 1, 20, 6),
    "gru_sigmoid": ("BTF", 3, 11, 6),
    "stream_lstm": ("BTF", 3, 8, 6),
    "stream_gru2": ("BTF", 3, 8, 6),
    "stream_lstm_2d": ("T", 1, 5, 6),
    "rnn_relu": ("BTF", 2, 9, 4),      # nn.RNN, unrolled by the exporter at T = 9, re-rolled by rnnc
    "stream_rnn2": ("BTF", 2, 5, 6),   # a streaming 2-layer nn.RNN, unrolled at T = 5
    "birnn": ("BTF", 1, 6, 4),         # a bidirectional nn.RNN, both directions unrolled
}
STREAMING = ("stream_lstm", "stream_gru2", "stream_lstm_2d", "stream_rnn2")


def _x(name, seed=0):
    axes, b, t, f = MODELS[name]
    return np.random.default_rng(seed).standard_normal((b, t, f)).astype(np.float32)


def _onnx_input(name, x):
    axes = MODELS[name][0]
    return {"BTF": x, "TBF": x.transpose(1, 0, 2), "T": x[0]}[axes]


def _states(qm, batch, seed=1):
    rng = np.random.default_rng(seed)
    return {t.name: (rng.standard_normal((len(t.layers), batch, t.hidden)) * 0.5).astype(np.float32)
            for t in qm.state_io if t.io == "in"}


def _onnxruntime(name, x, states):
    s = ort.InferenceSession(str(FIX / f"{name}.onnx"), providers=["CPUExecutionProvider"])
    feed = {"x": _onnx_input(name, x)}
    feed.update(states)
    outs = s.run(None, feed)
    return outs[0], dict(zip([o.name for o in s.get_outputs()[1:]], outs[1:]))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_float_c_matches_onnxruntime(tmp_path, name):
    qm = compile_model(str(FIX / f"{name}.onnx"), str(tmp_path), scheme="float")
    x = _x(name)
    states = _states(qm, 1 if name == "stream_lstm_2d" else x.shape[0])
    want, want_states = _onnxruntime(name, x, states)
    if states:
        got, got_states = run_compiled(str(tmp_path), x, state_in=states, state_out=True)
        assert sorted(got_states) == sorted(want_states)
        for k in want_states:
            np.testing.assert_allclose(got_states[k], want_states[k], atol=2e-5, rtol=1e-4, err_msg=k)
    else:
        got = run_compiled(str(tmp_path), x)
    np.testing.assert_allclose(got.reshape(-1), want.reshape(-1), atol=2e-5, rtol=1e-4)


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("scheme", ["int8", "int16x8"])
def test_integer_c_bit_exact(tmp_path, name, scheme):
    calib = _x(name, seed=3)
    compile_model(str(FIX / f"{name}.onnx"), str(tmp_path), scheme=scheme, calib=calib)
    qm = QModel.load(tmp_path)
    x = _x(name, seed=4)
    res = verify_compiled(str(tmp_path), x, state_in=_states(qm, x.shape[0]) or None)
    assert res.ok, res.summary()


@pytest.mark.skipif(bool(MISSING), reason=f"{' and '.join(MISSING)} NOT INSTALLED: Cortex-M4 part skipped")
@pytest.mark.parametrize("name", ["lstm2_bf", "stream_gru2", "rnn_relu"])
def test_integer_c_bit_exact_on_cortex_m4(tmp_path, name):
    compile_model(str(FIX / f"{name}.onnx"), str(tmp_path), scheme="int8", calib=_x(name, seed=3), target="cortex-m4")
    qm = QModel.load(tmp_path)
    x = _x(name, seed=5)
    res = verify_compiled(str(tmp_path), x, state_in=_states(qm, x.shape[0]) or None)
    assert res.ok, res.summary()


@pytest.mark.parametrize("name", STREAMING)
@pytest.mark.parametrize("scheme", ["float", "int8"])
def test_streaming_through_the_state_equals_one_pass(tmp_path, name, scheme):
    """Two calls, the second starting from the first's final state (the model's own state
    tensors, via --state-out / --state-in), give the one-pass output and final state."""
    qm = compile_model(str(FIX / f"{name}.onnx"), str(tmp_path), scheme=scheme,
                       calib=None if scheme == "float" else _x(name, seed=3))
    x = _x(name, seed=6)
    s0 = _states(qm, x.shape[0])
    whole, final = run_compiled(str(tmp_path), x, state_in=s0, state_out=True)
    stepped, final_stepped = run_compiled(str(tmp_path), x, api="step", state_in=s0, state_out=True)
    np.testing.assert_array_equal(stepped, whole)
    for k in final:
        np.testing.assert_array_equal(final_stepped[k], final[k])
    y1, s1 = run_compiled(str(tmp_path), x[:, :3], state_in=s0, state_out=True)
    ins = [t for t in qm.state_io if t.io == "in"]
    outs = {t.role: t.name for t in qm.state_io if t.io == "out"}
    y2, s2 = run_compiled(str(tmp_path), x[:, 3:], state_in={t.name: s1[outs[t.role]] for t in ins}, state_out=True)
    np.testing.assert_array_equal(np.concatenate([y1, y2], axis=1), whole)
    for k in final:
        np.testing.assert_array_equal(s2[k], final[k])
    # the simulator does the same, and rows without --state-in start from the reset state
    y_sim, s_sim = simulate_compiled(str(tmp_path), x, state_in=s0, state_out=True)
    assert np.array_equal(y_sim, whole) or scheme == "float"
    reset, _ = run_compiled(str(tmp_path), x, state_out=True)
    zero = run_compiled(str(tmp_path), x, state_in={t.name: np.zeros((len(t.layers), 1, t.hidden), np.float32)
                                                    for t in ins})
    np.testing.assert_array_equal(reset, zero)


def test_state_files_on_the_command_line(tmp_path):
    """rnnc run --state-in/--state-out with .npz files named after the model's tensors, and
    --dequantize for real-valued output of a quantized model."""
    out = tmp_path / "o"
    compile_model(str(FIX / "stream_lstm.onnx"), str(out), scheme="int8", calib=_x("stream_lstm", seed=3))
    qm = QModel.load(out)
    x = _x("stream_lstm")
    np.save(tmp_path / "x.npy", x)
    np.savez(tmp_path / "s0.npz", **_states(qm, x.shape[0]))
    cmd = [sys.executable, "-m", "codegen", "run", str(out), "--input", str(tmp_path / "x.npy")]
    res = subprocess.run(cmd + ["--output", str(tmp_path / "y.npy"), "--state-in", str(tmp_path / "s0.npz"),
                                "--state-out", str(tmp_path / "s1.npz")], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    with np.load(tmp_path / "s1.npz") as z:
        assert sorted(z.files) == ["cn", "hn"] and z["hn"].shape == (1, 3, 12)
    res = subprocess.run(cmd + ["--output", str(tmp_path / "yd.npy"), "--dequantize"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    yq, yd = run_compiled(str(out), x), np.load(tmp_path / "yd.npy")
    assert yd.dtype == np.float32
    np.testing.assert_allclose(yd, (yq.astype(np.float32) - qm.output_q.zero_point) * np.float32(qm.output_q.scale),
                               rtol=1e-6)
    np.savez(tmp_path / "bad.npz", h=np.zeros((2, 3, 12), np.float32))
    res = subprocess.run(cmd + ["--output", str(tmp_path / "y.npy"), "--state-in", str(tmp_path / "bad.npz")],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "bad.npz" in res.stderr and "(1, 3 or 1, 12)" in res.stderr, res.stderr


def test_rerolled_rnn_runs_any_number_of_steps(tmp_path):
    """The exporter fixed T = 9 when it unrolled nn.RNN; the re-rolled layer runs 20 steps, and
    (causal) its first 9 outputs are onnxruntime's for those 9 steps."""
    qm = compile_model(str(FIX / "rnn_relu.onnx"), str(tmp_path), scheme="float")
    assert [q.kind for q in qm.layers][:1] == ["rnn"]
    x = np.random.default_rng(7).standard_normal((2, 20, 4)).astype(np.float32)
    want, _ = _onnxruntime("rnn_relu", x[:, :9], {})
    got = run_compiled(str(tmp_path), x)
    assert got.shape[:2] == (2, 20)
    np.testing.assert_allclose(got[:, :9].reshape(-1), want.reshape(-1), atol=2e-5, rtol=1e-4)


def test_unrolled_steps_that_are_not_one_rnn_are_refused(tmp_path):
    """Steps of the unrolled chain with different recurrent weights are not an nn.RNN: left
    unrolled and refused with the way out."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(str(FIX / "rnn_relu.onnx"))           # the weights read from rnn_relu.onnx.data
    inits = {t.name: t for t in m.graph.initializer}
    step = [n for n in m.graph.node if n.op_type == "MatMul" and n.input[1] in inits
            and numpy_helper.to_array(inits[n.input[1]]).shape == (7, 7)][-1]
    other = numpy_helper.to_array(inits[step.input[1]]) * 0.5
    m.graph.initializer.append(numpy_helper.from_array(other.astype(np.float32), "other_R"))
    step.input[1] = "other_R"
    onnx.save(m, str(tmp_path / "m.onnx"))
    with pytest.raises(UnsupportedError, match="unrolled over time"):
        compile_model(str(tmp_path / "m.onnx"), str(tmp_path / "o"), scheme="float")


@pytest.mark.parametrize("name,needle", [
    ("conv_gru", "operator Conv is not supported"),
])
def test_what_the_default_exporter_writes_that_rnnc_refuses_is_named(name, needle):
    with pytest.raises(UnsupportedError, match=needle):
        compile_model(str(FIX / f"{name}.onnx"), "/nonexistent/never-written", scheme="float")


def test_external_data_must_be_beside_the_model(tmp_path):
    shutil.copy(FIX / "gru_sigmoid.onnx", tmp_path / "m.onnx")
    with pytest.raises(RnncError, match="missing beside the model"):
        compile_model(str(tmp_path / "m.onnx"), str(tmp_path / "o"), scheme="float")
