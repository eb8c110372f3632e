"""Quantization-aware fine-tuning of the two accuracy-benchmark models, for benchmarks/accuracy.py.

Each scheme fine-tunes the float model (codegen.train, straight-through gradients; pruned rows
with gradual pruning) and hands it to the compiler exactly as `rnnc train` does: ONNX file,
calibration set, compile settings. The figure reported is the compiled model's output in the
reference simulator, which the generated C equals bit for bit.

Japanese Vowels: the 270 training utterances of the UEA set (the aeon wheel, as
tools/make_example_model.py fetches it), scored on the 370 test utterances.
Shakespeare: 4096 windows of 64 training characters, scored like the post-training table.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from codegen.api import compile_model, simulate_compiled  # noqa: E402

JV_STEPS = 300
#: language-model fine-tuning steps: schemes that code the activations start furthest from float
LM_STEPS, LM_CODED_STEPS = 800, 2400
LM_WINDOWS = 16384     # training windows of 64 characters, at random offsets in the training text
#: the method papers' reported degradations (../shared/docs/lowbit.md; PTB word-level perplexity)
PAPERS = {
    "w3a3": "Xu et al. 2018, 3/3-bit LSTM on PTB: 89.8 -> 87.9 perplexity (-2.1%)",
    "ternary": "HitNet 2018, ternary LSTM on PTB: 97.2 -> 110.3 perplexity (+13.5%)",
    "w1a8": "Lee & Kim 2018: 1-bit weights on PTB with no loss (iterative retraining)",
}


def _settings(settings: dict) -> tuple[dict, float]:
    lowbit = {k: v for k, v in settings.items() if k != "sparsity"}
    return lowbit, float(settings.get("sparsity", 0.0))


def fine_tune(model: Path, scheme: str, settings: dict, x, y, task: str, calib, steps: int, lengths=None,
              lr: float = 1e-3, batch: int = 32):
    """Fine-tune and compile; returns (compiled output folder, its QModel) in a temporary folder."""
    from codegen.train import load_trainable, save_trained, train
    lowbit, sparsity = _settings(settings)
    net = load_trainable(str(model))
    trainer = train(net, x, y, lengths=lengths, calib=calib, task=task, scheme=scheme, lowbit=lowbit,
                    sparsity=sparsity, steps=steps, batch=batch, lr=lr, seed=0)
    work = Path(tempfile.mkdtemp(prefix="rnnc-qat-"))
    record = save_trained(net.to_ir(), trainer.plan, trainer.calib, work / "trained.onnx")
    qm = compile_model(str(work / "trained.onnx"), str(work / "out"), calib=np.load(work / record["calib"]),
                       **record["compile"])
    return work / "out", qm


def _real(qm, y):
    if qm.output_q is None:
        return y
    return (y.astype(np.float64) - qm.output_q.zero_point) * qm.output_q.scale


def jv_data():
    from make_example_model import fetch_wheel, load_split
    cache = Path(tempfile.gettempdir()) / "rnnc-data"
    cache.mkdir(parents=True, exist_ok=True)
    wheel = fetch_wheel(cache)
    xtr, ytr = load_split(wheel, "TRAIN")
    xte, _ = load_split(wheel, "TEST")
    mean, std = xtr.mean(axis=(0, 1)), xtr.std(axis=(0, 1))
    xtr = (xtr - mean) / std
    lengths = np.maximum(1, (np.abs(xtr).sum(-1) > 0).cumsum(1).argmax(1) + 1)
    return xtr.astype(np.float32), ytr, lengths


def jv_accuracy(example: Path, scheme: str, settings: dict, x_test, labels, test_lengths, steps=JV_STEPS) -> float:
    from accuracy import last_step_accuracy
    x, y, lengths = jv_data()
    out, qm = fine_tune(example / "model.onnx", scheme, settings, x, y, "classify",
                        np.load(example / "calib.npy"), steps, lengths=lengths, lr=3e-3)
    return last_step_accuracy(_real(qm, simulate_compiled(str(out), x_test)), labels, test_lengths)


def one_thread() -> None:
    """Initializer of the benchmark's worker processes: one training thread each."""
    import torch
    torch.set_num_threads(1)


def coded(scheme: str) -> bool:
    """Whether the scheme codes the recurrent layers' activations (its coder says so)."""
    from codegen.schemes import get_scheme
    return bool(get_scheme(scheme).coder_settings.get("act"))


def lm_steps(scheme: str) -> int:
    return LM_CODED_STEPS if coded(scheme) else LM_STEPS


def lm_bits_per_char(model: Path, scheme: str, settings: dict, steps: int | None = None) -> float:
    import shakespeare_lm as lm
    steps = lm_steps(scheme) if steps is None else steps
    cache = lm.cache_dir()
    vocab = json.loads((cache / "vocab.json").read_text())
    train_text, _ = lm.split(lm.corpus(cache))
    win = lm.segments(lm.encode(train_text, vocab), LM_WINDOWS, 64, seed=7)
    x, y = lm.one_hot(win[:, :-1], len(vocab)), win[:, 1:]
    out, qm = fine_tune(model, scheme, settings, x, y, "lm", lm.calibration_set(cache), steps)
    x_test, targets, _ = lm.test_set(cache)
    return lm.bits_per_char(_real(qm, simulate_compiled(str(out), x_test)), targets)
