"""`rnnc export-tflite`: compiled int8 / int16x8 models written as .tflite files, run by the live
TFLite Micro interpreter (one sequence per Invoke, reset between them) and compared with rnnc's
simulator (and, for some, the generated C) on every element.

The interpreter is the independent reference: it derives its own multipliers from the float32
scales in the file and runs its own kernels; nothing here compares rnnc with itself.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codegen import ir
from codegen.api import compile_ir, compile_model, run_compiled
from codegen.cli import main
from codegen.errors import RnncError, UnsupportedError
from codegen.fixedpoint import dequantize_f32, quantize_f32
from codegen.qmodel import QModel
from codegen.simulate import run_model
from codegen.tflite_export import export_qmodel, export_tflite
from codegen.tflite_export.writer import Quant, TfliteWriter

from models import dense, model, recurrent

FIXTURES = Path(__file__).parent / "fixtures" / "tflite"
NP = {"int8": np.int8, "int16": np.int16}


def _runtime():
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        pytest.skip("tflite-micro is NOT installed: the exported files cannot be run in TFLM")
    return runtime


def tflm_sequences(data: bytes, x: np.ndarray) -> np.ndarray:
    """Each row of x as an independent sequence (reset first) in a TFLM interpreter."""
    interp = _runtime().Interpreter.from_bytes(data)
    out = []
    for row in x:
        interp.reset()
        interp.set_input(row[None], 0)
        interp.invoke()
        out.append(interp.get_output(0)[0].copy())
    return np.stack(out)


def full_range(qm: QModel, n: int, T: int, seed: int = 0) -> np.ndarray:
    dt = NP[qm.layers[0].in_dtype]
    info = np.iinfo(dt)
    return np.random.default_rng(seed).integers(info.min, info.max + 1, (n, T, qm.input_size)).astype(dt)


def _calib(In, seed=3):
    return np.random.default_rng(seed).standard_normal((6, 12, In)).astype(np.float32) * 1.5


def _relu(name, size):
    return ir.ActivationLayer(name, "relu", size)


def _relu_rnn(In, H):
    layer = recurrent("rnn", In, H, seed=6)
    layer.activations = (ir.ActivationSpec("relu"),)
    return layer


#: name -> (layers, input size, scheme, layer schemes)
CASES = {
    "lstm_dense_int8": (lambda: [recurrent("lstm", 5, 16), dense(16, 4)], 5, "int8", None),
    "lstm_dense_int16x8": (lambda: [recurrent("lstm", 5, 16), dense(16, 4)], 5, "int16x8", None),
    "two_lstm_int8": (lambda: [recurrent("lstm", 6, 12, seed=1), recurrent("lstm", 12, 20, seed=2, name="lstm1")],
                      6, "int8", None),
    "classifier_last_step": (lambda: [recurrent("lstm", 4, 24), ir.LastStepLayer("last", 24), dense(24, 8),
                                      _relu("relu", 8), dense(8, 3, seed=5, name="out")], 4, "int8", None),
    "reverse_int8": (lambda: [recurrent("lstm", 5, 10, direction="reverse"), dense(10, 3)], 5, "int8", None),
    "bidirectional_int16x8": (lambda: [recurrent("lstm", 5, 10, direction="bidirectional"), dense(20, 3)], 5,
                              "int16x8", None),
    "mixed_int8_int16x8": (lambda: [recurrent("lstm", 5, 12), recurrent("lstm", 12, 8, seed=4, name="lstm1"),
                                    dense(8, 3)], 5, "int8", {"lstm1": "int16x8"}),
    "gru_int16x8": (lambda: [recurrent("gru", 5, 12), dense(12, 3)], 5, "int16x8", None),
    "gru_lbr_bidirectional_int16x8": (lambda: [recurrent("gru", 5, 6, direction="bidirectional", lbr=True, seed=2),
                                               dense(12, 3)], 5, "int16x8", None),
    "rnn_reverse_int16x8": (lambda: [recurrent("rnn", 5, 10, direction="reverse", seed=3)], 5, "int16x8", None),
    "rnn_relu_int16x8": (lambda: [_relu_rnn(5, 9), dense(9, 2)], 5, "int16x8", None),
    "lstm_gru_mixed": (lambda: [recurrent("lstm", 5, 8), recurrent("gru", 8, 8, seed=5, name="gru1"), dense(8, 2)], 5,
                       "int8", {"gru1": "int16x8"}),
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    out = {}
    for name, (layers, In, scheme, per_layer) in CASES.items():
        qm = compile_ir(model(layers(), In, name=name), str(root / name), scheme=scheme, calib=_calib(In),
                        layer_schemes=per_layer)
        out[name] = (root / name, qm)
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_exported_model_in_tflm_equals_simulator(name, compiled):
    out, qm = compiled[name]
    T = 9
    data = export_qmodel(QModel.load(out), T)
    x = full_range(qm, 4, T)
    want = run_model(qm, x)
    got = tflm_sequences(data, x)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["gru_int16x8", "gru_lbr_bidirectional_int16x8", "rnn_relu_int16x8",
                                  "lstm_gru_mixed"])
def test_carry_state_file_returns_the_final_state(name, compiled):
    """The NPU glue's form of an unrolled GRU/RNN: h read from a variable tensor (0 after reset,
    so the outputs are unchanged) and the last step's h as an extra graph output, which TFLM
    computes equal to the simulator's final state."""
    out, qm = compiled[name]
    check_carry_state(QModel.load(out), full_range(qm, 3, 6, seed=4))


