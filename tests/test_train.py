"""Quantization-aware training (codegen/train): tiny runs that check the plumbing.

The trained model, written to ONNX and compiled, must give in the simulator exactly the outputs
of the training's integer mode, and the generated C must equal the simulator bit for bit on
the host and on Cortex-M; training is deterministic with a seed and resumes from checkpoints;
the weights in the training forward pass are the compiler's own quantization of them.
"""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch NOT INSTALLED: quantization-aware training tests skipped "
                                            "(make setup installs the train extra)")

from codegen.api import compile_model, simulate_compiled, verify_compiled  # noqa: E402
from codegen.cli import main  # noqa: E402
from codegen.errors import RnncError  # noqa: E402
from codegen.export_onnx import save_onnx  # noqa: E402
from codegen.frontends import load_model  # noqa: E402
from codegen.quantize import quantize_model  # noqa: E402
from codegen.simulate import run_model  # noqa: E402
from codegen.train import QatNet, Trainer, TrainConfig, make_data, quantized_model, save_trained, train  # noqa: E402
from codegen.train.plan import QuantPlan  # noqa: E402

from models import dense, model, recurrent  # noqa: E402

ARM_MISSING = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]


def _model():
    """Every kind training supports: LSTM, GRU (both reset variants), RNN, a dense head."""
    return model([recurrent("lstm", 6, 10, name="lstm0"), recurrent("gru", 10, 8, seed=3, name="gru1"),
                  recurrent("gru", 8, 7, lbr=True, seed=4, name="gru2"), recurrent("rnn", 7, 6, seed=5, name="rnn3"),
                  dense(6, 3, name="head")], 6)


def _embedded_model():
    """The accuracy benchmark's language-model shape: a bias-free embedding (dense), an LSTM
    whose activations the low-bit scheme codes, a dense head."""
    embed = dense(6, 5, seed=7, name="embed")
    embed.bias = np.zeros_like(embed.bias)
    return model([embed, recurrent("lstm", 5, 8, seed=8, name="lstm0"), dense(8, 3, name="head")], 6)


def _task(seed=0, n=16, steps=7):
    """Three classes told apart by the sign pattern of the input's mean."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.standard_normal((n, steps, 6)).astype(np.float32) * 0.7
    x[:, :, :3] += np.eye(3, dtype=np.float32)[y][:, None, :] * 1.5
    return x, y


#: (scheme, layer schemes, settings: TrainConfig fields)
CASES = {
    "int8": ("int8", {}, {}),
    "int16x8": ("int16x8", {}, {}),
    "int4-residual": ("int4", {}, {"lowbit": {"residual": "auto", "residual_threshold_db": 99.0}}),
    "w2a8-pruned-iterative": ("binary-w2a8", {}, {"sparsity": 0.4, "method": "iterative", "rounds": 2}),
    "w2a2-pruned": ("binary-w2a2", {}, {"sparsity": 0.3}),
    "ternary-slope": ("ternary", {}, {"slope": 1.5}),
    "mixed": ("binary-w3a3", {"lstm0": "int8", "head": "int8", "rnn3": "ternary-a8"}, {}),
    "embedded-w3a3": ("binary-w3a3", {}, {}),
}
MODELS = {"embedded-w3a3": _embedded_model}


def _trained(case: str, steps=3):
    scheme, layers, settings = CASES[case]
    x, y = _task()
    net = QatNet(MODELS.get(case, _model)(), settings.get("slope", 1.0))
    trainer = train(net, x, y, task="classify", scheme=scheme, layer_schemes=layers, steps=steps, batch=8,
                    lr=0.02, **settings)
    return net, trainer, x


@pytest.mark.parametrize("case", sorted(CASES))
def test_trained_model_compiles_to_exactly_the_integer_mode(tmp_path, case):
    """Through the files: ONNX weights, calibration set and the recorded compile settings."""
    net, trainer, x = _trained(case)
    record = save_trained(net.to_ir(), trainer.plan, trainer.calib, tmp_path / "trained.onnx")
    args = record["compile"]
    calib = np.load(tmp_path / record["calib"])
    out = tmp_path / "out"
    compile_model(str(tmp_path / "trained.onnx"), str(out), calib=calib, **args)
    x_test = _task(seed=1, n=5)[0]
    integer = run_model(quantized_model(net.to_ir(), trainer.plan, trainer.calib), x_test)
    compiled = simulate_compiled(str(out), x_test)
    assert compiled.dtype == integer.dtype and np.array_equal(compiled, integer)
    res = verify_compiled(str(out), x_test)
    assert res.ok, res.summary()
    assert trainer.plan.command_line()[:2] == ["--scheme", args["scheme"]]
    assert f"--scheme {args['scheme']}" in record["command"]


@pytest.mark.skipif(bool(ARM_MISSING), reason=f"{' and '.join(ARM_MISSING)} NOT INSTALLED: trained-model "
                                              "Cortex-M tests skipped (make setup installs them when run as root)")
@pytest.mark.parametrize("core, case", [("cortex-m4", "mixed"), ("cortex-m55", "mixed"),
                                        ("cortex-m4", "embedded-w3a3")])
def test_trained_model_is_bit_exact_on_cortex_m(tmp_path, core, case):
    net, trainer, x = _trained(case)
    record = save_trained(net.to_ir(), trainer.plan, trainer.calib, tmp_path / "trained.onnx")
    compile_model(str(tmp_path / "trained.onnx"), str(tmp_path / "out"), target=core,
                  calib=np.load(tmp_path / record["calib"]), **record["compile"])
    res = verify_compiled(str(tmp_path / "out"), _task(seed=2, n=3)[0])
    assert res.ok, res.summary()


def test_training_forward_uses_the_compilers_int8_weights():
    """The projected weights are the compiled layer's int8 levels times its scales."""
    m = _model()
    x, _ = _task()
    projected = QuantPlan(m, "int8").project(m)
    qm = quantize_model(m, "int8", x)
    lstm = qm.layers[0]
    for k, g in enumerate(("i", "f", "c", "o")):
        want = lstm.arrays["w0"][k].astype(np.float64) * lstm.attrs["dirs"][0]["w_scale"][k]
        np.testing.assert_allclose(projected[0].dirs[0].gates[g].W, want, rtol=1e-6, atol=0)
    head = qm.layers[-1]
    scales = np.abs(m.layers[-1].weight).max(axis=1) / 127.0
    np.testing.assert_allclose(projected[-1].weight, head.arrays["weight"] * scales[:, None], rtol=1e-6)


