"""TFLite frontend: converter-made fixtures vs their MANIFEST and an independent LiteRT read;
small hand-built models for every lowering path and every refusal; corrupt files."""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest

from codegen import ir
from codegen.errors import RnncError, UnsupportedError
from codegen.frontends.tflite_frontend import load_tflite

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tflite"
MANIFEST = json.loads((FIXTURES / "MANIFEST.json").read_text()) if (FIXTURES / "MANIFEST.json").exists() else {}
CASES = sorted(MANIFEST.get("cases", {}))
GATES = ("i", "f", "c", "o")
INT8, INT16, INT32, INT64, FLOAT32 = 9, 7, 2, 4, 0
QUANTIZE, DEQUANTIZE, FC, RESHAPE, LSTM, STRIDED_SLICE = 114, 6, 9, 22, 44, 45


# ---- a small flatbuffer builder for test models -------------------------------------------

class Graph:
    """Tensors and operators of one subgraph; build() makes the .tflite bytes."""

    def __init__(self):
        self.tensors: list[dict] = []
        self.ops: list[dict] = []
        self.inputs: list[int] = []
        self.outputs: list[int] = []

    def tensor(self, shape, type_, scale=None, zp=0, data=None, variable=False, qdim=0) -> int:
        self.tensors.append(dict(shape=list(shape), type=type_, scale=scale, zp=zp, data=data,
                                 variable=variable, qdim=qdim))
        return len(self.tensors) - 1

    def op(self, code, ins, outs, options=None, inter=()) -> dict:
        self.ops.append(dict(code=code, ins=list(ins), outs=list(outs), options=options, inter=list(inter)))
        return self.ops[-1]

    def build(self, identifier: bytes = b"TFL3") -> bytes:
        import flatbuffers
        b = flatbuffers.Builder(1024)
        buffers = [_table(b, "Buffer", {})]
        tensors = []
        for i, t in enumerate(self.tensors):
            buf = 0
            if t["data"] is not None:
                data = b.CreateByteVector(np.ascontiguousarray(t["data"]).tobytes())
                buffers.append(_table(b, "Buffer", {"Data": data}))
                buf = len(buffers) - 1
            tensors.append(_tensor(b, t, buf, f"t{i}"))
        codes = sorted({o["code"] for o in self.ops})
        ops = [_operator(b, o, codes.index(o["code"])) for o in self.ops]
        sg = _table(b, "SubGraph", {"Tensors": _offsets(b, "SubGraph", "Tensors", tensors),
                                    "Inputs": _ints(b, "SubGraph", "Inputs", self.inputs),
                                    "Outputs": _ints(b, "SubGraph", "Outputs", self.outputs),
                                    "Operators": _offsets(b, "SubGraph", "Operators", ops)})
        ocs = [_table(b, "OperatorCode", {"DeprecatedBuiltinCode": min(c, 127), "BuiltinCode": c,
                                          "Version": 1}) for c in codes]
        model = _table(b, "Model", {"Version": 3,
                                    "OperatorCodes": _offsets(b, "Model", "OperatorCodes", ocs),
                                    "Subgraphs": _offsets(b, "Model", "Subgraphs", [sg]),
                                    "Buffers": _offsets(b, "Model", "Buffers", buffers)})
        b.Finish(model, file_identifier=identifier)
        return bytes(b.Output())


def _mod(name):
    return importlib.import_module(f"tflite.{name}")


def _table(b, name, fields: dict):
    m = _mod(name)
    m.Start(b)
    for k, v in fields.items():
        getattr(m, "Add" + k)(b, v)
    return m.End(b)


def _ints(b, table, field, vals, prepend="PrependInt32"):
    getattr(_mod(table), f"Start{field}Vector")(b, len(vals))
    for v in reversed(vals):
        getattr(b, prepend)(v)
    return b.EndVector()


def _offsets(b, table, field, vals):
    return _ints(b, table, field, vals, "PrependUOffsetTRelative")