def check_carry_state(qm: QModel, x: np.ndarray) -> None:
    """The NPU form of the export (time reversed by slices, GRU/RNN state through a variable
    tensor and extra outputs) in TFLM: the output and every final GRU/RNN h as the simulator's."""
    from codegen.state import reset_states
    interp = _runtime().Interpreter.from_bytes(export_qmodel(qm, x.shape[1], reverse_by_slices=True,
                                                             carry_state=True))
    causal = [i for i, q in enumerate(qm.layers) if q.kind in ("gru", "rnn") and q.attrs["direction"] == "forward"]
    for row in x:
        states = reset_states(qm, 1)
        want = run_model(qm, row[None], states=states)
        interp.reset()
        interp.set_input(row[None], 0)
        interp.invoke()
        np.testing.assert_array_equal(interp.get_output(0), want)
        extra = [i for i in causal if not (i == len(qm.layers) - 1 and x.shape[1] == 1)]  # else output 0 is h
        for k, i in enumerate(extra):
            np.testing.assert_array_equal(interp.get_output(1 + k).reshape(-1), states[i]["h"].reshape(-1))


@pytest.mark.parametrize("name", ["lstm_dense_int16x8", "classifier_last_step"])
def test_exported_model_in_tflm_equals_generated_c(name, compiled, tmp_path):
    out, qm = compiled[name]
    path = tmp_path / "m.tflite"
    assert export_tflite(str(out), str(path), 7) == path.stat().st_size
    x = full_range(qm, 3, 7, seed=5)
    np.testing.assert_array_equal(tflm_sequences(path.read_bytes(), x), run_compiled(str(out), x))


def test_streaming_file_carries_state_between_invokes(compiled):
    """steps=1: each Invoke is one time step; TFLM keeps the LSTM state in the variable tensors,
    so T invokes without reset give the T-step sequence."""
    out, qm = compiled["two_lstm_int8"]
    data = export_qmodel(QModel.load(out), 1)
    x = full_range(qm, 1, 8, seed=2)
    interp = _runtime().Interpreter.from_bytes(data)
    interp.reset()
    got = []
    for t in range(8):
        interp.set_input(x[:, t:t + 1], 0)
        interp.invoke()
        got.append(interp.get_output(0)[0, 0].copy())
    np.testing.assert_array_equal(np.stack(got), run_model(qm, x)[0])


def test_float_io_quantizes_and_dequantizes_like_rnnc_conversions(compiled):
    """--float-io: TFLite's QUANTIZE / DEQUANTIZE at the ends compute rnnc's conversion layers
    (one float32 division, rounding half away; one float32 product) bit for bit."""
    out, qm = compiled["lstm_dense_int8"]
    data = export_qmodel(QModel.load(out), 6, float_io=True)
    x = np.random.default_rng(4).standard_normal((3, 6, qm.input_size)).astype(np.float32) * 2
    got = tflm_sequences(data, x)
    assert got.dtype == np.float32
    iq, oq = qm.input_q, qm.output_q
    xq = quantize_f32(x, iq.scale, iq.zero_point, -128, 127).astype(np.int8)     # rnnc_quantize_s8
    np.testing.assert_array_equal(got, dequantize_f32(run_model(qm, xq), oq.scale, oq.zero_point))


STEMS = sorted(p.stem for p in FIXTURES.glob("*.tflite"))


@pytest.mark.parametrize("stem", STEMS)
def test_converter_models_round_trip(stem, tmp_path):
    """A converter-made model compiled by rnnc and exported again computes, under TFLM, exactly
    the original file's committed TFLM outputs."""
    compile_model(str(FIXTURES / f"{stem}.tflite"), str(tmp_path), scheme="int8")
    x = np.load(FIXTURES / f"{stem}.input.npy")
    data = export_qmodel(QModel.load(tmp_path), x.shape[1])
    np.testing.assert_array_equal(tflm_sequences(data, x), np.load(FIXTURES / f"{stem}.tflm.npy"))