def test_the_fake_quantized_forward_is_the_integer_model_up_to_rounding():
    """Weights as the compiler codes them and activations at its scales: the training forward
    pass lands within a few output steps of the integer model (not bit for bit: the gates and
    the cell are computed in float)."""
    net, trainer, x = _trained("w2a2-pruned", steps=1)
    trainer.recalibrate()
    with torch.no_grad():
        fake = net(torch.from_numpy(x), trainer.quant, trainer.project_now(0.3)).numpy()
    qm = quantized_model(net.to_ir(), trainer.plan, trainer.calib)
    integer = (run_model(qm, x).astype(np.float64) - qm.output_q.zero_point) * qm.output_q.scale
    flt = net(torch.from_numpy(x)).detach().numpy()
    assert np.abs(fake - integer).mean() < 0.5 * np.abs(flt - integer).mean()


def test_online_codes_in_training_equal_the_simulators():
    from codegen.sim.lowbit import code_binary as sim_binary, code_ternary as sim_ternary
    from codegen.train.fake_quant import code_binary, code_ternary
    rng = np.random.default_rng(0)
    v = rng.integers(-255, 256, (40, 37))
    v[::7] = 0
    for bits in (1, 2, 3, 4):
        planes, beta = sim_binary(v, bits)
        want = np.einsum("kbn,bk->bn", planes, beta)
        assert np.array_equal(code_binary(torch.from_numpy(v).double(), bits).numpy(), want)
    planes, beta = sim_ternary(v)
    want = np.einsum("kbn,bk->bn", planes, beta) // 2
    assert np.array_equal(code_ternary(torch.from_numpy(v).double()).numpy(), want)


def test_training_is_deterministic_and_resumes_from_checkpoints(tmp_path):
    x, y = _task()
    cfg = TrainConfig(scheme="binary-w2a8", sparsity=0.5, steps=6, batch=4, lr=0.02, recalibrate_every=2,
                      checkpoint_every=3)

    def weights(net):
        return {k: v.detach().clone() for k, v in net.state_dict().items()}
    whole = QatNet(_model())
    Trainer(whole, make_data(x, y, "classify"), x[:8], cfg).run()
    again = QatNet(_model())
    Trainer(again, make_data(x, y, "classify"), x[:8], cfg).run()
    ckpt = tmp_path / "run.ckpt"
    first = QatNet(_model())
    Trainer(first, make_data(x, y, "classify"), x[:8], cfg, ckpt).run(until=4)
    resumed = QatNet(_model())          # a fresh process would start from the file alone
    t = Trainer(resumed, make_data(x, y, "classify"), x[:8], cfg, ckpt)
    t.run()
    assert t.step == 6 and len(t.history) == 6
    for k, v in weights(whole).items():
        assert torch.equal(v, weights(again)[k]), k
        assert torch.equal(v, weights(resumed)[k]), k
    other = TrainConfig(**{**cfg.__dict__, "seed": 1})
    with pytest.raises(RnncError, match="other training settings"):
        Trainer(QatNet(_model()), make_data(x, y, "classify"), x[:8], other, ckpt).run()


def test_pruning_leaves_exactly_the_fraction_of_each_gate_matrix():
    net, trainer, _ = _trained("w2a2-pruned", steps=4)
    for layer in net.to_ir().layers:
        if layer.kind in ("lstm", "gru", "rnn"):
            for gw in layer.dirs[0].gates.values():
                for w in (gw.W, gw.R):
                    assert int((w == 0).sum()) == int(round(0.3 * w.size))


