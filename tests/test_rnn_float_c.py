"""Generated float32 C for LSTM / GRU / RNN layers (codegen/emit/layers/rnn_float.py).

Each bundle below is one model: a stack of recurrent layers, each built as a one-node ONNX
model with onnx.helper and converted by the ONNX frontend. A bundle is compiled once (with
-Werror and ASan/UBSan) and then checked
- against the float simulator, layer by layer (compile_and_verify),
- against ONNX itself, layer by layer, with per-row lengths and with saturating inputs:
  onnx.reference where it implements the node's attributes (it ignores clip, LSTM/GRU
  activations and sequence_lens; its RNN knows only Tanh/Affine and applies the first
  activation to both directions), onnxruntime otherwise,
- for causal bundles: the step API (mode 1) and chunked streaming (mode 3) give the same bytes
  as whole sequences, and two streams with separate state structs do not interfere.
Together the bundles cover kinds x directions x clip x peepholes x linear_before_reset x all 11
activations (alpha/beta given and defaulted) x initial state x row lengths x stacking.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from onnx.reference import ReferenceEvaluator

from codegen import ir
from codegen.api import run_compiled
from codegen.emit.frame import emit_model
from codegen.errors import RnncError
from codegen.frontends import load_model
from codegen.simulate import run_model
from codegen.toolchain import binio
from codegen.toolchain import build as tc_build
from codegen.toolchain.runners import SANITIZERS, runner_for
from codegen.toolchain.targets import load_target

from helpers import compile_and_verify
from onnx_builders import rnn_model, save

IN, T, B = 4, 7, 4
LENGTHS = np.array([7, 1, 4, 6])
ATOL = RTOL = 1e-5

# Layer specs: rnn_model keywords, plus H and init (a random reset state, same for every row).
BUNDLES: dict[str, list[dict]] = {
    "lstm_fwd": [
        dict(op="LSTM", H=5),
        dict(op="LSTM", H=10, clip=0.6, peepholes=True, init=True),
        dict(op="LSTM", H=4, clip=1.5, init=True, activations=["HardSigmoid", "LeakyRelu", "Softsign"],
             alphas=[0.3, 0.2], betas=[0.4]),
        dict(op="LSTM", H=3, activations=["Sigmoid", "Elu", "Softplus"]),   # Elu's alpha defaulted
    ],
    "gru_fwd": [
        dict(op="GRU", H=9),
        dict(op="GRU", H=6, lbr=1, clip=0.7, init=True),
        dict(op="GRU", H=5, lbr=1, activations=["Sigmoid", "ScaledTanh"], alphas=[1.3], betas=[0.6]),
        dict(op="GRU", H=4, lbr=0, init=True, activations=["HardSigmoid", "Softsign"]),  # defaults
    ],
    "rnn_fwd": [   # every activation once
        dict(op="RNN", H=6, init=True),
        dict(op="RNN", H=5, activations=["Relu"], clip=0.9),
        dict(op="RNN", H=9, activations=["Affine"], alphas=[0.5], betas=[0.1], init=True),
        dict(op="RNN", H=4, activations=["LeakyRelu"]),
        dict(op="RNN", H=5, activations=["ThresholdedRelu"], alphas=[0.1]),
        dict(op="RNN", H=4, activations=["ScaledTanh"], alphas=[0.9], betas=[1.4]),
        dict(op="RNN", H=6, activations=["HardSigmoid"], alphas=[0.4], betas=[0.3]),
        dict(op="RNN", H=5, activations=["Elu"], alphas=[0.7]),
        dict(op="RNN", H=4, activations=["Softsign"]),
        dict(op="RNN", H=4, activations=["Softplus"]),
        dict(op="RNN", H=3, activations=["Sigmoid"], clip=0.4),
    ],
    "lstm_rev_bidir": [
        dict(op="LSTM", H=6, direction="reverse", peepholes=True, clip=0.9, init=True),
        dict(op="LSTM", H=9, direction="bidirectional", peepholes=True, init=True,
             activations=["HardSigmoid", "Elu", "Softsign", "Sigmoid", "ScaledTanh", "Tanh"],
             alphas=[0.3, 0.6, 1.1], betas=[0.45, 0.8]),
        dict(op="LSTM", H=3, direction="bidirectional"),
        dict(op="LSTM", H=4, direction="reverse", activations=["Sigmoid", "Relu", "Affine"],
             alphas=[0.8], betas=[-0.1]),
    ],
    "gru_rev_bidir": [
        dict(op="GRU", H=7, direction="reverse", lbr=1, init=True),
        dict(op="GRU", H=5, direction="bidirectional", lbr=0, clip=0.5, init=True,
             activations=["HardSigmoid", "Softplus", "Sigmoid", "ThresholdedRelu"], alphas=[0.25, 0.2],
             betas=[0.55]),
        dict(op="GRU", H=4, direction="bidirectional", lbr=1, clip=2.0),
        dict(op="GRU", H=3, direction="reverse", lbr=0),
    ],
    "rnn_rev_bidir": [
        dict(op="RNN", H=6, direction="reverse", activations=["Relu"], clip=1.2, init=True),
        dict(op="RNN", H=5, direction="bidirectional", activations=["Tanh", "Affine"], alphas=[0.7],
             betas=[0.2], init=True),
        dict(op="RNN", H=9, direction="bidirectional"),
        dict(op="RNN", H=3, direction="reverse", activations=["LeakyRelu"], alphas=[0.3]),
    ],
    "mixed": [   # forward (step) layers between and after whole-sequence layers; hidden size 1
        dict(op="GRU", H=6, lbr=1, init=True),
        dict(op="LSTM", H=5, direction="bidirectional", clip=0.8),
        dict(op="RNN", H=4, direction="reverse", init=True),
        dict(op="LSTM", H=1, direction="bidirectional", peepholes=True, init=True),
        dict(op="LSTM", H=3, peepholes=True, init=True),
    ],
}
CAUSAL = [n for n, specs in BUNDLES.items() if all(s.get("direction", "forward") == "forward" for s in specs)]


# ---- ONNX models per layer ----------------------------------------------------------------

def _onnx_layer(spec: dict, in_size: int, seed: int, batch: int, steps: int):
    """One RNN node (+ Transpose/Reshape to (T, B, D*H)); weights depend on seed only."""
    kw = {k: v for k, v in spec.items() if k not in ("H", "init")}
    D = 2 if spec.get("direction") == "bidirectional" else 1
    if spec.get("init"):
        rng = np.random.default_rng(1000 + seed)
        for name in ("init_h", "init_c") if spec["op"] == "LSTM" else ("init_h",):
            kw[name] = np.broadcast_to(rng.standard_normal((D, 1, spec["H"])) * 0.5, (D, batch, spec["H"]))
    return rnn_model(In=in_size, H=spec["H"], seed=seed, batch=batch, T=steps, **kw)


def _widths(specs):
    return [IN] + [s["H"] * (2 if s.get("direction") == "bidirectional" else 1) for s in specs]


def _uses_onnx_reference(spec: dict) -> bool:
    """Does onnx.reference implement every attribute this node uses?"""
    acts = spec.get("activations")
    if spec.get("clip") is not None:
        return False
    if spec["op"] == "RNN" and spec.get("direction") != "bidirectional":
        return acts is None or acts[0] in ("Tanh", "Affine")
    return acts is None


def _onnx_run(model, x_tbf: np.ndarray, use_reference: bool) -> np.ndarray:
    if use_reference:
        with np.errstate(over="ignore"):   # its sigmoid overflows exp for large negative inputs
            return ReferenceEvaluator(model).run(None, {"X": x_tbf})[0]
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"X": x_tbf})[0]


def onnx_layers(specs, x: np.ndarray, lengths: np.ndarray) -> list[np.ndarray]:
    """Every layer's output (B, T, width) computed by ONNX, one row at a time over its first
    lengths[b] steps (later steps are 0), each layer fed the previous layer's ONNX output."""
    widths = _widths(specs)
    outs = [np.zeros((x.shape[0], x.shape[1], w), np.float32) for w in widths[1:]]
    for b, n in enumerate(lengths):
        h = x[b, :n][:, None, :]                     # (T, 1, F)
        for i, spec in enumerate(specs):
            model = _onnx_layer(spec, widths[i], seed=i, batch=1, steps=int(n))
            h = _onnx_run(model, h, _uses_onnx_reference(spec))
            outs[i][b, :n] = h[:, 0, :]
    return outs