def test_exported_file_reads_back_into_rnnc(compiled, tmp_path):
    """rnnc's own frontend takes the exported file (LSTM + FULLY_CONNECTED) and compiles it to
    the same numbers."""
    out, qm = compiled["lstm_dense_int8"]
    path = tmp_path / "m.tflite"
    export_tflite(str(out), str(path), 8)
    qm2 = compile_model(str(path), str(tmp_path / "again"), scheme="int8")
    x = full_range(qm, 3, 8, seed=9)
    np.testing.assert_array_equal(run_model(qm2, x), run_model(qm, x))


def test_export_is_deterministic(compiled):
    out, _ = compiled["classifier_last_step"]
    assert export_qmodel(QModel.load(out), 5) == export_qmodel(QModel.load(out), 5)


@pytest.mark.parametrize("kind,scheme,why", [
    ("gru", "int8", "an int8 GRU cannot be written for TFLite Micro.*FULLY_CONNECTED from int8 to int16"),
    ("rnn", "int8", "an int8 RNN cannot be written"),
    ("lstm", "float", "lstm layers with scheme 'float' cannot be written"),
    ("lstm", "binary-w2a8", "lstm layers with scheme 'binary-w2a8' cannot be written"),
])
def test_refuses_what_tflite_cannot_express(kind, scheme, why, tmp_path):
    qm = compile_ir(model([recurrent(kind, 4, 8), dense(8, 2)], 4, name="r"), str(tmp_path), scheme=scheme,
                    calib=_calib(4))
    with pytest.raises(UnsupportedError, match=why) as e:
        export_qmodel(qm, 4)
    assert "r.onnx" in str(e.value) and f"layer '{kind}0'" in str(e.value)


def test_refuses_rnnc_sigmoid(tmp_path):
    qm = compile_ir(model([recurrent("lstm", 4, 8), ir.ActivationLayer("sig", "sigmoid", 8)], 4), str(tmp_path),
                    scheme="int8", calib=_calib(4))
    with pytest.raises(UnsupportedError, match="layer 'sig'.*integer sigmoid .* is not TFLite's"):
        export_qmodel(qm, 4)


def test_refuses_multipliers_the_interpreter_would_not_derive(compiled):
    """A manifest whose scales are not float32 values (an older compile) is refused, not written."""
    out, _ = compiled["lstm_dense_int8"]
    qm = QModel.load(out)
    q = qm.layers[0]
    q.out_q = ir.QuantParams(q.out_q.scale * (1 + 3e-7), q.out_q.zero_point, q.out_q.dtype)
    with pytest.raises(UnsupportedError, match="would derive other .*mult"):
        export_qmodel(qm, 4)


def test_writer_checks_what_it_writes():
    w = TfliteWriter("t")
    x = w.tensor("x", (1, 2), "int8", Quant([0.5], [0]))
    with pytest.raises(RnncError, match="scales must be finite positive float32"):
        w.tensor("bad", (1, 2), "int8", Quant([0.1], [0]))        # 0.1 is no float32 value
    with pytest.raises(RnncError, match="zero point outside int8"):
        w.tensor("bad", (1, 2), "int8", Quant([0.5], [200]))
    with pytest.raises(RnncError, match="data is int16, the tensor int8"):
        w.tensor("c", (2,), "int8", data=np.zeros(2, np.int16))
    with pytest.raises(RnncError, match="tensor index 7 does not exist"):
        w.op("RELU", [7], [x])
    y = w.tensor("y", (1, 2), "int8", Quant([0.5], [0]))
    z = w.tensor("z", (1, 2), "int8", Quant([0.5], [0]))
    w.op("RELU", [z], [y])
    with pytest.raises(RnncError, match="reads tensor 'z', which nothing produces"):
        w.finish([x], [y])
    with pytest.raises(RnncError, match="two producers"):
        w.op("RELU", [x], [y])


def test_cli_export(compiled, tmp_path, capsys):
    out, _ = compiled["lstm_dense_int8"]
    path = tmp_path / "cli.tflite"
    assert main(["export-tflite", str(out), "-o", str(path), "--steps", "5"]) == 0
    assert path.read_bytes() == export_qmodel(QModel.load(out), 5)
    assert "cli.tflite" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["export-tflite", str(out), "-o", str(path), "--steps", "0"])
    _runtime()
    assert main(["export-tflite", str(out), "-o", str(path), "--steps", "6", "--check", "5"]) == 0
    assert "TFLite Micro vs the simulator on 5 random sequences: every element equal" in capsys.readouterr().out
    assert main(["export-tflite", str(tmp_path / "nothing"), "-o", str(path), "--steps", "5"]) == 2


