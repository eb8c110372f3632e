"""`rnnc train`: quantization-aware fine-tuning from the command line (docs/training.md).

The parser is built without PyTorch; the command imports codegen.train (the `train` extra)
only when it runs, so every other command works without it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import RnncError


def add_train_parser(sub) -> None:
    from .cli import _int_in, add_scheme_args
    t = sub.add_parser("train", help="quantization-aware fine-tuning of a float model for a scheme (needs PyTorch)")
    t.add_argument("model", help="float model (.onnx)")
    t.add_argument("--data", required=True, metavar="TRAIN.npz",
                   help="x (batch, T, features) float32, y (targets of --task), optional lengths (batch,)")
    t.add_argument("-o", "--output", required=True, metavar="TRAINED.onnx",
                   help="the trained model; beside it TRAINED.calib.npy and TRAINED.train.json (the compile command)")
    t.add_argument("--task", default="classify", choices=("classify", "lm", "regress"),
                   help="classify: y class ids, scored at the last valid step; lm: y (batch, T) next ids; "
                        "regress: y real (batch, T, out) or (batch, out)")
    add_scheme_args(t)
    t.add_argument("--method", default="ste", choices=("ste", "iterative"),
                   help="ste: fake quantization in the forward pass, straight-through gradients; iterative: "
                        "quantize, retrain in float, quantize again, --rounds times (Lee & Kim)")
    t.add_argument("--rounds", type=_int_in(1, 100, "--rounds"), default=3, help="iterative: rounds (default 3)")
    t.add_argument("--slope", type=float, default=1.0,
                   help="sloping factor of the gate nonlinearities (HitNet), folded into the trained weights")
    t.add_argument("--calib", help="calibration sequences for the compiler (default: the first 64 of --data)")
    t.add_argument("--val", metavar="VAL.npz", help="held-out data scored in float, fake-quantized and integer mode")
    t.add_argument("--steps", type=_int_in(1, 10 ** 7, "--steps"), default=200)
    t.add_argument("--batch", type=_int_in(1, 10 ** 6, "--batch"), default=32)
    t.add_argument("--lr", type=float, default=1e-3, help="learning rate (Adam; default 1e-3)")
    t.add_argument("--schedule", default="cosine", choices=("cosine", "constant"),
                   help="learning rate over the steps: cosine decay to zero (default) or constant")
    t.add_argument("--seed", type=_int_in(0, 2 ** 31 - 1, "--seed"), default=0)
    t.add_argument("--checkpoint", metavar="FILE",
                   help="save progress here every --checkpoint-every steps and resume from it when it exists")
    t.add_argument("--checkpoint-every", type=_int_in(1, 10 ** 7, "--checkpoint-every"), default=100)
    t.set_defaults(fn=cmd_train)


def _load_data(path: str, task: str):
    p = Path(path)
    if not p.is_file():
        raise RnncError("training data file not found", file=path)
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError, KeyError) as e:
        raise RnncError(f"not a readable .npz file ({type(e).__name__})", file=path) from None
    missing = [k for k in ("x", "y") if k not in arrays]
    if missing:
        raise RnncError(f"the .npz has no '{missing[0]}' array (it needs x, y and optionally lengths)", file=path)
    from .train import make_data
    try:
        return make_data(arrays["x"], arrays["y"], task, arrays.get("lengths"))
    except RnncError as e:
        raise e.with_context(file=path) from None


def cmd_train(a) -> int:
    from .cli import _load_npy, scheme_settings
    scheme, layer_schemes, lowbit = scheme_settings(a)
    sparsity = lowbit.pop("sparsity", 0.0) or 0.0
    from . import train as qat
    data = _load_data(a.data, a.task)
    calib = _load_npy(a.calib, "calibration").astype(np.float32) if a.calib else data.x[:64]
    net = qat.load_trainable(a.model, slope=a.slope)
    cfg = qat.TrainConfig(scheme=scheme, layer_schemes=layer_schemes or {}, lowbit=lowbit, sparsity=sparsity,
                          method=a.method, rounds=a.rounds, task=a.task, steps=a.steps, batch=a.batch, lr=a.lr,
                          schedule=a.schedule,
                          seed=a.seed, slope=a.slope, checkpoint_every=a.checkpoint_every)
    import sys
    trainer = qat.Trainer(net, data, calib, cfg, a.checkpoint, progress=sys.stderr.isatty())
    hist = trainer.run()
    report = {"final_loss": hist[-1]["loss"] if hist else None}
    if a.val:
        report["val"] = qat.evaluate(net, trainer, _load_data(a.val, a.task))
        metric = trainer.task.metric_name
        print("rnnc: held-out " + metric + ": " + ", ".join(f"{k} {v:.4f}" for k, v in report["val"].items()))
    record = qat.save_trained(net.to_ir(), trainer.plan, calib, a.output, report)
    print(f"rnnc: trained {a.model} for {scheme} ({a.method}, {a.steps} steps) -> {a.output}")
    print(f"rnnc: compile it with: {record['command']}")
    return 0
