"""Integer LSTM (int8 and int16x8) against the live tflite-micro interpreter on models rnnc
writes itself, plus quantizer refusals.

The TF converter makes only int8 LSTMs (tests/test_lstm_int_tflm.py checks those). Here each
rnnc LSTM is also written as a one-op UNIDIRECTIONAL_SEQUENCE_LSTM .tflite with exactly its
integer weights, biases and float32 scales; TFLM then derives its own multipliers in Prepare
and runs its own kernels (int8: 8x8->16; int16 activations: its 16x8 path). Generated C (ASan/
UBSan) == simulator == TFLM on every element, for:
- post-training quantized float LSTMs, both schemes, forward / reverse / bidirectional (TFLM
  has no reverse or bidirectional op: each direction is checked as a forward TFLM LSTM on the
  time-reversed sequence, the extension's definition), sizes up to H=256, T=50;
- hand-made integer parameters at the edges: cell clip, cell scales 2^-16..2^-9 (tanh input
  shift -4..3), large scale products (left-shifting requantization; int64 results truncated
  to int32 in 16x8), extreme zero points, and a scale pair where forming s_x*s_W in float32
  instead of double changes the output.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from codegen import ir
from codegen.api import compile_ir, run_compiled, verify_compiled
from codegen.calibrate import Stats
from codegen.emit.frame import emit_model
from codegen.errors import UnsupportedError
from codegen.ir import QuantParams
from codegen.qmodel import QModel
from codegen.quant.common import quantize_array
from codegen.quant.lstm_int import quantize_lstm_int
from codegen.quantize import QuantContext
from codegen.simulate import run_model
from codegen.toolchain.targets import load_target

from models import model, recurrent

GATES = "ifco"
SCHEME = {"int8": "int8", "int16": "int16x8"}
NP_ACT = {"int8": np.int8, "int16": np.int16}


def _runtime():
    try:
        importlib.import_module("tflite")
        importlib.import_module("flatbuffers")
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        pytest.skip("tflite-micro / tflite / flatbuffers not installed: live TFLM comparison skipped")
    return runtime


# ----------------------------------------------------------------- one-op .tflite writer

def _fb(name):
    return importlib.import_module(f"tflite.{name}")


def lstm_tflite(p: dict, T: int) -> bytes:
    """A batch-1 UNIDIRECTIONAL_SEQUENCE_LSTM model. p: act ('int8' | 'int16'), in_scale, in_zp,
    h_scale, h_zp, cell_scale, cell_clip, W (4, H, In) int8, ws (4,), R (4, H, H) int8, rs (4,),
    bias (4, H); gates in the order i, f, c, o."""
    import flatbuffers
    b = flatbuffers.Builder(1 << 16)
    act = 9 if p["act"] == "int8" else 7                      # TensorType INT8 / INT16
    bias_type, bias_np = (2, "<i4") if p["act"] == "int8" else (4, "<i8")
    H, In = p["W"].shape[1], p["W"].shape[2]
    buffers, tensors = [b""], []                               # buffer 0: no data

    def const(arr, ttype, scale):
        buffers.append(np.ascontiguousarray(arr).tobytes())
        tensors.append((arr.shape, ttype, len(buffers) - 1, scale, 0, False))
        return len(tensors) - 1

    tensors.append(((1, T, In), act, 0, p["in_scale"], p["in_zp"], False))
    w = [const(p["W"][k].astype(np.int8), 9, p["ws"][k]) for k in range(4)]
    r = [const(p["R"][k].astype(np.int8), 9, p["rs"][k]) for k in range(4)]
    bs = [const(np.asarray(p["bias"][k]).astype(bias_np), bias_type,
                float(np.float32(p["in_scale"]) * np.float32(p["ws"][k]))) for k in range(4)]
    tensors.append(((1, H), act, 0, p["h_scale"], p["h_zp"], True))
    tensors.append(((1, H), 7, 0, p["cell_scale"], 0, True))
    tensors.append(((1, T, H), act, 0, p["h_scale"], p["h_zp"], False))
    h_idx, c_idx, out_idx = len(tensors) - 3, len(tensors) - 2, len(tensors) - 1
    op_inputs = [0] + w + r + [-1] * 3 + bs + [-1, -1, h_idx, c_idx] + [-1] * 4

    def vec(start, values, prepend):
        start(b, len(values))
        for v in reversed(values):
            prepend(v)
        return b.EndVector()

    Buf, Ten, Q = _fb("Buffer"), _fb("Tensor"), _fb("QuantizationParameters")
    buf_offs = []
    for data in buffers:
        d = b.CreateByteVector(data) if data else None
        Buf.BufferStart(b)
        if d is not None:
            Buf.BufferAddData(b, d)
        buf_offs.append(Buf.BufferEnd(b))
    ten_offs = []
    for i, (shape, ttype, buf, scale, zp, variable) in enumerate(tensors):
        name = b.CreateString(f"t{i}")
        sh = vec(Ten.TensorStartShapeVector, [int(s) for s in shape], b.PrependInt32)
        sc = vec(Q.QuantizationParametersStartScaleVector, [float(np.float32(scale))], b.PrependFloat32)
        z = vec(Q.QuantizationParametersStartZeroPointVector, [int(zp)], b.PrependInt64)
        Q.QuantizationParametersStart(b)
        Q.QuantizationParametersAddScale(b, sc)
        Q.QuantizationParametersAddZeroPoint(b, z)
        q = Q.QuantizationParametersEnd(b)
        Ten.TensorStart(b)
        Ten.TensorAddShape(b, sh)
        Ten.TensorAddType(b, ttype)
        Ten.TensorAddBuffer(b, buf)
        Ten.TensorAddName(b, name)
        Ten.TensorAddQuantization(b, q)
        Ten.TensorAddIsVariable(b, variable)
        ten_offs.append(Ten.TensorEnd(b))
    Opt = _fb("UnidirectionalSequenceLSTMOptions")
    Opt.UnidirectionalSequenceLSTMOptionsStart(b)
    Opt.UnidirectionalSequenceLSTMOptionsAddFusedActivationFunction(b, 4)   # TANH
    Opt.UnidirectionalSequenceLSTMOptionsAddCellClip(b, float(p.get("cell_clip", 0.0)))
    Opt.UnidirectionalSequenceLSTMOptionsAddProjClip(b, 0.0)
    Opt.UnidirectionalSequenceLSTMOptionsAddTimeMajor(b, False)
    opts = Opt.UnidirectionalSequenceLSTMOptionsEnd(b)
    Op, SG, OC, M = _fb("Operator"), _fb("SubGraph"), _fb("OperatorCode"), _fb("Model")
    ins = vec(Op.OperatorStartInputsVector, op_inputs, b.PrependInt32)
    outs = vec(Op.OperatorStartOutputsVector, [out_idx], b.PrependInt32)
    Op.OperatorStart(b)
    Op.OperatorAddOpcodeIndex(b, 0)
    Op.OperatorAddInputs(b, ins)
    Op.OperatorAddOutputs(b, outs)
    Op.OperatorAddBuiltinOptionsType(b, 71)                  # UnidirectionalSequenceLSTMOptions
    Op.OperatorAddBuiltinOptions(b, opts)
    op = Op.OperatorEnd(b)
    tv = vec(SG.SubGraphStartTensorsVector, ten_offs, b.PrependUOffsetTRelative)
    iv = vec(SG.SubGraphStartInputsVector, [0], b.PrependInt32)
    ov = vec(SG.SubGraphStartOutputsVector, [out_idx], b.PrependInt32)
    opv = vec(SG.SubGraphStartOperatorsVector, [op], b.PrependUOffsetTRelative)
    SG.SubGraphStart(b)
    SG.SubGraphAddTensors(b, tv)
    SG.SubGraphAddInputs(b, iv)
    SG.SubGraphAddOutputs(b, ov)
    SG.SubGraphAddOperators(b, opv)
    sg = SG.SubGraphEnd(b)
    OC.OperatorCodeStart(b)
    OC.OperatorCodeAddDeprecatedBuiltinCode(b, 44)           # UNIDIRECTIONAL_SEQUENCE_LSTM
    OC.OperatorCodeAddBuiltinCode(b, 44)
    OC.OperatorCodeAddVersion(b, 1)
    oc = OC.OperatorCodeEnd(b)
    codes = vec(M.ModelStartOperatorCodesVector, [oc], b.PrependUOffsetTRelative)
    sgs = vec(M.ModelStartSubgraphsVector, [sg], b.PrependUOffsetTRelative)
    bufv = vec(M.ModelStartBuffersVector, buf_offs, b.PrependUOffsetTRelative)
    M.ModelStart(b)
    M.ModelAddVersion(b, 3)
    M.ModelAddOperatorCodes(b, codes)
    M.ModelAddSubgraphs(b, sgs)
    M.ModelAddBuffers(b, bufv)
    b.Finish(M.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def run_tflm(p: dict, x: np.ndarray) -> np.ndarray:
    """TFLM on every row of x (B, T, In), state reset per row."""
    interp = _runtime().Interpreter.from_bytes(lstm_tflite(p, x.shape[1]))
    out = []
    for row in x:
        interp.reset()
        interp.set_input(row[None], 0)
        interp.invoke()
        out.append(interp.get_output(0)[0].copy())
    return np.stack(out)


def tflm_reference(q, x: np.ndarray) -> np.ndarray:
    """TFLM's output for an rnnc LSTM QLayer: one forward TFLM LSTM per direction; the backward
    direction runs on the time-reversed sequence (full-length rows)."""
    outs = []
    for d in range(len(q.attrs["dirs"])):
        p = params_of(q, d)
        if q.attrs["direction"] == "reverse" or d == 1:
            outs.append(run_tflm(p, x[:, ::-1])[:, ::-1])
        else:
            outs.append(run_tflm(p, x))
    return np.concatenate(outs, axis=2)


def params_of(q, d: int) -> dict:
    """Direction d of a quantized LSTM as the writer's parameters (bias = effective bias +
    zp_in * rowsum(W))."""
    a = q.attrs["dirs"][d]
    W, R = q.arrays[f"w{d}"], q.arrays[f"r{d}"]
    bias = q.arrays[f"bx{d}"].astype(np.int64) + q.in_q.zero_point * W.astype(np.int64).sum(axis=2)
    clip = float(q.attrs.get("cell_clip_float", 0.0))
    return dict(act=q.attrs["act"], in_scale=q.in_q.scale, in_zp=q.in_q.zero_point,
                h_scale=q.out_q.scale, h_zp=q.out_q.zero_point, cell_scale=q.attrs["cell_scale"],
                cell_clip=clip, W=W, ws=a["w_scale"], R=R, rs=a["r_scale"], bias=bias)


# ----------------------------------------------------------------- hand-made integer layers

def qlayer_from_params(p: dict):
    """Quantize a layer whose integer parameters are given (the `fixed_quant` path)."""
    qd = p["act"]
    H, In = p["W"].shape[1], p["W"].shape[2]
    f32 = lambda v: float(np.float32(v))  # noqa: E731  (TFLite stores float32 scales)
    in_q = QuantParams(f32(p["in_scale"]), int(p["in_zp"]), qd)
    fixed = {"input": in_q, "output": QuantParams(f32(p["h_scale"]), int(p["h_zp"]), qd),
             "cell_scale": f32(p["cell_scale"]), "cell_clip": f32(p.get("cell_clip", 0.0)),
             "weights": {g: {"W": p["W"][k], "W_scale": f32(p["ws"][k]), "R": p["R"][k],
                             "R_scale": f32(p["rs"][k])} for k, g in enumerate(GATES)},
             "bias": {g: np.asarray(p["bias"][k]) for k, g in enumerate(GATES)}}
    gates = {g: ir.GateWeights((p["W"][k] * f32(p["ws"][k])).astype(np.float32),
                               (p["R"][k] * f32(p["rs"][k])).astype(np.float32),
                               np.zeros(H, np.float32), np.zeros(H, np.float32)) for k, g in enumerate(GATES)}
    layer = ir.RecurrentLayer("lstm0", "lstm", In, H, "forward", [ir.DirectionParams(gates)], fixed_quant=fixed)
    q = quantize_lstm_int(layer, QuantContext(SCHEME[qd], qd, in_q, Stats(), "fixed.tflite", 0))
    q.attrs["cell_clip_float"] = f32(p.get("cell_clip", 0.0))
    return q


def one_layer_qmodel(q, T: int) -> QModel:
    return QModel(name="m", source="fixed.tflite", sha256="0" * 64, scheme=q.scheme, target="host",
                  input_size=q.in_size, input_dtype=q.in_dtype, output_size=q.out_size,
                  output_dtype=q.out_dtype, layers=[q], input_q=q.in_q, output_q=q.out_q, max_steps=T)


def compile_qlayer(q, out: Path, T: int) -> Path:
    """Emit C for a one-layer QModel (the path compile_ir takes after quantization)."""
    qm = one_layer_qmodel(q, T)
    qm.save(out, emit_model(qm, load_target("host")))
    return out


def random_params(rng, act: str, H: int, In: int, *, ws=(0.002, 0.02), cell_power=-12, clip=0.0,
                  in_scale=0.02, in_zp=0, h_scale=0.01, h_zp=0, bias=20000) -> dict:
    return dict(act=act, in_scale=in_scale, in_zp=in_zp, h_scale=h_scale, h_zp=h_zp,
                cell_scale=2.0 ** cell_power, cell_clip=clip,
                W=rng.integers(-127, 128, (4, H, In)).astype(np.int8),
                R=rng.integers(-127, 128, (4, H, H)).astype(np.int8),
                ws=[float(np.float32(rng.uniform(*ws))) for _ in range(4)],
                rs=[float(np.float32(rng.uniform(*ws))) for _ in range(4)],
                bias=rng.integers(-bias, bias + 1, (4, H)).astype(np.int64))


def full_range(rng, act: str, shape) -> np.ndarray:
    info = np.iinfo(NP_ACT[act])
    x = rng.integers(info.min, info.max + 1, shape)
    x[: max(1, shape[0] // 3)] //= 64                        # and some small-amplitude rows
    return x.astype(NP_ACT[act])


def check_all_equal(out: Path, q, x: np.ndarray) -> int:
    """Generated C (sanitizers) == simulator == live TFLM on every element; returns the count."""
    want = tflm_reference(q, x)
    y_c = run_compiled(str(out), x)
    y_s = run_model(QModel.load(out), x)
    assert y_c.shape == want.shape == y_s.shape
    if not np.array_equal(y_c, y_s):
        pytest.fail(verify_compiled(str(out), x).summary())
    np.testing.assert_array_equal(y_s, want)
    return int(want.size)


# ----------------------------------------------------------------- PTQ models vs live TFLM

PTQ_CASES = [(s, d, 6, 24, 20) for s in ("int8", "int16x8") for d in ("forward", "reverse", "bidirectional")]
PTQ_CASES += [("int8", "forward", 16, 256, 50), ("int16x8", "bidirectional", 16, 256, 50)]


@pytest.mark.parametrize("scheme,direction,In,H,T", PTQ_CASES)
def test_ptq_lstm_equals_live_tflm(tmp_path, scheme, direction, In, H, T):
    _runtime()
    m = model([recurrent("lstm", In, H, direction, seed=H + In)], In)
    rng = np.random.default_rng(H)
    calib = rng.standard_normal((6, T, In)).astype(np.float32)
    qm = compile_ir(m, str(tmp_path / "out"), scheme=scheme, calib=calib)
    q = qm.layers[0]
    # SQNR of the dequantized output vs float on the calibration data: a sane quantization
    assert q.report["sqnr_db"] > (20 if scheme == "int8" else 30), q.report
    x = np.concatenate([full_range(rng, q.attrs["act"], (3, T, In)), quantize_array(calib[:3], q.in_q)])
    check_all_equal(tmp_path / "out", q, x)


# ----------------------------------------------------------------- edge parameters vs live TFLM

EDGE_CASES = {
    # name: (act, H, In, T, random_params keywords)
    "int8_cell_clip": ("int8", 24, 8, 20, dict(clip=0.75, cell_power=-12, bias=60000)),
    "int8_cell_scale_2^-16": ("int8", 16, 6, 16, dict(cell_power=-16)),
    "int8_cell_scale_2^-9": ("int8", 16, 6, 16, dict(cell_power=-9, bias=200000)),
    "int8_extreme_zero_points": ("int8", 20, 10, 12, dict(in_zp=-128, h_zp=127, h_scale=0.004)),
    "int8_left_shifts": ("int8", 16, 12, 12, dict(ws=(0.05, 0.3), in_scale=0.05, h_scale=0.05)),
    "int16_cell_clip": ("int16", 24, 8, 20, dict(clip=0.75, cell_power=-12, in_scale=1e-4, h_scale=1e-4,
                                                 bias=10 ** 7)),
    "int16_cell_scale_2^-16": ("int16", 16, 6, 16, dict(cell_power=-16, in_scale=1e-4, h_scale=1e-4)),
    "int16_cell_scale_2^-9": ("int16", 16, 6, 16, dict(cell_power=-9, in_scale=1e-4, h_scale=1e-4)),
    # s_x = 1 (raw int16 features): int64 requantization results beyond int32 are truncated
    "int16_int32_truncation": ("int16", 8, 40, 4, dict(ws=(0.01, 0.03), in_scale=1.0, h_scale=0.01)),
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_parameters_equal_live_tflm(tmp_path, name):
    _runtime()
    act, H, In, T, kw = EDGE_CASES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    p = random_params(rng, act, H, In, **kw)
    q = qlayer_from_params(p)
    x = full_range(rng, act, (6, T, In))
    if name == "int16_int32_truncation":
        # inputs aligned with weight rows drive accumulators to their extremes
        sign = np.sign(p["W"][:, :4].reshape(-1, In))
        info = np.iinfo(np.int16)
        x = np.repeat(np.where(sign >= 0, info.max, info.min)[:, None, :], T, axis=1).astype(np.int16)
        a = q.attrs["dirs"][0]
        acc = x[:, 0].astype(np.int64) @ p["W"][0].T.astype(np.int64)
        assert np.abs(acc).max() * a["in_mult"][0] / 2 ** (31 - a["in_shift"][0]) > 2 ** 31, \
            "the case must reach the int32 truncation"
    if "clip" in name:
        assert 0 < q.attrs["dirs"][0]["cell_clip"] < 32767
    if name == "int8_left_shifts":
        assert max(q.attrs["dirs"][0]["in_shift"]) > 0
    check_all_equal(compile_qlayer(q, tmp_path / "out", T), q, x)


def test_gate_multiplier_uses_the_double_product(tmp_path):
    """A scale pair where QM(s_x*s_W/2^-12) differs between a float32 and a double product and
    the output gate's sigmoid shows it: TFLM (the installed wheel) follows the double product."""
    _runtime()
    from codegen.fixedpoint import conv_multiplier_f32, quantize_multiplier
    s_in, ws, acc = 0.03435660898685455, 0.005455693695694208, -28351
    f32 = quantize_multiplier(conv_multiplier_f32(s_in, ws, 2.0 ** -12))
    f64 = quantize_multiplier(float(np.float32(s_in)) * float(np.float32(ws)) / 2.0 ** -12)
    assert f32 != f64
    H = 1
    bias = np.array([[10 ** 7], [10 ** 7], [10 ** 7], [acc]], np.int64)   # i, f, g high; o = sigmoid(acc)
    p = dict(act="int8", in_scale=s_in, in_zp=0, h_scale=2e-5, h_zp=-128, cell_scale=2.0 ** -12, cell_clip=0.0,
             W=np.zeros((4, H, 1), np.int8), R=np.zeros((4, H, H), np.int8), ws=[ws] * 4, rs=[ws] * 4, bias=bias)
    q = qlayer_from_params(p)
    assert q.attrs["dirs"][0]["in_mult"][3] == f64[0]
    x = np.zeros((1, 12, 1), np.int8)
    check_all_equal(compile_qlayer(q, tmp_path / "out", 12), q, x)
    # and the float32 product really gives a different output here
    q.attrs["dirs"][0]["in_mult"][3], q.attrs["dirs"][0]["in_shift"][3] = f32
    assert not np.array_equal(run_model(one_layer_qmodel(q, 12), x), run_tflm(p, x))


