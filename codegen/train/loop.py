"""The training loop: fine-tuning with fake quantization and straight-through gradients
('ste'), or Lee & Kim's iterative quantize -> retrain -> quantize ('iterative'), either with
gradual magnitude pruning; checkpoints, resumption, a progress line, fixed seeds.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..errors import RnncError
from ..quant.lowbit_codes import magnitude_mask
from .net import QatNet
from .plan import QuantPlan
from .tasks import get_task

METHODS = ("ste", "iterative")
#: learning rate at step s of n as a fraction of cfg.lr (a function of the step alone, so a
#: resumed run continues the same curve)
SCHEDULES = {"cosine": lambda s, n: 0.5 * (1.0 + math.cos(math.pi * s / n)), "constant": lambda s, n: 1.0}


@dataclass
class TrainConfig:
    scheme: str = "int8"
    layer_schemes: dict = field(default_factory=dict)
    lowbit: dict = field(default_factory=dict)      # residual / residual_threshold_db (compile settings)
    sparsity: float = 0.0       # pruned fraction of each recurrent gate matrix at the end
    method: str = "ste"
    rounds: int = 3             # iterative: quantize/retrain rounds (pruning ramps over them)
    task: str = "classify"
    steps: int = 200
    batch: int = 32
    lr: float = 1e-3
    schedule: str = "cosine"    # learning rate over the steps: 'cosine' (to zero) or 'constant'
    seed: int = 0
    slope: float = 1.0          # sloping factor of the gate nonlinearities (HitNet)
    recalibrate_every: int = 50  # steps between refreshes of the activation quantization
    checkpoint_every: int = 100
    clip_grad: float = 1.0      # gradient norm clipping (0: none)

    def fingerprint(self) -> str:
        """What a checkpoint must match to be resumed."""
        d = asdict(self)
        d.pop("checkpoint_every")
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Data:
    x: np.ndarray
    y: np.ndarray
    lengths: np.ndarray

    def batch(self, idx) -> tuple:
        return (torch.from_numpy(self.x[idx]), torch.from_numpy(self.y[idx]), torch.from_numpy(self.lengths[idx]))


class Trainer:
    """Fine-tunes a QatNet for a scheme; `run()` trains, `net.to_ir()` is the result."""

    def __init__(self, net: QatNet, data: Data, calib: np.ndarray, cfg: TrainConfig,
                 checkpoint: str | Path | None = None, progress: bool = False):
        if cfg.schedule not in SCHEDULES:
            raise RnncError(f"unknown schedule '{cfg.schedule}' (schedules: {', '.join(SCHEDULES)})")
        if cfg.method not in METHODS:
            raise RnncError(f"unknown method '{cfg.method}' (methods: {', '.join(METHODS)})")
        if not 0.0 <= cfg.sparsity < 1.0:
            raise RnncError(f"sparsity must be in [0, 1), got {cfg.sparsity}")
        if cfg.steps < 1 or cfg.batch < 1 or cfg.rounds < 1:
            raise RnncError("steps, batch and rounds must be at least 1")
        self.net, self.data, self.calib, self.cfg = net, data, calib, cfg
        self.task = get_task(cfg.task)
        self.plan = QuantPlan(net.to_ir(), cfg.scheme, cfg.layer_schemes, cfg.lowbit, cfg.sparsity)
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.progress = progress
        torch.manual_seed(cfg.seed)
        self.rng = np.random.default_rng(cfg.seed)
        self.opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        self.step = 0
        self.masks: dict[tuple[int, str], torch.Tensor] = {}
        self.quant = None
        self.last_sparsity: float | None = None
        self.history: list[dict] = []

    # -- pruning --------------------------------------------------------------------------
    def sparsity_at(self, step: int) -> float:
        """Gradual pruning: 'ste' reaches the target in four stages over the first half of the
        steps; 'iterative' raises it at the start of each round."""
        s, cfg = self.cfg.sparsity, self.cfg
        if not s:
            return 0.0
        if cfg.method == "iterative":
            return s * (self._round(step) + 1) / cfg.rounds
        stage = min(4, 1 + (4 * step) // max(1, cfg.steps // 2))
        return s * stage / 4

    def _round(self, step: int) -> int:
        return min(self.cfg.rounds - 1, step * self.cfg.rounds // self.cfg.steps)

    def prune(self, sparsity: float) -> None:
        """Zero the smallest weights of each gate matrix (rnnc's magnitude_mask per gate)."""
        if not sparsity:
            return
        with torch.no_grad():
            for i, name, p in self.net.recurrent_matrices():
                H = self.net.mods[i].H
                eff = (p * self.net.mods[i].slope).numpy()
                mask = np.concatenate([magnitude_mask(eff[k:k + H], sparsity) for k in range(0, len(eff), H)])
                self.masks[(i, name)] = torch.from_numpy(mask.astype(np.float32))
                p.mul_(self.masks[(i, name)])

    def _apply_masks(self) -> None:
        with torch.no_grad():
            for i, name, p in self.net.recurrent_matrices():
                if (i, name) in self.masks:
                    p.mul_(self.masks[(i, name)])

    # -- quantization -----------------------------------------------------------------------
    @property
    def quantized_mode(self) -> bool:
        """'ste' trains with fake quantization throughout; 'iterative' retrains in float."""
        return self.cfg.method == "ste" and not self.plan.is_float

    def recalibrate(self) -> None:
        self.quant = None if self.plan.is_float else self.plan.activations(self.net.to_ir(), self.calib)

    def project_now(self, sparsity: float) -> list:
        return self.net.projected_tensors(self.plan.project(self.net.to_ir(), sparsity))

    def quantize_weights(self, sparsity: float) -> None:
        """Lee & Kim: set the parameters to their quantized values before a retraining round."""
        projected = self.project_now(sparsity)
        with torch.no_grad():
            for mod, proj in zip(self.net.mods, projected):
                for k, v in (proj or {}).items():
                    getattr(mod, k).copy_(v / getattr(mod, "slope", 1.0))

    # -- the loop -----------------------------------------------------------------------------
    def run(self, until: int | None = None) -> list[dict]:
        """Train to cfg.steps (or stop after step `until`, resumable from the checkpoint)."""
        cfg = self.cfg
        if self.checkpoint and self.checkpoint.exists():
            self._load()
        n = len(self.data.x)
        stop = cfg.steps if until is None else min(until, cfg.steps)
        while self.step < stop:
            sp = self.sparsity_at(self.step)
            new_round = cfg.method == "iterative" and (self.step == 0 or self._round(self.step) != self._round(self.step - 1))
            if sp != self.last_sparsity or new_round:
                self.prune(sp)
                if new_round and not self.plan.is_float:
                    self.quantize_weights(sp)
                self.last_sparsity = sp
                self.quant = None
            if self.quant is None or self.step % cfg.recalibrate_every == 0:
                self.recalibrate()
            idx = self.rng.choice(n, size=min(cfg.batch, n), replace=False)
            x, y, lengths = self.data.batch(idx)
            quantized = self.quantized_mode
            projected = self.project_now(sp) if quantized else None
            out = self.net(x, self.quant if quantized else None, projected, logits=True)
            loss = self.task.loss(out, y, lengths)
            for group in self.opt.param_groups:
                group["lr"] = cfg.lr * SCHEDULES[cfg.schedule](self.step, cfg.steps)
            self.opt.zero_grad()
            loss.backward()
            if cfg.clip_grad:
                torch.nn.utils.clip_grad_norm_(self.net.parameters(), cfg.clip_grad)
            self.opt.step()
            self._apply_masks()
            self.step += 1
            rec = {"step": self.step, "loss": float(loss.detach()), self.task.metric_name: self.task.metric(out.detach(), y, lengths),
                   "sparsity": sp}
            self.history.append(rec)
            self._show(rec)
            if self.checkpoint and (self.step % cfg.checkpoint_every == 0 or self.step == stop):
                self._save()
        if self.progress:
            sys.stderr.write("\n")
        return self.history

    def _show(self, rec: dict) -> None:
        if not self.progress:
            return
        total = self.cfg.steps
        filled = int(30 * rec["step"] / total)
        m = self.task.metric_name
        sys.stderr.write(f"\rrnnc train [{'#' * filled}{'.' * (30 - filled)}] {rec['step']}/{total} "
                         f"loss {rec['loss']:.4f} {m} {rec[m]:.4f}" + (f" sparsity {rec['sparsity']:.2f}" if rec["sparsity"] else ""))
        sys.stderr.flush()

    # -- checkpoints ------------------------------------------------------------------------------
    def _save(self) -> None:
        state = {"fingerprint": self.cfg.fingerprint(), "step": self.step, "net": self.net.state_dict(),
                 "opt": self.opt.state_dict(), "rng": self.rng.bit_generator.state,
                 "torch_rng": torch.get_rng_state(), "masks": self.masks, "history": self.history,
                 "quant": self.quant, "last_sparsity": self.last_sparsity}
        tmp = self.checkpoint.with_name(self.checkpoint.name + ".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.checkpoint)

    def _load(self) -> None:
        try:
            state = torch.load(self.checkpoint, weights_only=False)
        except Exception as e:  # torch raises many kinds for a file that is not a checkpoint
            raise RnncError(f"not a readable rnnc training checkpoint ({type(e).__name__})", file=str(self.checkpoint)) from None
        if not isinstance(state, dict) or state.get("fingerprint") != self.cfg.fingerprint():
            raise RnncError("this checkpoint was made with other training settings (scheme, steps, seed, ...); "
                            "delete it or use another --checkpoint", file=str(self.checkpoint))
        self.net.load_state_dict(state["net"])
        self.opt.load_state_dict(state["opt"])
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        self.masks, self.history, self.step = state["masks"], state["history"], state["step"]
        self.quant, self.last_sparsity = state["quant"], state["last_sparsity"]


def evaluate(net: QatNet, trainer: Trainer, data: Data, batch: int = 256) -> dict:
    """The task metric in float, with fake quantization, and in the integer simulator."""
    from .handoff import integer_output
    task = trainer.task
    out = {}
    with torch.no_grad():
        trainer.recalibrate()
        proj = None if trainer.plan.is_float else trainer.project_now(trainer.cfg.sparsity or None)
        for mode, quant, p in (("float", None, None), ("fake-quantized", trainer.quant, proj)):
            ys = [net(torch.from_numpy(data.x[i:i + batch]), quant, p, logits=True) for i in range(0, len(data.x), batch)]
            out[mode] = task.metric(torch.cat(ys), torch.from_numpy(data.y), torch.from_numpy(data.lengths))
    y = integer_output(net.to_ir(), trainer.plan, trainer.calib, data.x, logits=net.ends_in_softmax)
    out["integer"] = task.metric(torch.from_numpy(y), torch.from_numpy(data.y), torch.from_numpy(data.lengths))
    return {k: (round(v, 6) if math.isfinite(v) else v) for k, v in out.items()}
