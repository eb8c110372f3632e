"""Every registered scheme is complete: each layer kind has a quantizer, a simulator, a C
emitter and a manifest validator for it, and a model using every kind verifies in each scheme."""
from __future__ import annotations

import numpy as np
import pytest

from codegen import ir
from codegen.api import compile_ir, random_input, verify_compiled
from codegen.qmodel import QModel
from codegen.registry import EMITTERS, QUANTIZERS, SIMULATORS, VALIDATORS, layer_kinds, lookup
from codegen.schemes import SCHEMES, scheme_names

from models import dense, model, recurrent

KINDS = {"lstm", "gru", "rnn", "dense", "activation", "embedding", "last_step", "convert"}


def test_the_layer_kinds_are_the_known_ones():
    assert set(layer_kinds()) == KINDS


@pytest.mark.parametrize("scheme", scheme_names())
def test_every_kind_has_all_four_implementations(scheme):
    for kind in sorted(KINDS):
        for table, what in ((QUANTIZERS, "quantizer"), (SIMULATORS, "simulator"), (EMITTERS, "C emitter"),
                            (VALIDATORS, "validator")):
            assert callable(lookup(table, kind, scheme, what)), (kind, scheme, what)


@pytest.mark.parametrize("scheme", scheme_names())
def test_recurrent_kinds_convert_their_state(scheme):
    """Streaming state (--state-in/--state-out) needs every recurrent kind's state codec."""
    from codegen.registry import STATE_CODECS
    for kind in ("lstm", "gru", "rnn"):
        assert callable(lookup(STATE_CODECS, kind, scheme, "state codec")), (kind, scheme)


def test_schemes_describe_themselves():
    for s in SCHEMES.values():
        assert s.family and s.kernel_suffix and s.description
        assert s.is_float == (s.value_range is None)


def _token_model():
    rng = np.random.default_rng(0)
    emb = ir.EmbeddingLayer("emb", rng.standard_normal((11, 5)).astype(np.float32))
    layers = [emb, recurrent("lstm", 5, 6, name="lstm1"), recurrent("gru", 6, 5, "bidirectional", name="gru2"),
              recurrent("rnn", 10, 4, name="rnn3"), ir.LastStepLayer("last4", 4), dense(4, 3, name="fc5"),
              ir.ActivationLayer("soft6", "softmax", 3)]
    m = ir.Model("tok", "tok.onnx", "0" * 64, 1, layers, input_kind="tokens")
    m.validate()
    return m


def _float_model():
    layers = [dense(4, 6, name="fc0"), ir.ActivationLayer("tanh1", "tanh", 6), recurrent("lstm", 6, 5, name="l2"),
              ir.ActivationLayer("sig3", "sigmoid", 5), dense(5, 4, name="fc4"), ir.ActivationLayer("relu5", "relu", 4)]
    return model(layers, 4)


#: the low-bit schemes differ from each other only in their recurrent layers' weight coding,
#: which tests/test_lowbit_schemes.py verifies for every one of them; here one per kernel
VERIFIED = [s for s in scheme_names() if SCHEMES[s].family != "lowbit"] + ["int4", "binary-w2a8", "binary-w2a2"]


@pytest.mark.parametrize("scheme", VERIFIED)
def test_a_model_with_every_kind_verifies(tmp_path, scheme):
    rng = np.random.default_rng(1)
    calib_tokens = rng.integers(0, 11, (6, 8, 1)).astype(np.int32)
    calib = rng.standard_normal((6, 8, 4)).astype(np.float32)
    for name, m, c in (("tok", _token_model(), calib_tokens), ("flt", _float_model(), calib)):
        out = tmp_path / name
        compile_ir(m, str(out), scheme=scheme, calib=c)
        res = verify_compiled(str(out), random_input(QModel.load(out), 3, 7, seed=2))
        assert res.ok, (name, res.summary())
