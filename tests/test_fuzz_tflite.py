"""Fuzz the TFLite reader with 10,000 mutated files: each must load or raise RnncError naming
the file, quickly. The frontend's catch-all is switched off here, so an exception that the
explicit bounds checks missed fails the test instead of being converted."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from codegen.errors import RnncError
from codegen.frontends import tflite_frontend
from codegen.frontends.tflite_frontend import load_tflite

from fuzz_util import mutations
from test_tflite_frontend import FIXTURES, fc_model, lstm_model

N = 10_000
BUDGET_S = 60.0     # CPU seconds of this process, so a loaded machine does not make it flaky
PER_FILE_S = 1.0


def _seeds() -> list[bytes]:
    own = [lstm_model(fc_act=1).build(), lstm_model(quantize_io=True, reshape=True, head=3).build(),
           fc_model().build()]
    fixtures = [p.read_bytes() for p in sorted(FIXTURES.glob("*.tflite")) if p.stat().st_size < 50_000]
    return own + fixtures


def _word_mutations(seeds: list[bytes], count: int, seed: int):
    """Aligned 32-bit words (offsets, lengths, indices) set to random or nearby values."""
    rng = np.random.default_rng(seed)
    for k in range(count):
        data = bytearray(seeds[k % len(seeds)])
        for _ in range(int(rng.integers(1, 4))):
            i = 4 * int(rng.integers(0, len(data) // 4))
            old = int.from_bytes(data[i:i + 4], "little")
            near = (old + int(rng.integers(-16, 17))) % 2 ** 32
            new = int(rng.integers(0, 2 ** 32)) if rng.random() < 0.5 else near
            data[i:i + 4] = new.to_bytes(4, "little")
        yield bytes(data)


def test_fuzz_tflite_reader(tmp_path, monkeypatch):
    monkeypatch.setattr(tflite_frontend, "CATCH_UNEXPECTED", False)
    seeds = _seeds()
    for s in seeds:   # every seed is a valid model
        (tmp_path / "seed.tflite").write_bytes(s)
        load_tflite(str(tmp_path / "seed.tflite"))
    path = str(tmp_path / "fuzz.tflite")
    outcomes = {"ok": 0, "error": 0}
    start = time.process_time()
    n_bytes = N * 7 // 10
    cases = list(mutations(seeds, n_bytes, seed=11)) + list(_word_mutations(seeds, N - n_bytes, seed=12))
    for k, data in enumerate(cases):
        Path(path).write_bytes(data)
        t0 = time.process_time()
        try:
            load_tflite(path)
            outcomes["ok"] += 1
        except RnncError as e:
            assert path in str(e), e
            outcomes["error"] += 1
        except Exception as e:  # pragma: no cover - the failure being looked for
            (tmp_path / f"crash{k}.tflite").write_bytes(data)
            raise AssertionError(f"mutation {k} raised {type(e).__name__}: {e}") from e
        assert time.process_time() - t0 < PER_FILE_S, f"mutation {k} took too long"
    elapsed = time.process_time() - start
    assert outcomes["ok"] + outcomes["error"] == N
    assert outcomes["error"] > N // 10 and outcomes["ok"] > N // 10, outcomes
    assert elapsed < BUDGET_S, f"{N} files took {elapsed:.1f}s"


@pytest.mark.parametrize("seed", range(3))
def test_catch_all_still_gives_rnnc_error(seed, tmp_path, monkeypatch):
    """With the catch-all on (the default), even an unexpected defect is one RnncError line."""
    import codegen.frontends.tflite_reader as reader

    def boom(*a, **k):
        raise IndexError("simulated defect")
    monkeypatch.setattr(reader.TFLiteFile, "operator", boom)
    p = tmp_path / f"m{seed}.tflite"
    p.write_bytes(lstm_model(seed=seed).build())
    with pytest.raises(RnncError, match="IndexError"):
        load_tflite(str(p))
