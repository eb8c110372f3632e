"""Fuzz both frontends with 10,000 mutated model files each: every file must load or raise
RnncError (the CLI turns that into one clear line); no other exception, crash or hang."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from codegen.errors import RnncError
from codegen.frontends import load_model

from fuzz_util import mutations

ROOT = Path(__file__).resolve().parent.parent
N = 10_000


def _fuzz(seeds: list[bytes], suffix: str, tmp_path: Path, budget_s: float):
    path = tmp_path / f"fuzz{suffix}"
    start = time.monotonic()
    outcomes = {"ok": 0, "error": 0}
    for k, data in enumerate(mutations(seeds, N, seed=len(suffix))):
        path.write_bytes(data)
        try:
            load_model(str(path))
            outcomes["ok"] += 1
        except RnncError as e:
            assert str(path) in str(e), e      # the message names the file
            outcomes["error"] += 1
        except Exception as e:  # pragma: no cover - this is the failure being looked for
            (tmp_path / f"crash{k}{suffix}").write_bytes(data)
            raise AssertionError(f"mutation {k} raised {type(e).__name__}: {e}") from e
        assert time.monotonic() - start < budget_s, f"fuzzing slower than {budget_s}s after {k} files"
    assert outcomes["ok"] + outcomes["error"] == N
    return outcomes


def test_fuzz_onnx_parser(tmp_path):
    seeds = [(ROOT / "examples/japanese_vowels/model.onnx").read_bytes()]
    seeds += [p.read_bytes() for p in sorted((ROOT / "tests/fixtures/onnx").glob("*.onnx"))][:4]
    out = _fuzz(seeds, ".onnx", tmp_path, budget_s=240)
    assert out["error"] > N // 10


def test_fuzz_tflite_parser(tmp_path):
    seeds = [p.read_bytes() for p in sorted((ROOT / "tests/fixtures/tflite").glob("*.tflite"))
             if p.stat().st_size < 50_000]
    assert seeds
    out = _fuzz(seeds, ".tflite", tmp_path, budget_s=240)
    assert out["error"] > N // 10