# ---- compiled bundles (one compile per bundle per test module) -------------------------------

def _ir_model(name: str, specs, tmp: Path) -> ir.Model:
    widths = _widths(specs)
    layers = []
    for i, spec in enumerate(specs):
        path = save(_onnx_layer(spec, widths[i], seed=i, batch=B, steps=T), tmp / f"{name}_l{i}.onnx")
        m = load_model(path)
        assert [l.kind for l in m.layers] == [spec["op"].lower()], m.layers
        layer = m.layers[0]
        layer.name = f"l{i}_{layer.kind}"
        layers.append(layer)
    model = ir.Model(name, f"{name}.onnx", "0" * 64, IN, layers)
    model.validate()
    return model


def _inputs(seed: int = 3, scale: float = 1.0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((B, T, IN)) * scale).astype(np.float32)


_BUILT: dict[str, tuple] = {}


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """build(name) -> (out_dir, qm): compiled once, verified against the float simulator."""
    def get(name: str):
        if name not in _BUILT:
            tmp = tmp_path_factory.mktemp(name)
            qm = compile_and_verify(_ir_model(name, BUNDLES[name], tmp), tmp, "float", _inputs())
            _BUILT[name] = (tmp / f"{name}_float", qm)
        return _BUILT[name]
    yield get
    _BUILT.clear()


