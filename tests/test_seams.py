"""The scheme seam holds: a new scheme family is registrations only (docs/internals.md,
"add a scheme"). The family below computes like tflite-int under its own name, registered
from this file alone; it compiles, verifies, mixes with the built-in schemes and round-trips
through the manifest, so nothing outside the registries names the schemes it knows."""
from __future__ import annotations

import numpy as np
import pytest

from codegen import registry
from codegen.api import compile_ir, verify_compiled
from codegen.qmodel import QModel
from codegen.registry import EMITTERS, QUANTIZERS, SIMULATORS, VALIDATORS, lookup
from codegen.schemes import SCHEMES, Scheme

from models import dense, model, recurrent

FAMILY = "shadow"
KINDS = ("lstm", "gru", "rnn", "dense", "activation", "embedding", "last_step", "convert")


@pytest.fixture
def shadow_family(monkeypatch):
    """Register scheme 'int8-shadow' and, for every kind, implementations that delegate to the
    tflite-int family's (what a real family would write itself)."""
    registry.load_plugins()
    monkeypatch.setitem(SCHEMES, "int8-shadow", Scheme("int8-shadow", FAMILY, "int8", "int8-symmetric", 8, "int32",
                                                       "s8", "a test family: tflite-int arithmetic"))
    for kind in KINDS:
        base = {id(t): lookup(t, kind, "int8", "x") for t in (QUANTIZERS, SIMULATORS, EMITTERS, VALIDATORS)}

        def quantize(layer, ctx, _q=base[id(QUANTIZERS)]):
            return _q(layer, ctx)          # ctx.scheme is 'int8-shadow': the QLayer carries it
        for table, fn in ((QUANTIZERS, quantize), (SIMULATORS, base[id(SIMULATORS)]), (EMITTERS, base[id(EMITTERS)]),
                          (VALIDATORS, base[id(VALIDATORS)])):
            monkeypatch.setitem(table, (kind, registry.FAMILY + FAMILY), fn)
    yield "int8-shadow"


def test_a_new_family_is_registrations_only(tmp_path, shadow_family):
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((6, 8, 4)).astype(np.float32)
    m = model([recurrent("lstm", 4, 6, name="l0"), recurrent("gru", 6, 5, "bidirectional", name="g1"),
               dense(10, 3, name="d2")], 4)
    for scheme, overrides in ((shadow_family, None), ("int16x8", {"g1": shadow_family}),
                              (shadow_family, {"d2": "float"})):
        out = tmp_path / f"{scheme}-{len(overrides or {})}"
        qm = compile_ir(m, str(out), scheme=scheme, calib=calib, layer_schemes=overrides)
        assert shadow_family in {q.scheme for q in qm.layers}
        assert [q.scheme for q in QModel.load(out).layers] == [q.scheme for q in qm.layers]
        res = verify_compiled(str(out), rng.standard_normal((3, 7, 4)).astype(np.float32))
        assert res.ok, (scheme, overrides, res.summary())
