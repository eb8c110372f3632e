"""Mixed precision: any layer may use any scheme. Where two neighbours differ, an explicit
conversion layer (quantize, dequantize, requantize) sits between them, in the simulator and
in C, and the C equals the simulator layer by layer (integer layers bit for bit)."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from codegen import ir
from codegen.api import compile_ir, compile_model, run_compiled, simulate_compiled, verify_compiled
from codegen.errors import RnncError
from codegen.qmodel import QModel
from codegen.schemes import get_scheme, scheme_names

from models import dense, model, recurrent
from test_cli import assert_clean_error, rnnc

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "japanese_vowels"
FIX = Path(__file__).parent / "fixtures" / "tflite"


def _calib(f=4, seed=0):
    return np.random.default_rng(seed).standard_normal((6, 10, f)).astype(np.float32)


@pytest.mark.parametrize("args", [["--layer-scheme", "dense1=float"],
                                  ["--layer-scheme", "lstm0=float"],
                                  ["--scheme", "float", "--layer-scheme", "lstm0=int8"],
                                  ["--layer-scheme", "lstm0=int16x8"],
                                  ["--scheme", "int16x8", "--layer-scheme", "dense1=int8"]])
def test_example_model_with_per_layer_schemes(tmp_path, args):
    """The command lines that failed: the C did not build (int8 passed to a float layer) or
    quantization crashed (exit 3)."""
    out = tmp_path / "o"
    code, _, err = rnnc("compile", EXAMPLE / "model.onnx", "-o", out, "--calib", EXAMPLE / "calib.npy", *args)
    assert code == 0, err
    code, stdout, err = rnnc("verify", out, "--input", EXAMPLE / "test_x.npy")
    assert code == 0 and "OK" in stdout, stdout + err
    qm = QModel.load(out)
    kinds = [q.kind for q in qm.layers]
    assert kinds.count("convert") == 1, kinds
    # the mixed model still classifies like the float one
    y = simulate_compiled(str(out), np.load(EXAMPLE / "test_x.npy"))
    y = y.astype(np.float32) if qm.output_q is None else (y.astype(np.float32) - qm.output_q.zero_point) * qm.output_q.scale
    acc = float(np.mean(y[:, -1].argmax(-1) == np.load(EXAMPLE / "test_y.npy")))
    assert acc > 0.9, acc


#: every scheme outside the low-bit family, and one per low-bit coder (the low-bit schemes share
#: one activation representation, int8, so their pairs among themselves add nothing new)
PAIR_SCHEMES = [s for s in scheme_names() if get_scheme(s).family != "lowbit"] + ["int4", "binary-w2a8"]


@pytest.mark.parametrize("a,b", list(itertools.product(PAIR_SCHEMES, repeat=2)))
def test_every_pair_of_schemes_both_ways(tmp_path, a, b):
    """LSTM in scheme a feeding a dense layer in scheme b, and a dense layer in a feeding a
    GRU in b: every ordered pair, a conversion exactly where the representations differ."""
    for layers in ([recurrent("lstm", 4, 8, name="l0"), dense(8, 5, name="l1")],
                   [dense(4, 6, name="l0"), recurrent("gru", 6, 7, name="l1")]):
        m = model(layers, 4)
        out = tmp_path / layers[0].kind
        qm = compile_ir(m, str(out), scheme=a, calib=_calib(), layer_schemes={"l1": b})
        converts = [q for q in qm.layers if q.kind == "convert"]
        assert len(converts) == (get_scheme(a).act_dtype != get_scheme(b).act_dtype), [q.kind for q in qm.layers]
        x = np.random.default_rng(1).standard_normal((3, 9, 4)).astype(np.float32) * 2
        res = verify_compiled(str(out), x)
        assert res.ok, res.summary()


def test_unknown_layer_or_scheme_in_layer_scheme_is_an_error(tmp_path):
    for arg, needle in (("dense9=float", "dense9"), ("dense1=int3", "int3"), ("lstm0=", "LAYER=SCHEME")):
        code, _, err = rnnc("compile", EXAMPLE / "model.onnx", "-o", tmp_path / "o", "--calib",
                            EXAMPLE / "calib.npy", "--layer-scheme", arg)
        assert_clean_error(code, err, needle)
    code, _, err = rnnc("compile", EXAMPLE / "model.onnx", "-o", tmp_path / "o", "--scheme", "int3")
    assert_clean_error(code, err, "unknown scheme 'int3'", "int16x8")


def test_pre_quantized_model_layer_in_float(tmp_path):
    """An int8 .tflite keeps its own quantization; one layer may run in float (its dequantized
    weights), the conversion back to int8 uses the next layer's own input quantization."""
    path = FIX / "lstm_t20_f10_h64_dense.tflite"
    qm = compile_model(str(path), str(tmp_path), layer_schemes={"lstm0": "float"})
    assert [q.kind for q in qm.layers] == ["lstm", "convert", "dense"]
    assert qm.input_dtype == "float32" and qm.layers[1].out_q == qm.layers[2].in_q == qm.layers[2].ir.fixed_quant["input"]
    x = np.random.default_rng(0).standard_normal((4, 20, 10)).astype(np.float32)
    res = verify_compiled(str(tmp_path), x)
    assert res.ok, res.summary()
    with pytest.raises(RnncError, match="already quantized"):
        compile_model(str(path), str(tmp_path / "b"), layer_schemes={"lstm0": "int16x8"})


def _ties(scale: float, zp: int, lo: int, hi: int) -> np.ndarray:
    """float32 inputs whose float32 quotient by scale is exactly k + 0.5 (rounding ties), their
    neighbours, values beyond the range and around zero."""
    s = np.float32(scale)
    vals = []
    for k in range(lo - zp - 2, hi - zp + 2):
        x = np.float32((k + 0.5) * float(s))
        for cand in (np.nextafter(x, np.float32(-np.inf)), x, np.nextafter(x, np.float32(np.inf))):
            vals.append(cand)
    vals += [np.float32(v) for v in (0.0, -0.0, 1e-30, -1e-30, 1e30, -1e30, 3.4e38, -3.4e38)]
    return np.array(vals, np.float32)


@pytest.mark.parametrize("scheme", ["int8", "int16x8"])
def test_quantize_and_dequantize_layers_are_exact_at_every_boundary(tmp_path, scheme):
    """float -> int conversion on rounding ties and beyond the range, and back: C == simulator."""
    eye = ir.DenseLayer("f0", np.eye(4, dtype=np.float32), np.zeros(4, np.float32))
    m = model([eye, dense(4, 4, name="q1"), ir.DenseLayer("f2", np.eye(4, dtype=np.float32),
                                                           np.zeros(4, np.float32))], 4)
    qm = compile_ir(m, str(tmp_path), scheme="float", calib=_calib(), layer_schemes={"q1": scheme})
    conv = next(q for q in qm.layers if q.kind == "convert")
    lo, hi = (-128, 127) if scheme == "int8" else (-2000, 2000)     # int16: a window of ties
    vals = _ties(conv.out_q.scale, conv.out_q.zero_point, lo, hi)
    vals = np.resize(vals, (len(vals) + 3) // 4 * 4).reshape(-1, 1, 4)
    res = verify_compiled(str(tmp_path), vals)
    assert res.ok, res.summary()
    y = run_compiled(str(tmp_path), vals)
    assert np.all(np.isfinite(y))
