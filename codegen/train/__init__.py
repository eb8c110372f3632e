"""Quantization-aware training (needs the `train` extra: PyTorch). docs/training.md.

    from codegen.train import load_trainable, train
    net = load_trainable("kws.onnx")                         # or a PyTorch module + example input
    trainer = train(net, x, y, task="classify", scheme="binary-w2a2", steps=500)
    save_trained(net.to_ir(), trainer.plan, trainer.calib, "kws_w2a2.onnx")
    # then: rnnc compile kws_w2a2.onnx -o out --calib kws_w2a2.calib.npy --scheme binary-w2a2
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import RnncError

try:
    import torch  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    raise RnncError("quantization-aware training needs PyTorch: pip install 'rnnc[train]' "
                    "(or pip install torch==2.13.0, the CPU build)") from None

from .handoff import integer_output, quantized_model, save_trained  # noqa: E402,F401
from .loop import Data, Trainer, TrainConfig, evaluate  # noqa: E402,F401
from .net import QatNet  # noqa: E402


def load_trainable(source, example_input=None, slope: float = 1.0) -> QatNet:
    """A QatNet from an ONNX file, or from a PyTorch module exported with torch.onnx.export
    (example_input: a (batch, T, features) tensor) and read by rnnc's ONNX frontend."""
    from ..frontends import load_model
    if isinstance(source, (str, Path)):
        return QatNet(load_model(str(source)), slope)
    if example_input is None:
        raise RnncError("a PyTorch module needs example_input (batch, T, features) to be exported")
    import tempfile
    was_training = source.training
    source.eval()                      # export the inference graph (dropout off)
    try:
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "model.onnx"
            torch.onnx.export(source, (example_input,), str(path), verbose=False)
            return QatNet(load_model(str(path)), slope)
    finally:
        source.train(was_training)


def make_data(x, y, task: str, lengths=None) -> Data:
    from .tasks import get_task
    x = np.asarray(x)
    if x.ndim != 3 or not np.issubdtype(x.dtype, np.floating):
        raise RnncError(f"training inputs must be float (batch, T, features), got {x.dtype} {x.shape}")
    if not np.all(np.isfinite(x)):
        raise RnncError("training inputs contain NaN or Inf")
    y = get_task(task).check(y, x)
    if lengths is None:
        lengths = np.full(len(x), x.shape[1], np.int64)
    lengths = np.asarray(lengths, np.int64)
    if lengths.shape != (len(x),) or np.any(lengths < 1) or np.any(lengths > x.shape[1]):
        raise RnncError(f"lengths must be ({len(x)},) values in 1..{x.shape[1]}")
    return Data(x.astype(np.float32), y, lengths)


def train(net: QatNet, x, y, *, lengths=None, calib=None, checkpoint=None, progress: bool = False,
          **config) -> Trainer:
    """Fine-tune net in place for a scheme (TrainConfig's fields as keywords); calib: the
    calibration sequences the compiler will be given (default: the first 64 of x)."""
    cfg = TrainConfig(**config)
    data = make_data(x, y, cfg.task, lengths)
    calib = data.x[:64] if calib is None else np.asarray(calib, np.float32)
    trainer = Trainer(net, data, calib, cfg, checkpoint, progress)
    trainer.run()
    return trainer
