"""Integer LSTM vs TensorFlow Lite Micro: converter-made int8 models (tools/make_tflite_fixtures.py).

The goldens were computed by the tflite-micro interpreter (reset per sequence) and are
committed; when tflite-micro is installed the interpreter also runs live on new inputs.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codegen.api import compile_model, run_compiled
from codegen.qmodel import QModel
from codegen.simulate import run_model

FIXTURES = Path(__file__).parent / "fixtures" / "tflite"
STEMS = sorted(p.stem for p in FIXTURES.glob("*.tflite"))


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    root = tmp_path_factory.mktemp("tflm")
    outs = {}
    for stem in STEMS:
        out = root / stem
        compile_model(str(FIXTURES / f"{stem}.tflite"), str(out), scheme="int8")
        outs[stem] = out
    return outs


def test_fixtures_exist():
    assert len(STEMS) >= 5


@pytest.mark.parametrize("stem", STEMS)
def test_generated_c_and_simulator_equal_tflm_goldens(stem, compiled):
    x = np.load(FIXTURES / f"{stem}.input.npy")
    golden = np.load(FIXTURES / f"{stem}.tflm.npy")
    y_c = run_compiled(str(compiled[stem]), x)
    y_s = run_model(QModel.load(compiled[stem]), x)
    assert y_c.shape == golden.shape
    np.testing.assert_array_equal(y_s, golden)
    np.testing.assert_array_equal(y_c, golden)


def test_saturating_fixture_really_saturates(compiled):
    """The saturation case must push gate pre-activations to the int16 clamp and deep into
    the flat part of the LUTs (|x| > 5), or it would test nothing."""
    from codegen.fixedpoint import multiply_by_quantized_multiplier as mbqm
    qm = QModel.load(compiled["lstm_sat_t30_f8_h48_dense"])
    x = np.load(FIXTURES / "lstm_sat_t30_f8_h48_dense.input.npy").reshape(-1, 8).astype(np.int64)
    lstm = qm.layers[0]
    p = lstm.attrs["dirs"][0]
    pres = []
    for g in range(4):
        acc = x @ lstm.arrays["w0"][g].T.astype(np.int64) + lstm.arrays["bx0"][g]
        pres.append(np.clip(mbqm(acc, p["in_mult"][g], p["in_shift"][g]), -32768, 32767))
    pres = np.stack(pres)
    assert np.any(np.abs(pres[2]) >= 32767)          # cell gate hits the int16 clamp
    assert (np.abs(pres) > 5 * 4096).mean() > 0.003  # sigmoid/tanh saturated regions


def tflm_sequences(interp, x: np.ndarray) -> np.ndarray:
    """Run each row of x as an independent sequence in a TFLM interpreter (reset first)."""
    want = []
    for row in x:
        interp.reset()
        interp.set_input(row[None], 0)
        interp.invoke()
        want.append(interp.get_output(0)[0].copy())
    return np.stack(want)


@pytest.mark.parametrize("stem", STEMS)
def test_live_tflite_micro_interpreter(stem, compiled):
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        pytest.skip("tflite-micro is NOT installed: live TFLM comparison skipped (goldens still checked)")
    interp = runtime.Interpreter.from_file(str(FIXTURES / f"{stem}.tflite"))
    ref = np.load(FIXTURES / f"{stem}.input.npy")
    rng = np.random.default_rng(7)
    x = rng.integers(-128, 128, (3,) + ref.shape[1:]).astype(np.int8)
    np.testing.assert_array_equal(run_compiled(str(compiled[stem]), x), tflm_sequences(interp, x))


def test_tflite_model_as_float_follows_its_integer_version(tmp_path):
    """--scheme float on a .tflite runs the dequantized weights in float: close to TFLM."""
    stem = "lstm_t20_f10_h64_dense"
    qm = compile_model(str(FIXTURES / f"{stem}.tflite"), str(tmp_path / "f"), scheme="float")
    x = np.load(FIXTURES / f"{stem}.input.npy")[:3]
    from codegen.frontends import load_model
    m = load_model(str(FIXTURES / f"{stem}.tflite"))
    xf = (x.astype(np.float32) - m.fixed_input_quant.zero_point) * m.fixed_input_quant.scale
    y = run_compiled(str(tmp_path / "f"), xf.astype(np.float32))
    oq = m.fixed_output_quant
    golden = (np.load(FIXTURES / f"{stem}.tflm.npy")[:3].astype(np.float32) - oq.zero_point) * oq.scale
    assert qm.scheme == "float" and np.abs(y - golden).max() < 0.15


def test_live_tflm_on_a_model_where_the_multiplier_product_matters(tmp_path):
    """On this converter-made H=256 LSTM, gate multipliers formed from a float32 product of the
    scales differ from the interpreter's double product in some outputs; rnnc must match."""
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        pytest.skip("tflite-micro is NOT installed: live TFLM comparison skipped")
    from codegen.fixedpoint import conv_multiplier_f32, mul_multiplier, quantize_multiplier
    from codegen.frontends import load_model
    path = Path(__file__).parent.parent / "benchmarks" / "models" / "lstm_h256.tflite"
    fq = load_model(str(path)).layers[0].fixed_quant
    pairs = [(fq["input"].scale, fq["weights"][g]["W_scale"]) for g in "ifco"] + \
            [(fq["output"].scale, fq["weights"][g]["R_scale"]) for g in "ifco"]
    assert any(quantize_multiplier(conv_multiplier_f32(a, b, 2.0 ** -12)) !=
               quantize_multiplier(mul_multiplier(a, b, 2.0 ** -12)) for a, b in pairs)  # discriminates
    compile_model(str(path), str(tmp_path), scheme="int8")
    qm = QModel.load(tmp_path)
    x = np.random.default_rng(7).integers(-128, 128, (40, 32, 32)).astype(np.int8)
    interp = runtime.Interpreter.from_file(str(path))
    want = tflm_sequences(interp, x).reshape(40, 32, -1)
    np.testing.assert_array_equal(run_model(qm, x), want)
    np.testing.assert_array_equal(run_compiled(str(tmp_path), x[:8]), want[:8])


def test_state_carried_across_invocations_like_tflm(compiled):
    """TFLM keeps an LSTM's variable state tensors between Invoke calls until reset: a second
    sequence run without reset continues from the first's final state. rnnc gives and takes
    that state as the model's own state tensors (int8 h, int16 c): --state-out of the first
    sequence, --state-in to the second, equals TFLM's continued run bit for bit."""
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        pytest.skip("tflite-micro is NOT installed: live TFLM state test skipped")
    stem = "lstm_t20_f10_h64_dense"
    interp = runtime.Interpreter.from_file(str(FIXTURES / f"{stem}.tflite"))
    rng = np.random.default_rng(11)
    a, b = (rng.integers(-128, 128, (1, 20, 10)).astype(np.int8) for _ in range(2))
    interp.reset()
    for part in (a, b):
        interp.set_input(part, 0)
        interp.invoke()
    want = interp.get_output(0)[0].copy()
    _, state = run_compiled(str(compiled[stem]), a, state_out=True)
    got = run_compiled(str(compiled[stem]), b, state_in=state)
    np.testing.assert_array_equal(got[0], want)
