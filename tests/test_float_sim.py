"""The float reference simulator of LSTM / GRU / RNN (codegen/sim/rnn_float.py), through the
ONNX frontend and the IR, against onnxruntime and ONNX's own backend node cases (1e-5).

Every attribute combination: direction x layout x clip x activations x sequence_lens x
initial state, with peepholes (LSTM) and linear_before_reset (GRU), reading Y or Y_h.
onnxruntime has no layout=1, so a layout-1 model is checked against its layout-0 twin.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from codegen import ir
from codegen.calibrate import Stats
from codegen.frontends import load_model
from codegen.quantize import quantize_model
from codegen.simulate import run_layers, run_model

from onnx_glue_models import B, H, IN, T, rnn_node_model

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def onnxruntime_bt(model: onnx.ModelProto, x_bt: np.ndarray, output: str) -> np.ndarray:
    """Run the layout-0 version of `model` in onnxruntime; return (B, T or 1, D*H)."""
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    y = sess.run(None, {"X": x_bt.transpose(1, 0, 2)})[0]
    if output == "Y":                               # (T, D, B, H)
        return y.transpose(2, 0, 1, 3).reshape(B, T, -1)
    return y.transpose(1, 0, 2).reshape(B, 1, -1)   # Y_h: (D, B, H)


def simulate_float(path: str, x_bt: np.ndarray) -> np.ndarray:
    return run_model(quantize_model(load_model(path), "float"), x_bt)


def _combos():
    out = []
    for op, direction, layout, clip, acts, lens, init in itertools.product(
            GATES, ("forward", "reverse", "bidirectional"), (0, 1), (None, 0.8), (False, True),
            (None, [5, 2, 4]), (False, True)):
        extra = {"peep": [False, True]} if op == "LSTM" else {"lbr": [0, 1]} if op == "GRU" else {"_": [0]}
        for (key, values) in extra.items():
            for v in values:
                kw = dict(op=op, direction=direction, layout=layout, clip=clip, acts=acts,
                          seq_lens=lens, init=init)
                if key != "_":
                    kw[key] = v
                kw["output"] = "Y_h" if len(out) % 3 == 2 else "Y"
                out.append(kw)
    return out


COMBOS = _combos()


def _id(kw):
    parts = [kw["op"], kw["direction"][:3], f"L{kw['layout']}", kw["output"]]
    parts += [n for n, on in (("clip", kw["clip"]), ("acts", kw["acts"]), ("lens", kw["seq_lens"]),
                              ("init", kw["init"]), ("peep", kw.get("peep")), ("lbr", kw.get("lbr")))
              if on]
    return "-".join(parts)


@pytest.mark.parametrize("kw", COMBOS, ids=[_id(k) for k in COMBOS])
def test_every_attribute_combination_matches_onnxruntime(kw, tmp_path):
    model = rnn_node_model(**kw, seed=len(_id(kw)))
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    x = np.random.default_rng(7).standard_normal((B, T, IN)).astype(np.float32)
    twin = rnn_node_model(**{**kw, "layout": 0}, seed=len(_id(kw)))
    want = onnxruntime_bt(twin, x, kw["output"])
    got = simulate_float(str(path), x)
    np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5)


def test_combinations_cover_every_attribute():
    assert len(COMBOS) == 2 * 3 * 2 * 2 * 2 * 2 * 2 * 2 + 3 * 2 * 2 * 2 * 2 * 2  # 480
    assert {k["output"] for k in COMBOS} == {"Y", "Y_h"}


# --- ONNX's own backend node cases --------------------------------------------------------

def _node_cases():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from onnx.backend.test.case.node import collect_testcases
        cases = collect_testcases()
    named = {c.name: c for c in cases if c.name.startswith(("test_lstm", "test_gru", "test_rnn", "test_simple_rnn"))}
    return [named[k] for k in sorted(named)]


NODE_CASES = _node_cases()


def _frozen(case, output: str, tmp_path):
    """The case's model with every input but X turned into an initializer, one output kept."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    inputs, outputs = case.data_sets[0]
    g = model.graph
    feeds = dict(zip([i.name for i in g.input], inputs))
    x = feeds.pop("X")
    g.initializer.extend(numpy_helper.from_array(np.asarray(v), k) for k, v in feeds.items())
    keep = [i for i in g.input if i.name == "X"]
    del g.input[:]
    g.input.extend(keep)
    names = [o.name for o in g.output]
    want = outputs[names.index(output)]
    keep_out = [o for o in g.output if o.name == output]
    del g.output[:]
    g.output.extend(keep_out)
    path = tmp_path / f"{case.name}.onnx"
    onnx.save(model, path)
    return str(path), np.asarray(x, np.float32), np.asarray(want)


