"""The ONNX frontend: glue lowering (against onnxruntime and onnx's ReferenceEvaluator through
the float simulator), the IR it produces, real PyTorch exports, and its refusals: every error
is an RnncError naming the file and the node."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from codegen import ir
from codegen.errors import RnncError, UnsupportedError
from codegen.frontends import load_model
from codegen.quantize import quantize_model
from codegen.simulate import run_model

from onnx_glue_models import GLUE_MODELS, Builder, rnn_node_model

FIXTURES = Path(__file__).parent / "fixtures" / "onnx"
B, T = 3, 6


def _example_input(m: ir.Model, rng) -> np.ndarray:
    """An input in the ONNX model's own layout (ids, (B, T, F) or (T, B, F))."""
    axes = m.metadata["onnx_input_axes"]
    if m.input_kind == "tokens":
        return rng.integers(0, m.layers[0].table.shape[0], (B, T)).astype(np.int64)
    t = m.time_steps or T
    return rng.standard_normal((B, t, m.input_size) if axes[0] == "B" else (t, B, m.input_size)).astype(np.float32)


def _simulate(m: ir.Model, x: np.ndarray) -> np.ndarray:
    """Float simulation of the IR on the ONNX-layout input, returned in the ONNX output layout."""
    if m.input_kind == "tokens":
        xr = x[..., None].astype(np.int32)
    else:
        xr = x if m.metadata["onnx_input_axes"][0] == "B" else x.transpose(1, 0, 2)
    y = run_model(quantize_model(m, "float"), xr)                 # (B, T or 1, F)
    out_axes = m.metadata["onnx_output_axes"]
    if out_axes == "TBF":
        return y.transpose(1, 0, 2)
    return y[:, 0, :] if out_axes == "BF" else y


@pytest.mark.parametrize("name", sorted(GLUE_MODELS))
def test_glue_model_matches_onnxruntime_and_reference(name, tmp_path):
    model = GLUE_MODELS[name]()
    path = tmp_path / f"{name}.onnx"
    onnx.save(model, path)
    m = load_model(str(path))
    x = _example_input(m, np.random.default_rng(0))
    got = _simulate(m, x)
    if "layout1" not in name:   # onnxruntime has no layout=1 RNNs
        want = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)
    ref = ReferenceEvaluator(model).run(None, {"x": x})[0]
    np.testing.assert_allclose(got, ref, atol=1e-5, rtol=1e-5)


FIXTURE_FILES = sorted(p.name for p in FIXTURES.glob("*.onnx"))


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_pytorch_export_matches_onnxruntime(name):
    path = str(FIXTURES / name)
    m = load_model(path)
    x = _example_input(m, np.random.default_rng(1))
    want = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_allclose(_simulate(m, x), want, atol=1e-5, rtol=1e-5)


def test_pytorch_fixtures_are_small_and_present():
    assert len(FIXTURE_FILES) >= 7
    assert sum((FIXTURES / n).stat().st_size for n in FIXTURE_FILES) < 200_000


@pytest.mark.parametrize("name,kinds", [
    ("torch_lstm2_hn.onnx", ["lstm", "lstm", "last_step", "dense"]),
    ("torch_bigru2_hn_cat.onnx", ["gru", "gru", "last_step", "dense", "activation"]),
    ("torch_gru_step_last.onnx", ["gru", "last_step", "dense"]),
    ("torch_embed_lstm.onnx", ["embedding", "lstm", "dense"]),
])
def test_pytorch_exports_lower_to_the_expected_chain(name, kinds):
    m = load_model(str(FIXTURES / name))
    assert [l.kind for l in m.layers] == kinds
    if name == "torch_bigru2_hn_cat.onnx":   # the backward half of h_n is the state after step 0
        assert m.layers[2].reverse_width == 8 and m.layers[2].size == 16


# --- the IR it produces ----------------------------------------------------------------------

def test_model_fields_and_sanitized_names(tmp_path):
    model = rnn_node_model("LSTM", "bidirectional", 0, init=True, peep=True, seq_lens=[5, 2, 4])
    model.graph.node[0].name = "/encoder/LSTM;\n drop table"
    path = tmp_path / "My Model-v2.onnx"
    onnx.save(model, path)
    m = load_model(str(path))
    assert m.name == "my_model_v2" and m.source == str(path)
    assert m.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (m.input_size, m.input_kind, m.time_steps) == (4, "float", 5)
    assert m.sequence_lens.tolist() == [5, 2, 4]
    layer = m.layers[0]
    assert layer.name == "lstm0" and layer.direction == "bidirectional"
    assert all(dp.initial_h.shape == (6,) and dp.initial_c.shape == (6,) for dp in layer.dirs)
    assert set(layer.dirs[1].peepholes) == {"i", "o", "f"}


