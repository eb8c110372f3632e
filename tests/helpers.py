"""Helpers for tests: compile an IR model into a temp folder and check C == simulator."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from codegen.api import compile_ir, verify_compiled
from codegen.qmodel import QModel


def compile_and_verify(model, tmp_path: Path, scheme: str, x: np.ndarray,
                       calib: np.ndarray | None = None, **kw) -> QModel:
    """Compile, run the C (ASan/UBSan), simulate, and assert equality (exact for integers)."""
    out = Path(tmp_path) / f"{model.name}_{scheme}"
    qm = compile_ir(model, str(out), scheme=scheme, calib=calib, **kw)
    res = verify_compiled(str(out), x)
    assert res.ok, res.summary()
    return qm
