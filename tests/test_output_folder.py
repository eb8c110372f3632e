"""The output folder is shared with the user: rnnc builds only what it wrote, never replaces a
file it did not write (or that was edited) without --force, never tears its files when two
compiles or runs meet in one folder, and never writes a file name that collides with the
testbench or shadows a system header."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from codegen.api import compile_ir, compile_model, run_compiled, verify_compiled
from codegen.emit.names import RESERVED_HEADERS
from codegen.errors import RnncError
from codegen.qmodel import QModel

from models import dense, model, recurrent
from test_cli import assert_clean_error, rnnc
from test_pipeline import dense_model

X = np.random.default_rng(3).standard_normal((2, 4, 4)).astype(np.float32)


def _lstm():
    return model([recurrent("lstm", 4, 6, name="lstm0"), dense(6, 3, name="fc1")], 4, name="tiny")


def _calib():
    return np.random.default_rng(0).standard_normal((4, 5, 4)).astype(np.float32)


# ---- file names (defect: prefixes that collide) -----------------------------------------------

@pytest.mark.parametrize("prefix", ["testbench", "stdint", "math", "string", "rnnc", "rnnc_fc_s8", "immintrin",
                                    "arm_acle"])
def test_colliding_prefixes_are_refused(tmp_path, prefix):
    with pytest.raises(RnncError, match="prefix"):
        compile_ir(dense_model(), str(tmp_path / "o"), scheme="float", prefix=prefix)
    assert not (tmp_path / "o" / f"{prefix}.h").exists()


@pytest.mark.parametrize("stem,want", [("testbench", "testbench_model"), ("math", "math_model"),
                                       ("stdint", "stdint_model"), ("rnnc_testbench", "model_rnnc_testbench")])
def test_model_file_names_that_collide_get_a_safe_prefix(tmp_path, stem, want):
    """A model saved as testbench.onnx (or math.onnx) compiles into files that build and verify."""
    m = dense_model(name=stem)
    qm = compile_ir(m, str(tmp_path), scheme="float")
    assert qm.name == want and (tmp_path / f"{want}.c").is_file()
    assert verify_compiled(str(tmp_path), X).ok


@pytest.mark.parametrize("prefix", ["kernels", "target", "manifest", "arrays", "makefile", "model", "main_",
                                    "int_", "x" * 32, "rnn", "kws2"])
def test_any_accepted_prefix_builds_and_verifies(tmp_path, prefix):
    """Every prefix compile accepts gives a working build (files beside kernels/, target/,
    manifest.json and the Makefile included)."""
    compile_ir(dense_model(), str(tmp_path), scheme="float", prefix=prefix)
    assert verify_compiled(str(tmp_path), X).ok


def test_every_reserved_header_name_is_refused_as_a_prefix():
    from codegen.emit.names import check_prefix
    for name in RESERVED_HEADERS:
        with pytest.raises(RnncError):
            check_prefix(name)


# ---- ownership of the files in OUT --------------------------------------------------------------

def test_a_users_own_c_file_is_not_linked(tmp_path):
    """A main.c of the user's in OUT used to be linked into the testbench (two main())."""
    compile_ir(dense_model(), str(tmp_path), scheme="float")
    (tmp_path / "main.c").write_text("int main(void) { return 0; }\n")
    (tmp_path / "kernels" / "mine.c").write_text("#error this is not rnnc's\n")
    assert verify_compiled(str(tmp_path), X).ok


def test_a_users_makefile_is_not_overwritten_without_force(tmp_path):
    (tmp_path / "Makefile").write_text("all:\n\techo mine\n")
    code, _, err = rnnc("compile", _fixture(), "-o", tmp_path)
    assert_clean_error(code, err, "Makefile", "not written by rnnc", "--force")
    assert (tmp_path / "Makefile").read_text() == "all:\n\techo mine\n"
    assert not (tmp_path / "manifest.json").exists()
    code, _, err = rnnc("compile", _fixture(), "-o", tmp_path, "--force")
    assert code == 0, err
    assert "rnnc" in (tmp_path / "Makefile").read_text()


def test_an_edited_generated_file_is_kept_without_force(tmp_path):
    qm = compile_ir(dense_model(), str(tmp_path), scheme="float", prefix="m")
    h = tmp_path / "m.h"
    h.write_text(h.read_text() + "/* my note */\n")
    with pytest.raises(RnncError, match="changed since rnnc wrote it"):
        compile_ir(dense_model(), str(tmp_path), scheme="float", prefix="m")
    assert h.read_text().endswith("/* my note */\n")
    compile_ir(dense_model(), str(tmp_path), scheme="float", prefix="m", force=True)
    assert "my note" not in h.read_text() and QModel.load(tmp_path).files == qm.files