def _tensor(b, t, buf, name):
    fields = {"Shape": _ints(b, "Tensor", "Shape", t["shape"]), "Type": t["type"], "Buffer": buf,
              "Name": b.CreateString(name), "IsVariable": t["variable"]}
    if t["scale"] is not None:
        scales = [float(v) for v in np.atleast_1d(np.float32(t["scale"]))]
        zps = [int(v) for v in np.broadcast_to(np.atleast_1d(t["zp"]), (len(scales),))]
        fields["Quantization"] = _table(b, "QuantizationParameters", {
            "Scale": _ints(b, "QuantizationParameters", "Scale", scales, "PrependFloat32"),
            "ZeroPoint": _ints(b, "QuantizationParameters", "ZeroPoint", zps, "PrependInt64"),
            "QuantizedDimension": t["qdim"]})
    return _table(b, "Tensor", fields)


def _operator(b, o, code_index):
    fields = {"OpcodeIndex": code_index, "Inputs": _ints(b, "Operator", "Inputs", o["ins"]),
              "Outputs": _ints(b, "Operator", "Outputs", o["outs"])}
    if o.get("inter"):
        fields["Intermediates"] = _ints(b, "Operator", "Intermediates", o["inter"])
    if o["options"] is not None:
        union_type, name, opts = o["options"]
        fields["BuiltinOptionsType"] = union_type
        fields["BuiltinOptions"] = _table(b, name, opts)
    return _table(b, "Operator", fields)


def fc_options(act=0, keep=True, **extra):
    return (8, "FullyConnectedOptions", {"FusedActivationFunction": act, "KeepNumDims": keep, **extra})


def lstm_options(**kw):
    return (71, "UnidirectionalSequenceLSTMOptions",
            {"FusedActivationFunction": 4, "CellClip": 10.0, "ProjClip": 0.0, "TimeMajor": False, **kw})


# ---- model recipes --------------------------------------------------------------------------

S_X, ZP_X, S_H, ZP_H, S_C, S_Y, ZP_Y = 0.02, 3, 0.0078125, -5, 2.0 ** -11, 0.05, 7


def lstm_model(T=5, F=3, H=4, head=2, fc_act=0, quantize_io=False, reshape=False, seed=0):
    """[QUANTIZE] LSTM(H) [RESHAPE (1,T,H)->(T,H)] FC(head) [DEQUANTIZE]; g.truth holds what went in."""
    rng = np.random.default_rng(seed)
    g = Graph()
    x = g.tensor([1, T, F], INT8, S_X, ZP_X)
    g.inputs = [x]
    if quantize_io:
        g.inputs = [g.tensor([1, T, F], FLOAT32)]
        g.op(QUANTIZE, g.inputs, [x])
    truth = {"W": {}, "R": {}, "b": {}, "ws": {}, "rs": {}}
    lstm_ins = [x] + [-1] * 23
    for k, gate in enumerate(GATES):
        W = rng.integers(-127, 128, (H, F), dtype=np.int8)
        R = rng.integers(-127, 128, (H, H), dtype=np.int8)
        bias = rng.integers(-3000, 3000, H).astype(np.int32)
        ws, rs = 0.01 * (k + 1), 0.004 * (k + 1)
        lstm_ins[1 + k] = g.tensor([H, F], INT8, ws, 0, W)
        lstm_ins[5 + k] = g.tensor([H, H], INT8, rs, 0, R)
        lstm_ins[12 + k] = g.tensor([H], INT32, np.float32(S_X) * np.float32(ws), 0, bias)
        for key, v in (("W", W), ("R", R), ("b", bias), ("ws", ws), ("rs", rs)):
            truth[key][gate] = v
    lstm_ins[18] = g.tensor([1, H], INT8, S_H, ZP_H, variable=True)
    lstm_ins[19] = g.tensor([1, H], INT16, S_C, 0, variable=True)
    h = g.tensor([1, T, H], INT8, S_H, ZP_H)
    # the 5 intermediates the converter adds (LiteRT requires them; TFLM and rnnc ignore them)
    inter = [g.tensor([0], FLOAT32) for _ in range(4)] + [g.tensor([0], INT8, S_H, ZP_H)]
    g.lstm_op = g.op(LSTM, lstm_ins, [h], lstm_options(), inter)
    cur, rows = h, [1, T]
    if reshape:
        cur, rows = g.tensor([T, H], INT8, S_H, ZP_H), [T]
        g.op(RESHAPE, [h, g.tensor([2], INT32, data=np.array([T, H], np.int32))], [cur])
    if head:
        Wd = rng.integers(-127, 128, (head, H), dtype=np.int8)
        wds = np.linspace(0.01, 0.02, head).astype(np.float32)
        bd = rng.integers(-500, 500, head).astype(np.int32)
        wt = g.tensor([head, H], INT8, wds, [0] * head, Wd)
        bt = g.tensor([head], INT32, np.float32(S_H) * wds, [0] * head, bd)
        y = g.tensor(rows + [head], INT8, S_Y, ZP_Y)
        g.op(FC, [cur, wt, bt], [y], fc_options(fc_act, keep=not reshape))
        truth.update(Wd=Wd, wds=wds, bd=bd)
        cur = y
    g.outputs = [cur]
    if quantize_io:
        g.outputs = [g.tensor(g.tensors[cur]["shape"], FLOAT32)]
        g.op(DEQUANTIZE, [cur], g.outputs)
    g.truth = truth
    return g