def test_gates_are_stored_by_name(tmp_path):
    """ONNX packs LSTM gates as i, o, f, c and GRU gates as z, r, h; the IR names them."""
    for op, order in (("LSTM", "iofc"), ("GRU", "zrh"), ("RNN", "h")):
        model = rnn_node_model(op, "reverse", 0)
        W = numpy_helper.to_array(model.graph.initializer[0])
        Bias = numpy_helper.to_array(model.graph.initializer[2])
        onnx.save(model, tmp_path / "m.onnx")
        layer = load_model(str(tmp_path / "m.onnx")).layers[0]
        G, Hs = len(order), layer.hidden_size
        for k, g in enumerate(order):
            np.testing.assert_array_equal(layer.dirs[0].gates[g].W, W[0, k * Hs:(k + 1) * Hs])
            np.testing.assert_array_equal(layer.dirs[0].gates[g].Rb, Bias[0, (G + k) * Hs:(G + k + 1) * Hs])


def test_activation_defaults_follow_the_onnx_operators(tmp_path):
    model = rnn_node_model("LSTM", "forward", 0)
    model.graph.node[0].attribute.append(helper.make_attribute("activations", ["HardSigmoid", "Elu", "LeakyRelu"]))
    onnx.save(model, tmp_path / "m.onnx")
    acts = load_model(str(tmp_path / "m.onnx")).layers[0].activations
    assert acts == (ir.ActivationSpec("hardsigmoid", 0.2, 0.5), ir.ActivationSpec("elu", 1.0),
                    ir.ActivationSpec("leakyrelu", 0.01))


def test_dead_branches_are_ignored(tmp_path):
    """An unused Y_c and an unsupported op off the output's path change nothing."""
    model = GLUE_MODELS["batch_first_last_gemm"]()
    lstm = next(n for n in model.graph.node if n.op_type == "LSTM")
    model.graph.node.append(helper.make_node("Erf", [lstm.output[2]], ["dead"], name="/unused"))
    onnx.save(model, tmp_path / "m.onnx")
    assert [l.kind for l in load_model(str(tmp_path / "m.onnx")).layers] == \
        ["lstm", "last_step", "dense", "activation"]


# --- refusals ----------------------------------------------------------------------------

def _expect_error(model_or_bytes, tmp_path, needle, node=None, cls=RnncError, name="bad.onnx"):
    path = tmp_path / name
    data = model_or_bytes if isinstance(model_or_bytes, bytes) else model_or_bytes.SerializeToString()
    path.write_bytes(data)
    with pytest.raises(cls) as e:
        load_model(str(path))
    msg = str(e.value)
    assert str(path) in msg and needle in msg, msg
    if node:
        assert f"node '{node}'" in msg, msg
    return msg


def _lstm_with(**attrs):
    model = rnn_node_model("LSTM", "forward", 0)
    model.graph.node[0].attribute.extend(helper.make_attribute(k, v) for k, v in attrs.items())
    return model