def test_a_foreign_manifest_is_not_overwritten(tmp_path):
    (tmp_path / "manifest.json").write_text('{"name": "my web app"}\n')
    with pytest.raises(RnncError, match="manifest.json.*not written by rnnc"):
        compile_ir(dense_model(), str(tmp_path), scheme="float")


def test_files_of_an_earlier_compile_are_removed_and_users_files_kept(tmp_path):
    compile_ir(dense_model(), str(tmp_path), scheme="float", prefix="first")
    (tmp_path / "notes.txt").write_text("mine")
    compile_ir(dense_model(), str(tmp_path), scheme="float", prefix="second")
    assert not (tmp_path / "first.c").exists() and not (tmp_path / "first.h").exists()
    assert (tmp_path / "second.c").is_file() and (tmp_path / "notes.txt").read_text() == "mine"
    listed = json.loads((tmp_path / "manifest.json").read_text())["files"]
    assert "second.c" in listed and "first.c" not in listed and "notes.txt" not in listed


def test_unwritable_output_folders_are_user_errors(tmp_path):
    (tmp_path / "file").write_text("x")
    for out in ("/proc/rnnc-test/o", tmp_path / "file" / "o", tmp_path / "file"):
        code, _, err = rnnc("compile", _fixture(), "-o", out)
        assert_clean_error(code, err, str(out))
    if os.geteuid() != 0:   # root writes into read-only folders anyway
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        code, _, err = rnnc("compile", _fixture(), "-o", ro / "o")
        assert_clean_error(code, err, str(ro / "o"))


# ---- concurrency ----------------------------------------------------------------------------------

def test_concurrent_compiles_into_one_folder_leave_a_consistent_model(tmp_path):
    """Compiles of different models into one OUT at the same time: the last one wins whole,
    manifest.json, arrays.npz and the sources always belong together."""
    calib = _calib()
    jobs = [(scheme, seed) for scheme in ("int8", "int16x8", "float") for seed in (0, 1)]

    def one(job):
        scheme, seed = job
        m = model([recurrent("lstm", 4, 6, seed=seed, name="lstm0"), dense(6, 3, seed=seed, name="fc1")], 4)
        compile_ir(m, str(tmp_path), scheme=scheme, calib=calib, prefix="m", force=True)
    with ThreadPoolExecutor(6) as ex:
        list(ex.map(one, jobs))
    assert verify_compiled(str(tmp_path), X).ok


def test_concurrent_runs_on_a_fresh_folder_all_succeed(tmp_path):
    """Eight `rnnc run` on a never-built OUT used to race on the build folder ("Text file busy")."""
    compile_ir(_lstm(), str(tmp_path), scheme="int8", calib=_calib())
    np.save(tmp_path.parent / "x.npy", X)
    procs = [subprocess.Popen([sys.executable, "-m", "codegen", "run", str(tmp_path), "--input",
                               str(tmp_path.parent / "x.npy"), "--output", str(tmp_path.parent / f"y{i}.npy")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(8)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    ys = [np.load(tmp_path.parent / f"y{i}.npy") for i in range(8)]
    assert all(np.array_equal(y, ys[0]) for y in ys)
    assert not [p for p in (tmp_path / ".build").iterdir() if p.name.startswith(".tmp-")]


def test_a_torn_or_edited_arrays_file_is_refused(tmp_path):
    compile_ir(dense_model(), str(tmp_path), scheme="float")
    other = tmp_path / "other"
    compile_ir(dense_model(seed=5), str(other), scheme="float")
    (tmp_path / "arrays.npz").write_bytes((other / "arrays.npz").read_bytes())
    with pytest.raises(RnncError, match="arrays.npz.*does not match manifest.json"):
        run_compiled(str(tmp_path), X)


def _fixture() -> Path:
    return Path(__file__).parent / "fixtures" / "tflite" / "lstm_t8_f4_h16.tflite"


def test_builds_move_to_the_users_cache_when_out_cannot_hold_them(tmp_path, monkeypatch):
    """A compiled folder where .build cannot be made (read-only, or the name is taken) still
    runs: the build cache moves to the user's cache folder."""
    out = tmp_path / "o"
    qm = compile_model(str(_fixture()), str(out))
    (out / ".build").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    x = np.load(Path(__file__).parent / "fixtures" / "tflite" / "lstm_t8_f4_h16.input.npy")
    assert run_compiled(str(out), x).shape[2] == qm.output_size
    assert list((tmp_path / "cache").rglob("testbench"))