def run_c(out: Path, qm, x: np.ndarray, lengths: np.ndarray, mode: int = binio.MODE_RUN, chunk: int = 0):
    """(output, per-layer outputs) of the generated C with explicit per-row lengths. Uses the
    trace build that compile_and_verify already made (same flags, so no rebuild)."""
    runner = runner_for(load_target("host"))
    exe = runner.build_testbench(out, qm, trace=True)
    n = len(qm.layers)
    with tempfile.TemporaryDirectory(prefix="rnnc-test-") as d:
        d = Path(d)
        binio.write_input(d / "in.bin", x, lengths, mode, chunk)
        runner.run_testbench(exe, d, trace=True)
        y = binio.read_output(d / "out.bin", np.float32, (x.shape[0], x.shape[1], qm.output_size))
        layers = binio.read_trace(d / "trace.bin", [np.float32] * n, [q.out_size for q in qm.layers],
                                  x.shape[0], [x.shape[1]] * n)
    return y, layers


def _mask(lengths, steps):
    return (np.arange(steps)[None, :] < np.asarray(lengths)[:, None])[:, :, None]


def _assert_layers(got_layers, want_layers, specs, lengths=None):
    for i, (got, ref) in enumerate(zip(got_layers, want_layers)):
        if lengths is not None:
            got = np.where(_mask(lengths, got.shape[1]), got, 0)   # steps that did not run
        np.testing.assert_allclose(got, ref, atol=ATOL, rtol=RTOL, err_msg=f"layer {i}: {specs[i]}")


# ---- tests ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(BUNDLES))
def test_c_matches_onnx_per_layer(name, build):
    out, qm = build(name)
    x = _inputs()
    full = np.full(B, T)
    y, layers = run_c(out, qm, x, full)
    _assert_layers(layers, onnx_layers(BUNDLES[name], x, full), BUNDLES[name])
    np.testing.assert_array_equal(y, layers[-1])