@pytest.mark.parametrize("case", NODE_CASES, ids=[c.name for c in NODE_CASES])
def test_onnx_backend_node_case(case, tmp_path):
    outputs = [o.name for o in case.model.graph.output]
    for output in [o for o in ("Y", "Y_h") if o in outputs]:
        path, x, want = _frozen(case, output, tmp_path)
        m = load_model(path)
        layout1 = m.metadata["onnx_input_axes"].startswith("B")
        x_bt = x if layout1 else x.transpose(1, 0, 2)
        got = run_model(quantize_model(m, "float"), x_bt)
        if output == "Y":   # (T, D, B, H) or (B, T, D, H)
            want = want.reshape(want.shape[0], want.shape[1], -1) if layout1 else \
                want.transpose(2, 0, 1, 3).reshape(x_bt.shape[0], x_bt.shape[1], -1)
        else:               # (D, B, H) or (B, D, H)
            want = want.reshape(want.shape[0], 1, -1) if layout1 else \
                want.transpose(1, 0, 2).reshape(want.shape[1], 1, -1)
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=1e-5, err_msg=output)


def test_backend_node_cases_are_generated():
    assert len(NODE_CASES) >= 18, [c.name for c in NODE_CASES]


# --- the simulator on IR layers directly ----------------------------------------------------

def _float_layers(layer, input_size):
    m = ir.Model("m", "m.onnx", "0" * 64, input_size, [layer])
    m.validate()
    return quantize_model(m, "float").layers


def _lstm(direction="forward", seed=0):
    rng = np.random.default_rng(seed)
    nd = 2 if direction == "bidirectional" else 1
    dirs = [ir.DirectionParams({g: ir.GateWeights(*(rng.standard_normal(s).astype(np.float32) * 0.5
                                                     for s in ((H, IN), (H, H), (H,), (H,))))
                                for g in ir.GATES["lstm"]}) for _ in range(nd)]
    return ir.RecurrentLayer("lstm0", "lstm", IN, H, direction, dirs)


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_rows_are_independent_and_padding_is_ignored(direction):
    """Row b with length L gives the same outputs as that row alone, cut to L steps; steps
    beyond L are zero and whatever lies there in the input has no effect."""
    layers = _float_layers(_lstm(direction), IN)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 7, IN)).astype(np.float32)
    lengths = np.array([7, 3, 0])
    y = run_layers(layers, x, lengths)
    for b, n in enumerate(lengths):
        assert not y[b, n:].any()
        if n:
            alone = run_layers(layers, x[b:b + 1, :n], np.array([n]))
            np.testing.assert_allclose(y[b:b + 1, :n], alone, atol=1e-6)
    x2 = x.copy()
    x2[1, 3:] = 1e3
    np.testing.assert_array_equal(run_layers(layers, x2, lengths), y)


def test_stats_record_gate_pre_activations_cell_and_hidden():
    layer = _lstm("bidirectional")
    layers = _float_layers(layer, IN)
    x = np.random.default_rng(4).standard_normal((2, 6, IN)).astype(np.float32)
    stats = [Stats()]
    run_layers(layers, x, np.array([6, 2]), stats=stats)
    names = set(stats[0].ranges)
    assert {"gate_i", "gate_f", "gate_c", "gate_o", "cell", "hidden", "in", "out"} <= names
    # both directions pooled over the valid steps only: 2 * (6 + 2) steps of H values
    assert stats[0].range("cell").count == 2 * 8 * H
    assert stats[0].range("hidden").absmax <= 1.0


@pytest.mark.parametrize("kind,names", [("gru", {"gate_z", "gate_r", "gate_h", "hidden"}),
                                        ("rnn", {"gate_h", "hidden"})])
def test_stats_names_for_gru_and_rnn(kind, names):
    rng = np.random.default_rng(5)
    gates = {g: ir.GateWeights(*(rng.standard_normal(s).astype(np.float32) for s in ((H, IN), (H, H), (H,), (H,))))
             for g in ir.GATES[kind]}
    layer = ir.RecurrentLayer(f"{kind}0", kind, IN, H, "forward", [ir.DirectionParams(gates)])
    stats = [Stats()]
    run_layers(_float_layers(layer, IN), rng.standard_normal((2, 4, IN)).astype(np.float32),
               np.array([4, 1]), stats=stats)
    assert names <= set(stats[0].ranges)
    assert stats[0].range("hidden").count == 5 * H


def test_quantizer_carries_the_ir_layer():
    q = _float_layers(_lstm("bidirectional"), IN)[0]
    assert (q.kind, q.scheme, q.in_size, q.out_size) == ("lstm", "float", IN, 2 * H)
    assert q.ir is not None and q.causal is False
    assert q.attrs["direction"] == "bidirectional" and q.attrs["hidden_size"] == H
