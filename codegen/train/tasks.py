"""Training tasks: how a model's output is scored against the targets (loss and metric).

Data for every task: x (batch, T, features) float32; y by task:
  classify  (batch,) class ids; the output at each sequence's last valid step is scored
            (`lengths` (batch,), optional: valid steps per row, else T)
  lm        (batch, T) next-symbol ids, every step scored; the metric is bits per symbol
  regress   (batch, T, out) or (batch, out) real targets, mean squared error
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import RnncError


@dataclass(frozen=True)
class Task:
    name: str
    loss: Callable            # (output, y, lengths) -> scalar tensor
    metric: Callable          # (output, y, lengths) -> float
    metric_name: str
    higher_is_better: bool
    check: Callable           # (y, x) -> y as the task wants it, or raises


def _last(out: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    idx = (lengths - 1).clamp(min=0, max=out.shape[1] - 1)
    return out[torch.arange(out.shape[0]), idx]


def _check_classes(y, x):
    y = np.asarray(y)
    if y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise RnncError(f"classify needs y of integer class ids, shape ({x.shape[0]},); got {y.dtype} {y.shape}")
    return y.astype(np.int64)


def _check_lm(y, x):
    y = np.asarray(y)
    if y.shape != x.shape[:2] or not np.issubdtype(y.dtype, np.integer):
        raise RnncError(f"lm needs y of integer ids, shape {x.shape[:2]}; got {y.dtype} {y.shape}")
    return y.astype(np.int64)


def _check_regress(y, x):
    y = np.asarray(y)
    if y.ndim not in (2, 3) or y.shape[0] != x.shape[0] or not np.issubdtype(y.dtype, np.floating):
        raise RnncError(f"regress needs float y of shape (batch, T, out) or (batch, out); got {y.dtype} {y.shape}")
    return y.astype(np.float32)


def _regress_out(out, y, lengths):
    return out if y.dim() == 3 else _last(out, lengths)


TASKS = {
    "classify": Task("classify",
                     lambda out, y, n: F.cross_entropy(_last(out, n), y),
                     lambda out, y, n: float((_last(out, n).argmax(-1) == y).float().mean()),
                     "accuracy", True, _check_classes),
    "lm": Task("lm",
               lambda out, y, n: F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1)),
               lambda out, y, n: float(F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))) / math.log(2),
               "bits/symbol", False, _check_lm),
    "regress": Task("regress",
                    lambda out, y, n: F.mse_loss(_regress_out(out, y, n), y),
                    lambda out, y, n: float(F.mse_loss(_regress_out(out, y, n), y)),
                    "mse", False, _check_regress),
}


def get_task(name: str) -> Task:
    if name not in TASKS:
        raise RnncError(f"unknown task '{str(name)[:30]}' (tasks: {', '.join(TASKS)})")
    return TASKS[name]