def fc_model(T=4, F=6, out=3, act=0, act_type=INT8, bias_type=INT32, w_scale=0.01):
    """(T, F) -> FULLY_CONNECTED -> (T, out), per-tensor weights."""
    g = Graph()
    zp = 0 if act_type == INT16 else -2
    x = g.tensor([T, F], act_type, 0.03, zp)
    W = np.arange(out * F).reshape(out, F).astype(np.int8) - 7
    bdt = np.int32 if bias_type == INT32 else np.int64
    wt = g.tensor([out, F], INT8, w_scale, 0, W)
    bt = g.tensor([out], bias_type, np.float32(0.03) * np.float32(w_scale), 0, np.arange(out).astype(bdt) * 10)
    y = g.tensor([T, out], act_type, 0.1, zp)
    g.op(FC, [x, wt, bt], [y], fc_options(act, keep=False))
    g.inputs, g.outputs = [x], [y]
    return g


def write(tmp_path, g_or_bytes, name="m.tflite") -> str:
    p = tmp_path / name
    p.write_bytes(g_or_bytes if isinstance(g_or_bytes, bytes) else g_or_bytes.build())
    return str(p)


def refused(path: str, exc=RnncError) -> RnncError:
    with pytest.raises(exc) as info:
        load_tflite(path)
    assert path in str(info.value)
    return info.value


# ---- converter-made fixtures ----------------------------------------------------------------

needs_fixtures = pytest.mark.skipif(not CASES, reason="tests/fixtures/tflite/MANIFEST.json missing")


def _mq(d: dict) -> ir.QuantParams:
    """QuantParams of a MANIFEST tensor entry."""
    return ir.QuantParams(pytest.approx(d["scale"], rel=1e-7), d["zero_point"], d["dtype"])


@needs_fixtures
@pytest.mark.parametrize("stem", CASES)
def test_fixture_matches_manifest(stem):
    case = MANIFEST["cases"][stem]
    m = load_tflite(str(FIXTURES / f"{stem}.tflite"))
    kinds = [{"UNIDIRECTIONAL_SEQUENCE_LSTM": "lstm", "FULLY_CONNECTED": "dense"}[o]
             for o in case["ops"] if o not in ("QUANTIZE", "DEQUANTIZE", "RESHAPE")]
    assert [l.kind for l in m.layers if l.kind != "activation"] == kinds
    assert (m.time_steps, m.input_size) == (case["T"], case["F"])
    hidden = case.get("H", case.get("hidden"))
    assert [l.hidden_size for l in m.layers if l.kind == "lstm"] == hidden
    assert m.output_size == (case["head"] or hidden[-1])
    in_q = case.get("input_quant") or [case["input_scale"], case["input_zero_point"]]
    out_q = case.get("output_quant") or [case["output_scale"], case["output_zero_point"]]
    for q, (scale, zp) in ((m.fixed_input_quant, in_q), (m.fixed_output_quant, out_q)):
        assert (q.scale, q.zero_point, q.dtype) == (pytest.approx(scale, rel=1e-7), zp, "int8")
    assert [l.name for l in m.layers] == [f"{l.kind if l.kind != 'activation' else 'relu'}{i}"
                                          for i, l in enumerate(m.layers)]
    for layer, entry in zip([l for l in m.layers if l.kind == "lstm"], case.get("lstm", [])):
        _check_lstm_vs_manifest(layer, entry)
    for layer, entry in zip([l for l in m.layers if l.kind == "dense"], case.get("fully_connected", [])):
        _check_fc_vs_manifest(layer, entry)