@settings(max_examples=10, deadline=None)
@given(H=st.integers(1, 300), In=st.integers(1, 64), T=st.integers(1, 8), act=st.sampled_from(["int8", "int16"]),
       cell_power=st.integers(-16, -10), seed=st.integers(0, 2 ** 16))
def test_property_simulator_equals_live_tflm(H, In, T, act, cell_power, seed):
    """Random integer LSTMs (sizes up to 300): simulator == TFLM on full-range inputs."""
    _runtime()
    rng = np.random.default_rng(seed)
    kw = dict(in_scale=0.02, h_scale=0.01) if act == "int8" else dict(in_scale=1e-4, h_scale=1e-4)
    p = random_params(rng, act, H, In, cell_power=cell_power,
                      in_zp=int(rng.integers(-128, 128)) if act == "int8" else 0,
                      h_zp=int(rng.integers(-128, 128)) if act == "int8" else 0, **kw)
    q = qlayer_from_params(p)
    x = full_range(rng, act, (3, T, In))
    np.testing.assert_array_equal(run_model(one_layer_qmodel(q, T), x), run_tflm(p, x))


# ----------------------------------------------------------------- refusals (no TFLM needed)

def test_refuses_int8_requantization_overflow():
    """Scale products so large that TFLM's int32 left shift can overflow (undefined there)."""
    rng = np.random.default_rng(0)
    p = random_params(rng, "int8", 8, 40, ws=(1.5, 2.0), in_scale=1.0, h_scale=0.01)
    with pytest.raises(UnsupportedError, match="overflow TFLM's int32 requantization"):
        qlayer_from_params(p)


