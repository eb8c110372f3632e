"""The compile -> C -> run -> verify pipeline on small IR models (float glue layers)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from codegen import ir
from codegen.api import compile_ir, run_compiled, simulate_compiled, verify_compiled
from codegen.qmodel import QModel

from helpers import compile_and_verify


def dense_model(name="toy", sizes=(4, 6, 3), seed=0, softmax=True):
    rng = np.random.default_rng(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(ir.DenseLayer(f"fc{i}", rng.standard_normal((b, a)).astype(np.float32),
                                    rng.standard_normal(b).astype(np.float32)))
        layers.append(ir.ActivationLayer(f"act{i}", "tanh" if i < len(sizes) - 2 else
                                         ("softmax" if softmax else "relu"), b))
    m = ir.Model(name, f"{name}.onnx", "ab" * 32, sizes[0], layers)
    m.validate()
    return m


def test_float_dense_chain_matches_simulator(tmp_path):
    x = np.random.default_rng(1).standard_normal((3, 7, 4)).astype(np.float32)
    compile_and_verify(dense_model(), tmp_path, "float", x)


def test_simulator_matches_numpy_reference(tmp_path):
    """Independent check of the float glue simulator against plain numpy."""
    m = dense_model(softmax=False)
    compile_ir(m, str(tmp_path / "o"), scheme="float")
    x = np.random.default_rng(2).standard_normal((2, 3, 4)).astype(np.float32)
    fc0, _, fc1, _ = m.layers
    h = np.tanh(x @ fc0.weight.T + fc0.bias)
    want = np.maximum(h @ fc1.weight.T + fc1.bias, 0)
    np.testing.assert_allclose(simulate_compiled(str(tmp_path / "o"), x), want, rtol=1e-5, atol=1e-6)


def test_step_and_chunked_streaming_equal_whole_run(tmp_path):
    out = tmp_path / "o"
    compile_ir(dense_model(), str(out), scheme="float")
    x = np.random.default_rng(3).standard_normal((2, 9, 4)).astype(np.float32)
    whole = run_compiled(str(out), x)
    np.testing.assert_array_equal(run_compiled(str(out), x, api="step"), whole)
    np.testing.assert_array_equal(run_compiled(str(out), x, chunk=4), whole)


def test_output_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    compile_ir(dense_model(), str(a), scheme="float")
    compile_ir(dense_model(), str(b), scheme="float")
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_header_documents_api_and_provenance(tmp_path):
    compile_ir(dense_model(), str(tmp_path), scheme="float", prefix="kws")
    h = (tmp_path / "kws.h").read_text()
    for needle in ("kws_state_t", "kws_reset", "kws_step", "kws_run", "rnnc 0.1.0", "ab" * 32, "float"):
        assert needle in h
    c = (tmp_path / "kws.c").read_text()
    assert "#include <stdio.h>" not in c and "malloc(" not in c and "printf" not in c


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_generated_makefile_builds_clean(tmp_path, cc):
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} is not installed (make setup installs clang when run as root)")
    compile_ir(dense_model(), str(tmp_path), scheme="float")
    res = subprocess.run(["make", "-C", str(tmp_path), f"CC={cc}"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "testbench").is_file()


def test_manifest_round_trip(tmp_path):
    qm = compile_ir(dense_model(), str(tmp_path), scheme="float")
    back = QModel.load(tmp_path)
    assert [l.name for l in back.layers] == [l.name for l in qm.layers]
    np.testing.assert_array_equal(back.layers[0].ir.weight, qm.layers[0].ir.weight)


def test_verify_reports_first_differing_layer(tmp_path):
    """Tamper with one generated weight: verify must fail and name layer, step and element."""
    compile_ir(dense_model(), str(tmp_path), scheme="float", prefix="m")
    w = tmp_path / "m_weights.h"
    text = w.read_text()
    start = text.index("m_l2_weight")
    brace = text.index("{", start) + 1
    end = text.index(",", brace)
    w.write_text(text[:brace] + "\n    123.0f" + text[end:])
    x = np.random.default_rng(4).standard_normal((2, 3, 4)).astype(np.float32)
    res = verify_compiled(str(tmp_path), x)
    assert not res.ok
    assert "layer 'fc1' (index 2" in res.first and "step 0" in res.first and "element 0" in res.first


@pytest.mark.parametrize("cc", ["gcc", "clang"])
def test_every_integer_kernel_builds_clean(tmp_path, cc):
    """LSTM, GRU (both variants), RNN and dense in int8 and int16x8, -Werror -pedantic."""
    if shutil.which(cc) is None:
        pytest.skip(f"{cc} is not installed (make setup installs clang when run as root)")
    from models import dense as mk_dense, model as mk_model, recurrent
    for scheme in ("int8", "int16x8"):
        layers = [recurrent("lstm", 4, 8, name="lstm0"), recurrent("gru", 8, 8, name="gru1"),
                  recurrent("gru", 8, 8, lbr=True, name="gru2"), recurrent("rnn", 8, 8, "bidirectional", name="rnn3"),
                  mk_dense(16, 3, name="dense4")]
        m = mk_model(layers, 4)
        calib = np.random.default_rng(0).standard_normal((4, 6, 4)).astype(np.float32)
        out = tmp_path / scheme
        compile_ir(m, str(out), scheme=scheme, calib=calib)
        res = subprocess.run(["make", "-C", str(out), f"CC={cc}"], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
