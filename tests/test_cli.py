"""The command-line contract: exit codes and one-line errors naming file and reason."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from codegen.api import compile_ir

from test_pipeline import dense_model


def rnnc(*args, cwd=None):
    res = subprocess.run([sys.executable, "-m", "codegen", *map(str, args)], capture_output=True,
                         text=True, cwd=cwd)
    return res.returncode, res.stdout, res.stderr


def assert_clean_error(code, err, *needles):
    assert code == 2, err
    assert "Traceback" not in err
    lines = [l for l in err.strip().splitlines() if l]
    assert len(lines) == 1 and lines[0].startswith("rnnc: error: "), err
    for n in needles:
        assert n in lines[0], (n, lines[0])


def test_missing_model_file(tmp_path):
    code, _, err = rnnc("compile", tmp_path / "nope.onnx", "-o", tmp_path / "o")
    assert_clean_error(code, err, "nope.onnx", "not found")


def test_unknown_model_suffix(tmp_path):
    p = tmp_path / "model.pb"
    p.write_bytes(b"\0" * 10)
    code, _, err = rnnc("compile", p, "-o", tmp_path / "o")
    assert_clean_error(code, err, "model.pb", ".onnx or .tflite")


def test_not_a_compiled_folder(tmp_path):
    code, _, err = rnnc("inspect", tmp_path)
    assert_clean_error(code, err, str(tmp_path), "manifest")


def test_run_sim_verify_inspect_round_trip(tmp_path):
    out = tmp_path / "o"
    compile_ir(dense_model(), str(out), scheme="float")
    x = np.random.default_rng(0).standard_normal((2, 5, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    assert rnnc("run", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")[0] == 0
    assert rnnc("sim", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "s.npy")[0] == 0
    y, s = np.load(tmp_path / "y.npy"), np.load(tmp_path / "s.npy")
    assert y.shape == (2, 5, 3) and y.dtype == np.float32
    np.testing.assert_allclose(y, s, rtol=1e-4, atol=1e-5)
    code, stdout, _ = rnnc("verify", out, "--random", 3)
    assert code == 0 and "OK" in stdout
    code, stdout, _ = rnnc("inspect", out)
    assert code == 0 and "MACs/step" in stdout and "fc0" in stdout


def test_wrong_input_shape_and_dtype(tmp_path):
    out = tmp_path / "o"
    compile_ir(dense_model(), str(out), scheme="float")
    np.save(tmp_path / "bad.npy", np.zeros((2, 5, 7), np.float32))
    code, _, err = rnnc("run", out, "--input", tmp_path / "bad.npy", "--output", tmp_path / "y.npy")
    assert_clean_error(code, err, "7 features", "takes 4")
    np.save(tmp_path / "bad2.npy", np.zeros((2, 5, 4), np.int16))
    code, _, err = rnnc("sim", out, "--input", tmp_path / "bad2.npy", "--output", tmp_path / "y.npy")
    assert_clean_error(code, err, "int16", "float32")
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    code, _, err = rnnc("sim", out, "--input", tmp_path / "junk.npy", "--output", tmp_path / "y.npy")
    assert_clean_error(code, err, "junk.npy")
    np.save(tmp_path / "nan.npy", np.full((1, 2, 4), np.nan, np.float32))
    code, _, err = rnnc("run", out, "--input", tmp_path / "nan.npy", "--output", tmp_path / "y.npy")
    assert_clean_error(code, err, "NaN")


def test_tflite_compile_verify_inspect(tmp_path):
    from pathlib import Path
    model = Path(__file__).parent / "fixtures" / "tflite" / "lstm_t20_f10_h64_dense.tflite"
    out = tmp_path / "o"
    code, stdout, err = rnnc("compile", model, "-o", out, "--prefix", "kws")
    assert code == 0, err
    code, stdout, _ = rnnc("verify", out, "--random", 4, "--steps", 20)
    assert code == 0 and "bit-exact" in stdout
    code, stdout, _ = rnnc("inspect", out)
    assert code == 0 and "lstm0" in stdout and "dense1" in stdout
    # a pre-quantized model refuses another scheme with a clear line
    code, _, err = rnnc("compile", model, "-o", tmp_path / "p", "--scheme", "int16x8",
                        "--calib", tmp_path / "none.npy")
    assert_clean_error(code, err, "none.npy")


def test_bad_prefix_is_refused(tmp_path):
    from pathlib import Path
    model = Path(__file__).parent / "fixtures" / "tflite" / "lstm_t8_f4_h16.tflite"
    code, _, err = rnnc("compile", model, "-o", tmp_path / "o", "--prefix", "Bad-Name")
    assert_clean_error(code, err, "--prefix", "bad_name")