def test_broken_files(tmp_path):
    good = rnn_node_model("GRU", "forward", 0).SerializeToString()
    _expect_error(good[: len(good) // 2], tmp_path, "not a valid ONNX file")
    _expect_error(np.random.default_rng(0).bytes(300), tmp_path, "ONNX")
    _expect_error(b"", tmp_path, "")


def test_unsupported_op_is_named(tmp_path):
    model = GLUE_MODELS["passthrough_ops"]()
    node = next(n for n in model.graph.node if n.op_type == "Dropout")
    node.op_type = "Erf"
    _expect_error(model, tmp_path, "Erf is not supported", node=node.name, cls=UnsupportedError)


def test_input_forget_is_refused(tmp_path):
    _expect_error(_lstm_with(input_forget=1), tmp_path, "input_forget", node="the_lstm", cls=UnsupportedError)


def test_unknown_activation_is_refused_by_name(tmp_path):
    _expect_error(_lstm_with(activations=["Sigmoid", "Gelu", "Tanh"]), tmp_path, "'Gelu' is not supported",
                  node="the_lstm", cls=UnsupportedError)


def test_activation_without_an_agreed_default_is_refused(tmp_path):
    _expect_error(_lstm_with(activations=["Sigmoid", "Affine", "Tanh"], activation_beta=[0.5]), tmp_path,
                  "'Affine' needs an explicit activation_alpha", node="the_lstm", cls=UnsupportedError)


def test_width_mismatch(tmp_path):
    model = GLUE_MODELS["stacked_time_major"]()
    mm = next(n for n in model.graph.node if n.op_type == "MatMul")
    w = next(i for i in model.graph.initializer if i.name == mm.input[1])
    w.CopyFrom(numpy_helper.from_array(np.ones((7, 3), np.float32), w.name))
    _expect_error(model, tmp_path, "7 inputs", node=mm.name, cls=UnsupportedError)
    model = rnn_node_model("RNN", "forward", 0)
    model.graph.input[0].type.tensor_type.shape.dim[2].dim_value = 9
    _expect_error(model, tmp_path, "X has 9 features but W expects 4", node="the_rnn")


def test_nan_weights(tmp_path):
    model = rnn_node_model("GRU", "forward", 0)
    r = model.graph.initializer[1]
    arr = numpy_helper.to_array(r).copy()
    arr[0, 3, 2] = np.nan
    r.CopyFrom(numpy_helper.from_array(arr, r.name))
    _expect_error(model, tmp_path, "NaN or Inf", node="the_gru")


def test_state_and_lengths_as_graph_inputs(tmp_path):
    for idx, role in ((4, "sequence_lens"), (5, "initial_h")):
        model = rnn_node_model("GRU", "forward", 0)
        node = model.graph.node[0]
        while len(node.input) <= idx:
            node.input.append("")
        node.input[idx] = "state_in"
        elem = TensorProto.INT32 if idx == 4 else TensorProto.FLOAT
        model.graph.input.append(helper.make_tensor_value_info("state_in", elem, None))
        needle = f"{role} is a graph input" if idx == 4 else "state input 'state_in' must be 3-D"
        _expect_error(model, tmp_path, needle, cls=UnsupportedError)


def test_initial_state_differing_between_rows(tmp_path):
    model = rnn_node_model("LSTM", "forward", 0, init=True)
    h0 = next(i for i in model.graph.initializer if i.name == "H0")
    h0.CopyFrom(numpy_helper.from_array(np.arange(18, dtype=np.float32).reshape(1, 3, 6), "H0"))
    _expect_error(model, tmp_path, "differs between batch rows", node="the_lstm", cls=UnsupportedError)


def test_outputs_other_than_one_hidden_path(tmp_path):
    model = rnn_node_model("LSTM", "forward", 0)
    model.graph.node[0].output.extend(["Y_h", "Y_c"])
    model.graph.output[0].name = "Y_c"
    _expect_error(model, tmp_path, "Y_c", cls=UnsupportedError)
    # Y and the final states: a streaming model, compiled (the states are the caller's struct)
    model.graph.output.insert(0, helper.make_tensor_value_info("Y", TensorProto.FLOAT, None))
    path = tmp_path / "stream.onnx"
    onnx.save(model, path)
    assert [(t.name, t.io) for t in load_model(str(path)).state_io] == [("Y_c", "out")]
    # another output that is not recurrent state is refused by name
    model.graph.node.append(helper.make_node("Relu", ["Y"], ["Y_relu"], name="/relu"))
    model.graph.output.append(helper.make_tensor_value_info("Y_relu", TensorProto.FLOAT, None))
    _expect_error(model, tmp_path, "several outputs that are not recurrent state", cls=UnsupportedError)
    model = rnn_node_model("GRU", "bidirectional", 0, output="Y_h")   # Y and Y_h both used
    model.graph.node.append(helper.make_node("Concat", ["Y", "Y_h"], ["both"], axis=0, name="/cat"))
    model.graph.output[0].name = "both"
    _expect_error(model, tmp_path, "Concat", node="/cat", cls=UnsupportedError)


def test_one_direction_only_is_refused(tmp_path):
    b = Builder(0)
    y, _ = b.rnn("GRU", "x", 4, 5, "bidirectional")
    out = b.op("Gather", [y, b.const(1, np.int64)], axis=1)
    _expect_error(b.model(TensorProto.FLOAT, ["T", "B", 4], out), tmp_path, "only one direction",
                  cls=UnsupportedError)


@pytest.mark.parametrize("build,needle", [
    (lambda b: b.op("Softmax", [b.op("Transpose", ["x"], perm=[0, 2, 1])], axis=-1), "Softmax over axis"),
    (lambda b: b.op("Gather", ["x", b.const(2, np.int64)], axis=1), "time step 2 on its own"),
    (lambda b: b.op("Add", ["x", "x"]), "two sequences"),
    (lambda b: b.op("Sub", ["x", b.const(1.0)]), "Sub is not supported"),
    (lambda b: b.op("Transpose", ["x"], perm=[0, 2, 1]), "not (batch or time, ..., features)"),
])
def test_unmappable_glue_is_refused(tmp_path, build, needle):
    b = Builder(0)
    _expect_error(b.model(TensorProto.FLOAT, ["B", "T", 4], build(b)), tmp_path, needle, cls=UnsupportedError)


def test_bounded_work_on_absurd_constants(tmp_path):
    b = Builder(0)
    big = b.op("ConstantOfShape", [b.const([1 << 20, 1 << 20], np.int64)])
    out = b.op("Add", [b.op("MatMul", ["x", b.rand(4, 2)]), b.op("ReduceSum", [big])])
    _expect_error(b.model(TensorProto.FLOAT, ["B", "T", 4], out), tmp_path, "would create")
    b = Builder(0)
    loop = helper.make_node("Loop", [b.const(1 << 40, np.int64), ""], ["n"], name="/loop",
                            body=helper.make_graph([], "body", [], []))
    b.nodes.append(loop)
    out = b.op("Add", [b.op("MatMul", ["x", b.rand(4, 2)]), "n"])
    _expect_error(b.model(TensorProto.FLOAT, ["B", "T", 4], out), tmp_path, "Loop on constants", node="/loop")


def test_external_data_and_old_opsets(tmp_path):
    model = rnn_node_model("RNN", "forward", 0)
    w = model.graph.initializer[0]
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value="/etc/passwd")
    _expect_error(model, tmp_path, "outside the model's folder", cls=UnsupportedError)
    model = rnn_node_model("RNN", "forward", 0)
    model.opset_import[0].version = 5
    _expect_error(model, tmp_path, "opset 5", cls=UnsupportedError)


def test_front_door_errors(tmp_path):
    with pytest.raises(RnncError, match="not found"):
        load_model(str(tmp_path / "missing.onnx"))
    (tmp_path / "dir.onnx").mkdir()
    with pytest.raises(RnncError, match="folder"):
        load_model(str(tmp_path / "dir.onnx"))
    (tmp_path / "m.pb").write_bytes(b"x")
    with pytest.raises(RnncError, match="unknown model format '.pb'"):
        load_model(str(tmp_path / "m.pb"))


def _external_value(path: Path) -> onnx.TensorProto:
    """A one-element float tensor whose data lives in `path` (as the ONNX external-data format
    writes it): reading it must never happen."""
    t = numpy_helper.from_array(np.zeros(1, np.float32), "value")
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key="location", value=str(path))
    t.external_data.add(key="length", value="4")
    return t