GATE_WORDS = {"i": "input", "f": "forget", "c": "cell", "o": "output"}


def _check_lstm_vs_manifest(layer, e):
    fq, ins = layer.fixed_quant, e["inputs"]
    assert (fq["cell_clip"], fq["proj_clip"], fq["time_major"]) == (e["cell_clip"], e["proj_clip"], e["time_major"])
    assert fq["activation"] == e["fused_activation"].lower()
    assert fq["input"] == _mq(ins["input"]) and fq["output"] == _mq(ins["output_state"]) == _mq(e["output"])
    assert (fq["cell_scale"], ins["cell_state"]["dtype"]) == (pytest.approx(ins["cell_state"]["scale"], rel=1e-7), "int16")
    for g, word in GATE_WORDS.items():
        w = fq["weights"][g]
        for key, name in (("W", f"input_to_{word}_weights"), ("R", f"recurrent_to_{word}_weights")):
            d = ins[name]
            assert (d["quant"], d["zero_point"], d["dtype"]) == ("per-tensor", 0, "int8")
            assert (list(w[key].shape), w[f"{key}_scale"]) == (d["shape"], pytest.approx(d["scale"], rel=1e-7))
        d = ins[f"{word}_gate_bias"]
        assert (fq["bias"][g].dtype.name, list(fq["bias"][g].shape)) == (d["dtype"], d["shape"])
        assert fq["bias_scale"][g] == pytest.approx(d["scale"], rel=1e-7)


def _check_fc_vs_manifest(layer, e):
    fq = layer.fixed_quant
    assert fq["input"] == _mq(e["input"]) and fq["output"] == _mq(e["output"])
    assert fq["activation"] == e["fused_activation"].lower()
    w = e["weights"]
    assert list(fq["weight"].shape) == w["shape"] and np.all(np.asarray(w["zero_point"]) == 0)
    assert np.ndim(fq["weight_scale"]) == (w["quant"] == "per-channel")
    np.testing.assert_allclose(fq["weight_scale"], w["scale"], rtol=1e-7)
    if e["bias"] is None:
        assert fq["bias"] is None
    else:
        assert (fq["bias"].dtype.name, list(fq["bias"].shape)) == (e["bias"]["dtype"], e["bias"]["shape"])


