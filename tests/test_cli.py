"""The command-line contract: exit codes and one-line errors naming file and reason."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
    model = Path(__file__).parent / "fixtures" / "tflite" / "lstm_t8_f4_h16.tflite"
    code, _, err = rnnc("compile", model, "-o", tmp_path / "o", "--prefix", "Bad-Name")
    assert_clean_error(code, err, "--prefix", "bad_name")


# ---- argument ranges, output paths and files named in errors ------------------------------------

def _compiled(tmp_path):
    out = tmp_path / "o"
    compile_ir(dense_model(), str(out), scheme="float")
    np.save(tmp_path / "x.npy", np.zeros((2, 3, 4), np.float32))
    return out


def test_numeric_options_out_of_range_are_one_line_errors(tmp_path):
    out = _compiled(tmp_path)
    x = tmp_path / "x.npy"
    model = tmp_path / "m.onnx"
    for args, needle in [
        (("compile", model, "-o", tmp_path / "c", "--max-steps", 0), "--max-steps"),
        (("compile", model, "-o", tmp_path / "c", "--max-steps", -3), "--max-steps"),
        (("compile", model, "-o", tmp_path / "c", "--max-steps", 10 ** 12), "--max-steps"),
        (("compile", model, "-o", tmp_path / "c", "--max-steps", "many"), "--max-steps"),
        (("run", out, "--input", x, "--output", tmp_path / "y.npy", "--chunk", 0), "--chunk"),
        (("run", out, "--input", x, "--output", tmp_path / "y.npy", "--chunk", -5), "--chunk"),
        (("run", out, "--input", x, "--output", tmp_path / "y.npy", "--chunk", 2 ** 40), "--chunk"),
        (("verify", out, "--random", -1), "--random"),
        (("verify", out, "--random", 0), "--random"),
        (("verify", out, "--steps", -1), "--steps"),
        (("verify", out, "--seed", -1), "--seed"),
        (("compile", model, "-o", tmp_path / "c", "--layer-scheme", "nonsense"), "LAYER=SCHEME"),
    ]:
        code, _, err = rnnc(*args)
        assert_clean_error(code, err, needle)


def test_chunks_of_any_size_stream_like_the_whole_sequence(tmp_path):
    out = _compiled(tmp_path)
    x = np.random.default_rng(0).standard_normal((2, 5, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    assert rnnc("run", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "w.npy")[0] == 0
    for chunk in (1, 2, 5, 2 ** 31 - 1):
        code, _, err = rnnc("run", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "c.npy",
                            "--chunk", chunk)
        assert code == 0, err
        np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), np.load(tmp_path / "w.npy"))


def test_output_paths_are_written_exactly_or_refused(tmp_path):
    out = _compiled(tmp_path)
    (tmp_path / "cwd").mkdir()
    for dest in ("./", ".", str(tmp_path / "cwd")):
        code, _, err = rnnc("sim", out, "--input", tmp_path / "x.npy", "--output", dest, cwd=tmp_path / "cwd")
        assert_clean_error(code, err, dest, "folder")
    assert not list((tmp_path / "cwd").iterdir())                    # no hidden ./.npy
    code, _, err = rnnc("sim", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "cwd" / "y.out")
    assert code == 0, err
    assert np.load(tmp_path / "cwd" / "y.out").shape == (2, 3, 3)     # exactly that name, no '.npy' added


def test_input_errors_name_the_input_file(tmp_path):
    out = _compiled(tmp_path)
    np.save(tmp_path / "wide.npy", np.zeros((2, 3, 9), np.float32))
    for cmd in ("run", "sim"):
        code, _, err = rnnc(cmd, out, "--input", tmp_path / "wide.npy", "--output", tmp_path / "y.npy")
        assert_clean_error(code, err, str(tmp_path / "wide.npy"), "9 features")
    code, _, err = rnnc("verify", out, "--input", tmp_path / "wide.npy")
    assert_clean_error(code, err, str(tmp_path / "wide.npy"))
    code, _, err = rnnc("run", out, "--input", tmp_path, "--output", tmp_path / "y.npy")
    assert_clean_error(code, err, str(tmp_path), "folder")


# ---- tampered or corrupted manifests -------------------------------------------------------------

def _tamper(out, edit):
    import json
    doc = json.loads((out / "manifest.json").read_text())
    edit(doc["model"])
    (out / "manifest.json").write_text(json.dumps(doc))


def _layers(doc):
    return doc["layers"]


def test_corrupted_arrays_are_one_line_errors(tmp_path):
    out = _compiled(tmp_path)
    (out / "arrays.npz").write_bytes(b"PK\x03\x04 not a zip")
    for cmd in (("sim", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy"), ("inspect", out),
                ("verify", out)):
        code, _, err = rnnc(*cmd)
        assert_clean_error(code, err, "arrays.npz")


def _set_attr(layer_index, key, value):
    def edit(m):
        layer = _layers(m)[layer_index]
        if key in ("in_size", "out_size", "in_dtype", "causal", "kind", "scheme"):
            layer[key] = value
        else:
            pairs = layer["attrs"]["__dict__"]
            found = [p for p in pairs if p[0] == key]
            if value is None:
                layer["attrs"]["__dict__"] = [p for p in pairs if p[0] != key]
            elif found:
                found[0][1] = value
            else:
                pairs.append([key, value])
    return edit


def test_tampered_manifests_are_refused_with_the_layer_named(tmp_path):
    """Hand-edited or truncated manifests: refused on load (exit 2, naming manifest.json and the
    layer), never simulated with wrong sizes (an edited out_size used to run and exit 0)."""
    from models import dense, model, recurrent
    calib = np.random.default_rng(0).standard_normal((4, 6, 5)).astype(np.float32)
    base = tmp_path / "base"
    compile_ir(model([recurrent("lstm", 5, 8, name="lstm0"), dense(8, 3, name="fc1")], 5), str(base),
               scheme="int8", calib=calib)
    np.save(tmp_path / "x.npy", np.zeros((1, 3, 5), np.float32))
    import shutil
    cases = [
        (_set_attr(0, "out_size", 7), "out_size"),
        (_set_attr(0, "in_size", 999), "previous output"),
        (_set_attr(0, "in_dtype", "int64"), "in_dtype"),
        (_set_attr(0, "kind", "conv"), "of another kind"),
        (_set_attr(0, "scheme", "int3"), "no layer kind"),
        (_set_attr(0, "hidden_size", "eight"), "hidden_size"),
        (_set_attr(0, "zp_h", 4000), "zp_h"),
        (_set_attr(0, "dirs", None), "dirs"),
        (_set_attr(0, "act", "int16"), "int16"),
        (lambda m: m.update(output_size=1), "model output"),
        (lambda m: m.update(max_steps=0), "max_steps"),
        (lambda m: m.update(name="stdint"), "prefix"),
        (lambda m: m["layers"].clear(), "layers"),
        (lambda m: m.pop("layers"), "does not describe a model"),
        (lambda m: m.update(__type__="Os"), "does not describe a model"),
    ]
    for i, (edit, needle) in enumerate(cases):
        out = tmp_path / f"t{i}"
        shutil.copytree(base, out)
        _tamper(out, edit)
        code, _, err = rnnc("sim", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
        assert_clean_error(code, err, "manifest.json", needle)


def test_tampered_arrays_with_a_matching_digest_are_refused(tmp_path):
    """arrays.npz replaced by arrays of the wrong shape or dtype, digest updated to match."""
    import hashlib
    import io
    import json
    out = _compiled(tmp_path)
    with np.load(out / "arrays.npz") as z:
        arrays = {k: z[k] for k in z.files}
    key = next(k for k in arrays if k.endswith("weight"))
    for bad in (arrays[key][:, :-1], arrays[key].astype(np.float64) * np.nan, arrays[key].astype(np.int8)):
        arrays2 = dict(arrays, **{key: bad})
        buf = io.BytesIO()
        np.savez(buf, **arrays2)
        (out / "arrays.npz").write_bytes(buf.getvalue())
        doc = json.loads((out / "manifest.json").read_text())
        doc["files"]["arrays.npz"] = hashlib.sha256(buf.getvalue()).hexdigest()
        (out / "manifest.json").write_text(json.dumps(doc))
        code, _, err = rnnc("sim", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
        assert_clean_error(code, err, "manifest.json", "weight")


# ---- runs too large to start, and cleanup on signals -------------------------------------------------

def test_runs_too_large_are_refused_before_anything_is_written(tmp_path):
    out = _compiled(tmp_path)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    import os
    env = dict(os.environ, TMPDIR=str(tmp))
    res = subprocess.run([sys.executable, "-m", "codegen", "verify", str(out), "--random", "2", "--steps",
                          "100000000"], capture_output=True, text=True, env=env, timeout=60)
    assert_clean_error(res.returncode, res.stderr, "100000000 steps", "GiB")
    assert not list(tmp.iterdir())


def test_temporary_folders_are_removed_when_terminated(tmp_path):
    """SIGTERM during a run removes rnnc's temporary folders (a killed verify used to leave GBs)."""
    import os
    import signal
    import time
    from models import model, recurrent
    m = model([recurrent("gru", 4, 64, name="gru0")], 4)
    out = tmp_path / "o"
    compile_ir(m, str(out), scheme="float")
    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((64, 2000, 4)).astype(np.float32))
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp), RNNC_SANITIZE="1")
    p = subprocess.Popen([sys.executable, "-m", "codegen", "run", str(out), "--input", str(tmp_path / "x.npy"),
                          "--output", str(tmp_path / "y.npy")], env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not any((tmp / d).is_dir() and d.startswith("rnnc-run-")
                                             and (tmp / d / "in.bin").exists() for d in os.listdir(tmp)):
        time.sleep(0.05)
    assert p.poll() is None, "the run ended before it could be interrupted"
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    assert p.returncode == 128 + signal.SIGTERM
    assert not list(tmp.iterdir()), list(tmp.iterdir())


def test_progress_shows_on_a_terminal_only(tmp_path):
    """Long stages (calibration, emission, builds) show a status line when stderr is a
    terminal; piped output stays clean (the one-line error contract above)."""
    import os
    import pty
    ex = Path(__file__).resolve().parent.parent / "examples" / "japanese_vowels"
    args = [sys.executable, "-m", "codegen", "compile", str(ex / "model.onnx"), "-o", str(tmp_path / "o"),
            "--calib", str(ex / "calib.npy")]
    primary, secondary = pty.openpty()
    res = subprocess.run(args, stderr=secondary, stdout=subprocess.PIPE, env=dict(os.environ, TERM="xterm"))
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    assert res.returncode == 0
    assert b"rnnc: calibrating on" in seen and b"rnnc: emitting C" in seen, seen
    res = subprocess.run(args + ["--force"], capture_output=True, text=True)
    assert res.returncode == 0 and res.stderr == ""


def test_max_steps_beyond_the_targets_memory_is_refused(tmp_path):
    """Non-causal models buffer whole sequences statically: a --max-steps whose buffers the
    target cannot hold is an error at compile time, not a link failure later."""
    from models import model, recurrent
    m = model([recurrent("gru", 4, 256, "bidirectional", name="g0"), recurrent("gru", 512, 8, name="g1")], 4)
    compile_ir(m, str(tmp_path / "ok"), scheme="float", target="host", max_steps=1000)
    import pytest
    from codegen.errors import RnncError
    with pytest.raises(RnncError, match="static sequence buffers.*cortex-m55"):
        compile_ir(m, str(tmp_path / "m55"), scheme="float", target="cortex-m55", max_steps=1 << 20)
    with pytest.raises(RnncError, match="static sequence buffers.*host"):
        compile_ir(m, str(tmp_path / "host"), scheme="float", target="host", max_steps=1 << 20)