@pytest.mark.parametrize("symbolic", [True, False])
def test_external_data_outside_the_models_folder_is_refused(tmp_path, symbolic, monkeypatch):
    """External data is read only from the model's own folder, through the one guarded reader
    (ConstantOfShape's `value` and the tensors handed to the constant folder included): an
    absolute path, '..' or a link leading out is refused, so a model cannot make rnnc read a
    file elsewhere and learn whether it exists or what it starts with."""
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.float32(7.0).tobytes())
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "link.bin").symlink_to(secret)
    monkeypatch.chdir(tmp_path)
    for location, needle in ((secret, "outside the model's folder"), (Path("../secret.bin"), "outside the model's folder"),
                             (Path("secret.bin"), "missing beside the model"), (Path("link.bin"), "leads out")):
        b = Builder(0)
        if symbolic:    # zeros shaped like the batch (folded on symbolic sizes)
            s = b.op("Shape", ["x"])
            shape = b.op("Concat", [b.op("Unsqueeze", [b.op("Gather", [s, b.const(0, np.int64)], axis=0),
                                                       b.const([0], np.int64)]), b.const([1, 2], np.int64)], axis=0)
        else:           # a constant shape (folded by onnx.reference)
            shape = b.const([1, 1, 2], np.int64)
        zeros = b.op("ConstantOfShape", [shape], value=_external_value(location))
        out = b.op("Add", [b.op("MatMul", ["x", b.rand(4, 2)]), zeros])
        _expect_error(b.model(TensorProto.FLOAT, ["B", "T", 4], out), tmp_path, needle, name="model/bad.onnx")