def test_quantization_aware_training_lowers_the_quantized_loss():
    x, y = _task(n=48)
    net = QatNet(_model())
    trainer = train(net, x, y, task="classify", scheme="binary-w2a2", steps=40, batch=16, lr=0.02)
    first = np.mean([h["loss"] for h in trainer.history[:5]])
    last = np.mean([h["loss"] for h in trainer.history[-5:]])
    assert last < 0.8 * first


def test_the_sloping_factor_is_folded_into_the_handed_on_weights():
    m = _model()
    sloped = QatNet(m, slope=2.0)
    folded = sloped.to_ir()
    np.testing.assert_array_equal(folded.layers[0].dirs[0].gates["f"].R, 2.0 * m.layers[0].dirs[0].gates["f"].R)
    np.testing.assert_array_equal(folded.layers[-1].weight, m.layers[-1].weight)   # the head has no gates
    x = torch.from_numpy(_task()[0])
    with torch.no_grad():
        assert torch.allclose(sloped(x), QatNet(folded)(x), atol=1e-6)


def test_onnx_written_from_the_ir_reads_back_the_same_and_runs_in_onnxruntime(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    from codegen.qmodel import QLayer  # noqa: F401  (the float simulator via quantize_model)
    m = _model()
    save_onnx(m, tmp_path / "m.onnx")
    back = load_model(str(tmp_path / "m.onnx"))
    assert [l.kind for l in back.layers] == [l.kind for l in m.layers]
    for a, b in zip(m.layers, back.layers):
        if a.kind == "dense":
            assert np.array_equal(a.weight, b.weight) and np.array_equal(a.bias, b.bias)
        else:
            assert a.linear_before_reset == b.linear_before_reset
            for g, gw in a.dirs[0].gates.items():
                for f in ("W", "R", "Wb", "Rb"):
                    assert np.array_equal(getattr(gw, f), getattr(b.dirs[0].gates[g], f)), (a.name, g, f)
    x = _task()[0]
    y_ort = ort.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"x": x})[0]
    y_sim = run_model(quantize_model(m, "float"), x)
    np.testing.assert_allclose(y_ort, y_sim, atol=1e-5)
    with torch.no_grad():
        np.testing.assert_allclose(QatNet(m)(torch.from_numpy(x)).numpy(), y_sim, atol=1e-5)


def test_rnnc_train_command_line(tmp_path, capsys):
    x, y = _task()
    save_onnx(_model(), tmp_path / "m.onnx")
    np.savez(tmp_path / "train.npz", x=x, y=y)
    rc = main(["train", str(tmp_path / "m.onnx"), "--data", str(tmp_path / "train.npz"), "--val", str(tmp_path / "train.npz"),
               "-o", str(tmp_path / "t.onnx"), "--scheme", "binary", "--wbits", "2", "--abits", "2", "--sparsity", "0.25",
               "--steps", "2", "--batch", "4", "--checkpoint", str(tmp_path / "t.ckpt")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "held-out accuracy: float" in out and "integer" in out
    record = json.loads((tmp_path / "t.train.json").read_text())
    assert record["compile"] == {"scheme": "binary-w2a2", "layer_schemes": None, "lowbit": {"sparsity": 0.25}}
    assert (tmp_path / "t.ckpt").is_file() and (tmp_path / "t.calib.npy").is_file()
    # the printed command compiles the trained model
    cmd = record["command"].split()[2:]
    cmd[cmd.index("OUT")] = str(tmp_path / "out")
    assert main(["compile"] + cmd) == 0


@pytest.mark.parametrize("arrays, match", [({"x": np.zeros((2, 3, 6), np.float32)}, "no 'y' array"),
                                           ({"x": np.zeros((2, 3, 6), np.float32), "y": np.zeros(2)}, "integer class ids"),
                                           ({"x": np.zeros((2, 3), np.float32), "y": np.zeros(2, int)}, "float \\(batch, T")])
def test_rnnc_train_refuses_bad_data_naming_the_file(tmp_path, capsys, arrays, match):
    save_onnx(_model(), tmp_path / "m.onnx")
    np.savez(tmp_path / "bad.npz", **arrays)
    rc = main(["train", str(tmp_path / "m.onnx"), "--data", str(tmp_path / "bad.npz"), "-o", str(tmp_path / "t.onnx")])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.npz" in err
    assert __import__("re").search(match, err), err


def test_unsupported_layers_are_refused_by_name():
    m = model([recurrent("lstm", 6, 5, "bidirectional", name="bi0"), dense(10, 2)], 6)
    with pytest.raises(RnncError, match="layer 'bi0'.*bidirectional"):
        QatNet(m)


def test_a_pytorch_module_is_trainable_through_the_default_exporter():
    pytest.importorskip("onnxscript", reason="onnxscript NOT INSTALLED: PyTorch's default ONNX exporter is absent")
    from torch import nn
    from codegen.train import load_trainable

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(6, 8, batch_first=True)
            self.head = nn.Linear(8, 3)

        def forward(self, x):
            return self.head(self.gru(x)[0])
    torch.manual_seed(0)
    module = Net()
    net = load_trainable(module, torch.zeros(2, 7, 6))
    x = torch.from_numpy(_task()[0])
    with torch.no_grad():
        assert torch.allclose(net(x), module(x), atol=1e-5)