def test_refuses_int16_zero_points():
    rng = np.random.default_rng(0)
    p = random_params(rng, "int16", 4, 3, in_scale=1e-4, h_scale=1e-4, h_zp=5)
    with pytest.raises(UnsupportedError, match="zero point 0"):
        qlayer_from_params(p)


@pytest.mark.parametrize("what", ["peepholes", "clip", "activations", "initial_state"])
def test_refuses_what_tflm_cannot_express(what):
    layer = recurrent("lstm", 3, 4, seed=0)
    if what == "peepholes":
        layer.dirs[0].peepholes = {g: np.ones(4, np.float32) for g in "iof"}
    elif what == "clip":
        layer.clip = 1.0
    elif what == "activations":
        layer.activations = (ir.ActivationSpec("hardsigmoid", 0.2, 0.5), ir.ActivationSpec("tanh"),
                             ir.ActivationSpec("tanh"))
    else:
        layer.dirs[0].initial_h = np.full(4, 0.5, np.float32)
    in_q = QuantParams(0.02, 0, "int8")
    with pytest.raises(UnsupportedError):
        quantize_lstm_int(layer, QuantContext("int8", "int8", in_q, Stats(), "m.onnx", 0))


def test_cmsis_nn_flavour_differs_only_where_a_term_saturates():
    """The 'cmsis-nn' switch of the simulator: identical to 'tflm' on a layer whose terms stay
    in range, different once the recurrent term saturates on its own."""
    rng = np.random.default_rng(3)
    p = random_params(rng, "int8", 12, 5)
    q = qlayer_from_params(p)
    x = full_range(rng, "int8", (4, 10, 5))
    qm = one_layer_qmodel(q, 10)
    base = run_model(qm, x)
    q.attrs["flavour"] = "cmsis-nn"
    np.testing.assert_array_equal(run_model(qm, x), base)
    # i, g, o saturated high make h move away from zp_h; the forget gate's input term sits at
    # -32768 while a huge recurrent weight scale pushes its recurrent term past int16: TFLM gives
    # sat16(-32768 + 32767) = -1, CMSIS-NN sat16(-32768 + big) = 32767 where big > 0
    bias = np.repeat(np.array([[10 ** 6], [-10 ** 6], [10 ** 6], [10 ** 6]], np.int64), 12, axis=1)
    p2 = dict(p, rs=[0.2] * 4, bias=bias, h_zp=-100)
    q2 = qlayer_from_params(p2)
    qm2 = one_layer_qmodel(q2, 10)
    tflm = run_model(qm2, x)
    q2.attrs["flavour"] = "cmsis-nn"
    assert not np.array_equal(run_model(qm2, x), tflm)