def _vela():
    from codegen.toolchain import vela
    if vela.vela_version() is None:
        pytest.skip("Vela (ethos-u-vela, the npu extra) is NOT installed: Ethos-U estimates untested")
    return vela


@pytest.mark.parametrize("name", ["lstm_dense_int8", "lstm_dense_int16x8", "classifier_last_step", "two_lstm_int8"])
def test_vela_places_every_exported_op_on_the_npu(name, compiled):
    """Vela reads the exported LSTM (its intermediates included) and keeps nothing on the CPU."""
    vela = _vela()
    out, _ = compiled[name]
    e = vela.estimate(export_qmodel(QModel.load(out), 8), "ethos-u55-128", name)
    assert e.cpu_ops == 0 and e.on_cpu == [] and e.npu_ops > 0 and e.cycles_total >= e.cycles_npu > 0
    assert e.optimised[4:8] == b"TFL3" and e.sram_bytes > 0


def test_vela_leaves_the_time_reversal_on_the_u55_cpu(compiled):
    """Ethos-U55 has no REVERSE_V2 along an axis: the backward direction's two reversals stay
    on the CPU (named, with Vela's reason); the LSTMs themselves go to the NPU."""
    vela = _vela()
    out, _ = compiled["bidirectional_int16x8"]
    e = vela.estimate(export_qmodel(QModel.load(out), 8), "ethos-u55-128")
    assert e.cpu_ops == 2 and [s.split()[0] for s in e.on_cpu] == ["REVERSE_V2", "REVERSE_V2"]


def test_inspect_prints_npu_estimates(compiled, capsys):
    _vela()
    out, _ = compiled["lstm_dense_int8"]
    assert main(["inspect", str(out), "--npu", "ethos-u55-128", "--npu", "ethos-u85-256", "--steps", "4"]) == 0
    text = capsys.readouterr().out
    assert "ethos-u55-128 (" in text and "ethos-u85-256 (" in text and "cycles per step" in text


def test_inspect_shows_the_layers_left_to_the_cpu(tmp_path, capsys):
    _vela()
    m = model([recurrent("lstm", 5, 8), recurrent("gru", 8, 6, seed=5, name="gru1"), dense(6, 3)], 5, name="sp")
    compile_ir(m, str(tmp_path), calib=_calib(5))
    assert main(["inspect", str(tmp_path), "--npu", "ethos-u55-128", "--steps", "2"]) == 0
    text = capsys.readouterr().out
    assert "ethos-u55-128 (" in text and "layers 0..0: " in text and "layers 2..2: " in text
    assert "ethos-u55-128: layers 1..1 on the Cortex-M55: layer 1 (gru, int8): an int8 GRU cannot be written" in text


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@st.composite
def stacks(draw):
    """A random stack: 1-2 recurrent layers (LSTM int8 or int16x8; GRU/RNN int16x8), any
    direction, maybe a last step, maybe a dense head."""
    scheme = draw(st.sampled_from(["int8", "int16x8"]))
    In = draw(st.integers(1, 7))
    layers, width = [], In
    for i in range(draw(st.integers(1, 2))):
        kind = "lstm" if scheme == "int8" else draw(st.sampled_from(["lstm", "gru", "rnn"]))
        direction = draw(st.sampled_from(["forward", "reverse", "bidirectional"]))
        H = draw(st.integers(1, 20))
        layers.append(recurrent(kind, width, H, direction=direction, seed=draw(st.integers(0, 99)),
                                lbr=draw(st.booleans()), name=f"r{i}"))
        width = H * (2 if direction == "bidirectional" else 1)
    if draw(st.booleans()) and layers[-1].direction == "forward":
        layers.append(ir.LastStepLayer("last", width))
    if draw(st.booleans()):
        layers.append(dense(width, draw(st.integers(1, 6)), seed=draw(st.integers(0, 99))))
    return layers, In, scheme, draw(st.integers(1, 6)), draw(st.integers(0, 2 ** 16))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=stacks())
def test_property_random_stacks_equal_tflm(case, tmp_path_factory):
    layers, In, scheme, T, seed = case
    _runtime()
    out = tmp_path_factory.mktemp("prop")
    calib = np.random.default_rng(seed).standard_normal((5, 8, In)).astype(np.float32)
    qm = compile_ir(model(layers, In, name="p"), str(out), scheme=scheme, calib=calib)
    x = full_range(qm, 3, T, seed)
    np.testing.assert_array_equal(tflm_sequences(export_qmodel(qm, T), x), run_model(qm, x))
    check_carry_state(qm, x)
