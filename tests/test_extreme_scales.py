"""Extreme scales for every (layer kind, integer scheme): the quantizer either refuses the
layer cleanly (UnsupportedError naming it) or the generated C equals the simulator bit for
bit on inputs over the whole integer range. Weights x50 and inputs x3e4 once made 179 of 192
outputs of an int16x8 GRU differ (the simulator did not truncate as the C does), and an input
shift of 15 crashed the GRU simulator."""
from __future__ import annotations

import numpy as np
import pytest

from codegen import ir
from codegen.api import compile_ir, random_input, verify_compiled
from codegen.errors import UnsupportedError
from codegen.qmodel import QModel

from models import model, recurrent

KINDS = {
    "lstm": lambda s: recurrent("lstm", 5, 8, scale=s, name="l0"),
    "gru": lambda s: recurrent("gru", 5, 8, scale=s, name="l0"),
    "gru_lbr": lambda s: recurrent("gru", 5, 8, scale=s, lbr=True, name="l0"),
    "rnn_tanh": lambda s: recurrent("rnn", 5, 8, scale=s, name="l0"),
    "rnn_relu": lambda s: _relu(recurrent("rnn", 5, 8, scale=s, name="l0")),
    "dense": lambda s: ir.DenseLayer("l0", (np.random.default_rng(4).standard_normal((8, 5)) * s).astype(np.float32),
                                     (np.random.default_rng(5).standard_normal(8) * s).astype(np.float32)),
}
SCALES = [(1.0, 1.0), (50.0, 3e4), (50.0, 1e-3), (1e-3, 3e4), (1e-3, 1e-3)]   # (weights, inputs)


def _relu(layer):
    layer.activations = (ir.ActivationSpec("relu"),)
    return layer


@pytest.mark.parametrize("scheme", ["int8", "int16x8"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_extreme_scales_refuse_or_match_bit_for_bit(tmp_path, kind, scheme):
    outcomes = []
    for i, (w_scale, x_scale) in enumerate(SCALES):
        m = model([KINDS[kind](w_scale)], 5)
        calib = (np.random.default_rng(i).standard_normal((4, 12, 5)) * x_scale).astype(np.float32)
        out = tmp_path / f"s{i}"
        try:
            compile_ir(m, str(out), scheme=scheme, calib=calib)
        except UnsupportedError as e:
            assert "l0" in str(e) and "Traceback" not in str(e)
            outcomes.append("refused")
            continue
        x = random_input(QModel.load(out), 4, 24, seed=i)     # the full integer input range
        res = verify_compiled(str(out), x)
        assert res.ok, f"weights x{w_scale}, inputs x{x_scale}: {res.summary()}"
        outcomes.append("exact")
    assert outcomes[0] == "exact", outcomes          # ordinary scales always compile


@pytest.mark.parametrize("kind", ["gru", "rnn_tanh", "lstm"])
def test_int16_fc_shift_beyond_14_is_refused_by_name(tmp_path, kind):
    """s_x * s_W >= 4: the int64 requantization would shift by 15 - shift <= 0 (a negative
    shift in the simulator, undefined behaviour in C); every kind refuses it the same way."""
    m = model([KINDS[kind](500.0)], 5)
    calib = (np.random.default_rng(0).standard_normal((4, 12, 5)) * 3e5).astype(np.float32)
    with pytest.raises(UnsupportedError, match=r"shift > 14") as e:
        compile_ir(m, str(tmp_path), scheme="int16x8", calib=calib)
    assert "l0" in str(e.value)
