"""The machine-wide kernel object cache (codegen/toolchain/objcache.py): a second model reuses
the first one's kernel objects, any change to a kernel file or a header it includes compiles
anew, and the programs built with and without it compute the simulator's numbers."""
from __future__ import annotations

import numpy as np
import pytest

from codegen.api import compile_ir, run_compiled, simulate_compiled
from codegen.toolchain import objcache

from models import dense, model, recurrent

CALIB = np.random.default_rng(3).standard_normal((6, 10, 4)).astype(np.float32)
X = np.random.default_rng(1).standard_normal((2, 7, 4)).astype(np.float32)


def _objects(root):
    return sorted(p.name for p in root.rglob("*.o"))


def _compile(out, H):
    return compile_ir(model([recurrent("lstm", 4, H, name="l0"), dense(H, 5, name="l1")], 4), str(out),
                      scheme="int8", calib=CALIB)


def test_second_model_links_the_first_ones_objects(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNC_OBJECT_CACHE", str(tmp_path / "cache"))
    _compile(tmp_path / "a", 8)
    ya = run_compiled(str(tmp_path / "a"), X)
    np.testing.assert_array_equal(ya, simulate_compiled(str(tmp_path / "a"), X))
    first = _objects(tmp_path / "cache")
    assert first, "the kernels were not cached"
    _compile(tmp_path / "b", 9)      # other weights and sizes, the same kernel files
    np.testing.assert_array_equal(run_compiled(str(tmp_path / "b"), X), simulate_compiled(str(tmp_path / "b"), X))
    assert _objects(tmp_path / "cache") == first
    monkeypatch.setenv("RNNC_OBJECT_CACHE", "off")
    _compile(tmp_path / "c", 8)
    np.testing.assert_array_equal(run_compiled(str(tmp_path / "c"), X), ya)


def test_key_follows_the_file_and_its_included_headers():
    files = {"kernels/k.c": b'#include "k.h"\nint f(void) { return K; }\n', "kernels/k.h": b'#include "c.h"\n',
             "kernels/c.h": b"#define K 1\n"}
    key = lambda fs, flags=("-O2",): objcache.object_key("cc 1", list(flags), [], fs, "kernels/k.c", ["."])  # noqa: E731
    base = key(files)
    assert base == key(dict(files))
    assert key({**files, "kernels/c.h": b"#define K 2\n"}) != base      # a header two levels down
    assert key({**files, "kernels/k.c": files["kernels/k.c"] + b"\n"}) != base
    assert key(files, ("-O3",)) != base
    assert objcache.object_key("cc 2", ["-O2"], [], files, "kernels/k.c", ["."]) != base
    del files["kernels/c.h"]
    assert key(files) is None          # an include outside the snapshot: not cached


@pytest.mark.parametrize("value", ["off", "0"])
def test_cache_can_be_turned_off(value, monkeypatch):
    monkeypatch.setenv("RNNC_OBJECT_CACHE", value)
    assert objcache.cache_dir() is None