def _litert(path):
    interp_mod = pytest.importorskip("ai_edge_litert.interpreter")
    it = interp_mod.Interpreter(model_path=str(path), experimental_op_resolver_type=
                                interp_mod.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    it.allocate_tensors()
    return it


def _q(details, i) -> ir.QuantParams:
    d = details[i]
    qp = d["quantization_parameters"]
    assert qp["scales"].size == 1
    return ir.QuantParams(float(qp["scales"][0]), int(qp["zero_points"][0]), np.dtype(d["dtype"]).name)


@needs_fixtures
@pytest.mark.parametrize("stem", CASES)
def test_fixture_matches_litert(stem):
    """Every quantization parameter and integer weight as LiteRT reads the same file."""
    path = FIXTURES / f"{stem}.tflite"
    m, it = load_tflite(str(path)), _litert(path)
    det = {d["index"]: d for d in it.get_tensor_details()}
    ops = [o for o in it._get_ops_details() if o["op_name"] in ("UNIDIRECTIONAL_SEQUENCE_LSTM", "FULLY_CONNECTED")]
    layers = [l for l in m.layers if l.kind != "activation"]
    assert len(ops) == len(layers)
    assert m.fixed_input_quant == _q(det, it.get_input_details()[0]["index"])
    assert m.fixed_output_quant == _q(det, it.get_output_details()[0]["index"])
    for op, layer in zip(ops, layers):
        ins, fq = [int(v) for v in op["inputs"]], layer.fixed_quant
        assert fq["input"] == _q(det, ins[0]) and fq["output"] == _q(det, int(op["outputs"][0]))
        if layer.kind == "lstm":
            _check_lstm_vs_litert(layer, ins, det, it)
        else:
            _check_fc_vs_litert(layer, ins, det, it)


def _check_lstm_vs_litert(layer, ins, det, it):
    fq = layer.fixed_quant
    assert fq["output"] == _q(det, ins[18])
    assert fq["cell_scale"] == _q(det, ins[19]).scale and _q(det, ins[19]).dtype == "int16"
    assert fq["activation"] == "tanh" and fq["time_major"] is False and fq["proj_clip"] == 0.0
    for k, g in enumerate(GATES):
        w = fq["weights"][g]
        for key, idx in (("W", ins[1 + k]), ("R", ins[5 + k])):
            np.testing.assert_array_equal(w[key], it.get_tensor(idx))
            assert w[key].dtype == np.int8 and w[f"{key}_scale"] == _q(det, idx).scale
        np.testing.assert_array_equal(fq["bias"][g], it.get_tensor(ins[12 + k]))
        assert fq["bias"][g].dtype == np.int32 and fq["bias_scale"][g] == _q(det, ins[12 + k]).scale
        gw = layer.dirs[0].gates[g]
        np.testing.assert_array_equal(gw.W, w["W"].astype(np.float32) * np.float32(w["W_scale"]))
        np.testing.assert_array_equal(gw.R, w["R"].astype(np.float32) * np.float32(w["R_scale"]))
        np.testing.assert_allclose(gw.Wb, fq["bias"][g] * fq["input"].scale * w["W_scale"], rtol=1e-6)


def _check_fc_vs_litert(layer, ins, det, it):
    fq = layer.fixed_quant
    np.testing.assert_array_equal(fq["weight"], it.get_tensor(ins[1]))
    scales = det[ins[1]]["quantization_parameters"]["scales"]
    np.testing.assert_array_equal(np.atleast_1d(fq["weight_scale"]), scales.astype(np.float64))
    if ins[2] < 0:
        assert fq["bias"] is None and not np.any(layer.bias)
    else:
        np.testing.assert_array_equal(fq["bias"], it.get_tensor(ins[2]))
    expect = fq["weight"].astype(np.float32) * np.atleast_1d(fq["weight_scale"]).astype(np.float32)[:, None]
    np.testing.assert_array_equal(layer.weight, expect)


# ---- hand-built models ----------------------------------------------------------------------

def test_built_lstm_fc_is_lowered_exactly(tmp_path):
    g = lstm_model(fc_act=1)
    m = load_tflite(write(tmp_path, g))
    t = g.truth
    assert [l.name for l in m.layers] == ["lstm0", "dense1", "relu2"]
    assert (m.time_steps, m.input_size, m.output_size) == (5, 3, 2)
    assert m.fixed_input_quant == ir.QuantParams(float(np.float32(S_X)), ZP_X, "int8")
    assert m.fixed_output_quant == ir.QuantParams(float(np.float32(S_Y)), ZP_Y, "int8")
    lstm, dense, relu = m.layers
    fq = lstm.fixed_quant
    assert set(fq) == {"input", "output", "cell_scale", "cell_clip", "proj_clip", "weights", "bias",
                       "bias_scale", "activation", "time_major"}
    assert fq["output"] == ir.QuantParams(float(np.float32(S_H)), ZP_H, "int8")
    assert (fq["cell_scale"], fq["cell_clip"], fq["proj_clip"]) == (S_C, 10.0, 0.0)
    assert (lstm.kind, lstm.direction, lstm.hidden_size) == ("lstm", "forward", 4)
    assert [a.name for a in lstm.activations_for(0)] == ["sigmoid", "tanh", "tanh"]
    for gate in GATES:
        w = fq["weights"][gate]
        np.testing.assert_array_equal(w["W"], t["W"][gate])
        np.testing.assert_array_equal(w["R"], t["R"][gate])
        np.testing.assert_array_equal(fq["bias"][gate], t["b"][gate])
        assert (w["W_scale"], w["R_scale"]) == (float(np.float32(t["ws"][gate])), float(np.float32(t["rs"][gate])))
        assert fq["bias_scale"][gate] == float(np.float32(S_X) * np.float32(t["ws"][gate]))
        np.testing.assert_allclose(lstm.dirs[0].gates[gate].W, t["W"][gate] * t["ws"][gate], rtol=1e-6)
    dq = dense.fixed_quant
    np.testing.assert_array_equal(dq["weight"], t["Wd"])
    np.testing.assert_array_equal(dq["weight_scale"], t["wds"].astype(np.float64))
    np.testing.assert_array_equal(dq["bias"], t["bd"])
    assert dq["activation"] == "relu" and dq["input"] == fq["output"]
    assert (relu.function, relu.size, relu.fixed_quant["fused"]) == ("relu", 2, True)


def test_built_model_is_valid_for_litert(tmp_path):
    """The builder makes real models: LiteRT runs them (so the refusals below are of valid files)."""
    it = _litert(write(tmp_path, lstm_model(quantize_io=True, reshape=True)))
    it.set_tensor(it.get_input_details()[0]["index"], np.zeros((1, 5, 3), np.float32))
    it.invoke()
    assert it.get_tensor(it.get_output_details()[0]["index"]).shape == (5, 2)


def test_quantize_dequantize_boundary_and_reshape_glue(tmp_path):
    m = load_tflite(write(tmp_path, lstm_model(quantize_io=True, reshape=True)))
    assert m.fixed_input_quant == ir.QuantParams(float(np.float32(S_X)), ZP_X, "int8")
    assert m.fixed_output_quant == ir.QuantParams(float(np.float32(S_Y)), ZP_Y, "int8")
    assert m.metadata["input_dtype"] == m.metadata["output_dtype"] == "float32"
    assert [l.kind for l in m.layers] == ["lstm", "dense"]


def test_fc_only_per_tensor_and_int16(tmp_path):
    m = load_tflite(write(tmp_path, fc_model()))
    d = m.layers[0]
    assert (m.time_steps, d.name, d.fixed_quant["weight_scale"]) == (4, "dense0", float(np.float32(0.01)))
    np.testing.assert_allclose(d.bias, np.arange(3) * 10 * 0.03 * 0.01, rtol=1e-6)
    m16 = load_tflite(write(tmp_path, fc_model(act_type=INT16, bias_type=INT64)))
    fq = m16.layers[0].fixed_quant
    assert fq["input"].dtype == "int16" and fq["bias"].dtype == np.int64


def test_quantized_model_compiles_through_int8_quantizer(tmp_path):
    """The fixed_quant format is what the integer quantizers consume."""
    from codegen.quantize import quantize_model
    m = load_tflite(write(tmp_path, lstm_model(fc_act=1)))
    qm = quantize_model(m, "int8")
    assert [q.kind for q in qm.layers] == ["lstm", "dense", "activation"]
    assert quantize_model(m, "float").scheme == "float"


def _lstm_with(change):
    g = lstm_model()
    change(g)
    return g


def _insert_op(g, code, new_shape=None):
    """Put an op between the LSTM output and the FC."""
    fc = g.ops[-1]
    h = fc["ins"][0]
    mid = g.tensor(new_shape or g.tensors[h]["shape"], INT8, S_H, ZP_H)
    g.ops.insert(1, dict(code=code, ins=[h], outs=[mid], options=None))
    fc["ins"][0] = mid


REFUSALS = {
    "cifg": (lambda g: g.lstm_op["ins"].__setitem__(1, -1), "operator 0 (UNIDIRECTIONAL_SEQUENCE_LSTM)", "CIFG"),
    "peephole": (lambda g: g.lstm_op["ins"].__setitem__(9, g.tensor([4], INT16, 1.0, 0, np.zeros(4, np.int16))),
                 "UNIDIRECTIONAL_SEQUENCE_LSTM", "peephole"),
    "projection": (lambda g: g.lstm_op["ins"].__setitem__(16, g.lstm_op["ins"][5]), "LSTM", "projection"),
    "layer_norm": (lambda g: g.lstm_op["ins"].__setitem__(20, g.lstm_op["ins"][12]), "LSTM", "layer normalization"),
    "per_channel": (lambda g: g.tensors[g.lstm_op["ins"][2]].update(scale=[0.01] * 4, zp=[0] * 4),
                    "LSTM", "per-channel LSTM weights"),
    "time_major": (lambda g: g.lstm_op.update(options=lstm_options(TimeMajor=True)), "LSTM", "time_major"),
    "relu_activation": (lambda g: g.lstm_op.update(options=lstm_options(FusedActivationFunction=1)),
                        "LSTM", "fused activation 'relu'"),
    "state_quant": (lambda g: g.tensors[g.lstm_op["ins"][18]].update(zp=0), "LSTM", "quantized differently"),
    "float_lstm": (lambda g: g.tensors[0].update(type=FLOAT32, scale=None), "LSTM", "full-integer"),
    "relu6": (lambda g: g.ops[-1].update(options=fc_options(3)), "operator 1 (FULLY_CONNECTED)", "'relu6'"),
    "strided_slice": (lambda g: _insert_op(g, STRIDED_SLICE), "operator 1 (STRIDED_SLICE)", "not supported"),
    "reshape_features": (lambda g: _insert_op(g, RESHAPE, [20, 1]), "operator 1 (RESHAPE)", "batch and time"),
    "branch": (lambda g: g.ops[-1]["ins"].__setitem__(0, 0), "operator 1 (FULLY_CONNECTED)", "chain"),
    "two_outputs": (lambda g: g.outputs.append(0), "", "one input and one output"),
    "batch_2": (lambda g: g.tensors[0].update(shape=[2, 5, 3]), "", "(1, T, features)"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals_name_the_operator_and_reason(case, tmp_path):
    change, where, reason = REFUSALS[case]
    e = refused(write(tmp_path, _lstm_with(change)))
    assert where in str(e) and reason in str(e) and isinstance(e, UnsupportedError), str(e)


@pytest.mark.parametrize("what", ["truncated", "identifier", "empty", "garbage", "missing", "huge_vector"])
def test_corrupt_files_give_rnnc_error_with_the_file_name(what, tmp_path):
    data = lstm_model().build()
    if what == "truncated":
        data = data[:len(data) // 2]
    elif what == "identifier":
        data = data[:4] + b"TFL2" + data[8:]
    elif what == "empty":
        data = b""
    elif what == "garbage":
        data = bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8))
    elif what == "huge_vector":   # every 16 (the length of R's and the biases' data) -> 2^31-1
        data = data.replace(np.int32(16).tobytes(), np.int32(2 ** 31 - 1).tobytes())
    path = str(tmp_path / "missing.tflite") if what == "missing" else write(tmp_path, data)
    e = refused(path)
    if what == "identifier":
        assert "TFL3" in str(e)


def test_converter_fixture_with_unsupported_op_spliced_in(tmp_path):
    """A real converter file whose FULLY_CONNECTED code is renamed STRIDED_SLICE."""
    if "lstm_t20_f10_h64_dense" not in CASES:
        pytest.skip("fixture missing")
    import tflite
    data = bytearray((FIXTURES / "lstm_t20_f10_h64_dense.tflite").read_bytes())
    model = tflite.Model.GetRootAsModel(data, 0)
    for k in range(model.OperatorCodesLength()):
        tab = model.OperatorCodes(k)._tab
        if model.OperatorCodes(k).BuiltinCode() == FC:
            pos = tab.Pos + tab.Offset(10)          # builtin_code
            data[pos:pos + 4] = np.int32(STRIDED_SLICE).tobytes()
            data[tab.Pos + tab.Offset(4)] = STRIDED_SLICE   # deprecated_builtin_code
    e = refused(write(tmp_path, bytes(data)), UnsupportedError)
    assert "operator 1 (STRIDED_SLICE): not supported" in str(e)


def test_keras3_while_loop_is_refused_with_the_way_out(tmp_path):
    """The converter writes a Keras 3 LSTM as a WHILE loop: refused by name, saying how to get
    the fused UNIDIRECTIONAL_SEQUENCE_LSTM."""
    import tflite
    from tflite_builder import _fb, _tflite_one_op
    t = {"shape": [1, 4, 3], "type": 9, "scale": 0.1, "zero_point": 0}

    def options(b):
        W = _fb("WhileOptions")
        W.WhileOptionsStart(b)
        W.WhileOptionsAddCondSubgraphIndex(b, 1)
        W.WhileOptionsAddBodySubgraphIndex(b, 2)
        return W.WhileOptionsEnd(b)
    data = _tflite_one_op(tflite.BuiltinOperator.WHILE, [t, dict(t)], [0], [1],
                          tflite.BuiltinOptions.WhileOptions, options)
    path = tmp_path / "keras3.tflite"
    path.write_bytes(data)
    with pytest.raises(UnsupportedError, match="WHILE loop.*Keras 3.*TF_USE_LEGACY_KERAS=1"):
        load_tflite(str(path))
