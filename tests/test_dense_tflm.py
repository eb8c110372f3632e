"""rnnc's int8 FULLY_CONNECTED against the live tflite-micro interpreter on one-op models,
including scale triples where forming s_in * s_w in float32 or in double changes the output
(TFLM's FULLY_CONNECTED uses the double product)."""
from __future__ import annotations

import numpy as np
import pytest

from codegen import ir
from codegen.api import compile_model, run_compiled
from codegen.fixedpoint import conv_multiplier_f32, multiply_by_quantized_multiplier, quantize_multiplier
from codegen.qmodel import QModel
from codegen.simulate import run_model

from tflite_builder import fc_tflite, run_tflm

# (s_in, s_w, s_out, accumulator): the two products give different multipliers and outputs
PRODUCT_CASES = [(0.028310971334576607, 0.0033608200028538704, 0.12271974235773087, -134781),
                 (0.0965491458773613, 0.007523109670728445, 1.2371736764907837, -132003),
                 (0.056446172297000885, 0.0020427904091775417, 0.17440718412399292, -80920)]


@pytest.mark.parametrize("s_in,s_w,s_out,acc", PRODUCT_CASES)
def test_per_tensor_multiplier_matches_live_tflm(tmp_path, s_in, s_w, s_out, acc):
    f32 = int(multiply_by_quantized_multiplier(acc, *quantize_multiplier(conv_multiplier_f32(s_in, s_w, s_out))))
    f64 = int(multiply_by_quantized_multiplier(acc, *quantize_multiplier(s_in * s_w / s_out)))
    assert f32 != f64                                  # the case discriminates
    x = np.zeros((1, 1), np.int8)
    data = fc_tflite(np.zeros((1, 1), np.int8), np.array([acc]), ir.QuantParams(s_in, 0, "int8"), s_w,
                     ir.QuantParams(s_out, 0, "int8"), rows=1)
    want = int(run_tflm(data, x)[0, 0])
    (tmp_path / "fc.tflite").write_bytes(data)
    compile_model(str(tmp_path / "fc.tflite"), str(tmp_path / "out"), scheme="int8")
    assert int(run_model(QModel.load(tmp_path / "out"), x[None])[0, 0, 0]) == want
    assert int(run_compiled(str(tmp_path / "out"), x[None])[0, 0, 0]) == want


@pytest.mark.parametrize("seed", range(4))
def test_random_per_tensor_fc_matches_live_tflm(tmp_path, seed):
    rng = np.random.default_rng(seed)
    n_in, n_out = int(rng.integers(1, 40)), int(rng.integers(1, 20))
    W = rng.integers(-127, 128, (n_out, n_in)).astype(np.int8)
    bias = rng.integers(-5000, 5000, n_out).astype(np.int32)
    in_q = ir.QuantParams(float(np.float32(rng.uniform(0.01, 0.1))), int(rng.integers(-20, 20)), "int8")
    out_q = ir.QuantParams(float(np.float32(rng.uniform(0.05, 0.5))), int(rng.integers(-20, 20)), "int8")
    s_w = float(np.float32(rng.uniform(0.001, 0.01)))
    data = fc_tflite(W, bias, in_q, s_w, out_q, rows=8)
    x = rng.integers(-128, 128, (8, n_in)).astype(np.int8)
    want = run_tflm(data, x)
    (tmp_path / "fc.tflite").write_bytes(data)
    compile_model(str(tmp_path / "fc.tflite"), str(tmp_path / "out"), scheme="int8")
    np.testing.assert_array_equal(run_model(QModel.load(tmp_path / "out"), x[None])[0], want)
    np.testing.assert_array_equal(run_compiled(str(tmp_path / "out"), x[None])[0], want)