@pytest.mark.parametrize("name", sorted(BUNDLES))
def test_row_lengths_match_onnx_and_simulator(name, build):
    """Shorter rows: the reverse direction starts at the row's last step, later steps are 0,
    and every row starts from the initial state (rows run one after another in one process)."""
    out, qm = build(name)
    x = _inputs(seed=11)
    y, layers = run_c(out, qm, x, LENGTHS)
    _assert_layers(layers, onnx_layers(BUNDLES[name], x, LENGTHS), BUNDLES[name], LENGTHS)
    sim = run_model(qm, x, LENGTHS)
    np.testing.assert_allclose(np.where(_mask(LENGTHS, T), y, 0), sim, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize("name", sorted(BUNDLES))
def test_saturating_inputs_match_onnx(name, build):
    """Inputs 30x larger: exp overflows inside sigmoid/elu/softplus, clip bounds are hit."""
    out, qm = build(name)
    x = _inputs(seed=21, scale=30.0)
    full = np.full(B, T)
    _, layers = run_c(out, qm, x, full)
    assert all(np.all(np.isfinite(l)) for l in layers)
    _assert_layers(layers, onnx_layers(BUNDLES[name], x, full), BUNDLES[name])


@pytest.mark.parametrize("name", CAUSAL)
def test_step_api_and_streaming_equal_whole_sequence(name, build):
    out, qm = build(name)
    x = _inputs(seed=5)
    for lengths in (np.full(B, T), LENGTHS):
        m = _mask(lengths, T)
        whole, _ = run_c(out, qm, x, lengths)
        for mode, chunk in ((binio.MODE_STEP, 0), (binio.MODE_CHUNKS, 3)):
            got, _ = run_c(out, qm, x, lengths, mode, chunk)
            np.testing.assert_array_equal(np.where(m, got, 0), np.where(m, whole, 0), err_msg=f"mode {mode}")


def test_step_api_refused_for_non_causal(build):
    out, qm = build("lstm_rev_bidir")
    assert not qm.causal
    with pytest.raises(RnncError, match="step API"):
        run_compiled(str(out), _inputs(), api="step")


_HARNESS = r"""
#include <stdio.h>
#include "PREFIX.h"
static const float x[2 * STEPS * PREFIX_UPPER_INPUT_SIZE] = { XVALUES };
int main(void)
{
    static PREFIX_state_t s[2];
    float y[PREFIX_UPPER_OUTPUT_SIZE];
    int t, r, k;
    PREFIX_reset(&s[0]);
    PREFIX_reset(&s[1]);
    for (t = 0; t < STEPS; t++) {
        for (r = 1; r >= 0; r--) {   /* interleaved, second stream first */
            PREFIX_step(&s[r], x + (r * STEPS + t) * PREFIX_UPPER_INPUT_SIZE, y);
            for (k = 0; k < PREFIX_UPPER_OUTPUT_SIZE; k++) {
                printf("%d %d %d %a\n", r, t, k, (double)y[k]);
            }
        }
    }
    return 0;
}
"""


@pytest.mark.parametrize("name", CAUSAL)
def test_two_streams_keep_separate_state(name, build, tmp_path):
    """The recurrent state lives in the caller's state struct: interleaving two streams gives
    each the output it gets alone. (Same -O2 as the testbench: GCC folds tanhf/expf of the
    clip bounds at compile time, so other levels may differ in the last bit.)"""
    out, qm = build(name)
    x = _inputs(seed=9)[:2]
    alone, _ = run_c(out, qm, x, np.full(2, T))
    src = (_HARNESS.replace("PREFIX_UPPER", qm.name.upper()).replace("PREFIX", qm.name)
           .replace("STEPS", str(T)).replace("XVALUES", ", ".join(f"{v:.9e}f" for v in x.ravel())))
    runner = runner_for(load_target("host"))
    files = tc_build.snapshot(out, qm.files)
    sources = tc_build.model_sources(files)
    files["main.c"] = src.encode()
    exe = runner.build_program(out, files, sources + ["main.c"], extra_flags=SANITIZERS,
                               name="two_streams")
    res = runner.run(exe, tmp_path)
    got = np.full_like(alone, np.nan)
    for line in res.stdout.splitlines():
        r, t, k, v = line.split()
        got[int(r), int(t), int(k)] = float.fromhex(v)
    np.testing.assert_array_equal(got, alone)


def test_emitted_sources_are_deterministic(build):
    _, qm = build("lstm_rev_bidir")
    tgt = load_target("host")
    a = emit_model(qm, tgt)
    assert a == emit_model(qm, tgt)
    c = a[f"{qm.name}.c"]
    assert "rnnc_fc_panel_f32(" in c
    assert not re.search(r"_l\d+_step\(", c)   # non-causal layers: sequence functions only


def test_bundles_cover_every_attribute():
    specs = [s for v in BUNDLES.values() for s in v]
    assert {a.lower() for s in specs for a in s.get("activations") or []} == set(ir.RNN_ACTIVATIONS)
    for op in ("LSTM", "GRU", "RNN"):
        mine = [s for s in specs if s["op"] == op]
        assert {s.get("direction", "forward") for s in mine} == {"forward", "reverse", "bidirectional"}
        assert any(s.get("clip") for s in mine) and any(s.get("init") for s in mine)
        assert any(s.get("activations") for s in mine) and any(not s.get("activations") for s in mine)
    assert {bool(s.get("peepholes")) for s in specs if s["op"] == "LSTM"} == {False, True}
    assert {s.get("lbr", 0) for s in specs if s["op"] == "GRU"} == {0, 1}
    assert sorted(CAUSAL) == ["gru_fwd", "lstm_fwd", "rnn_fwd"]
