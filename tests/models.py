"""Random IR models for tests (seeded, small)."""
from __future__ import annotations

import numpy as np

from codegen import ir


def recurrent(kind="lstm", In=5, H=8, direction="forward", seed=0, scale=0.5, lbr=False, name=None):
    rng = np.random.default_rng(seed)
    ndir = 2 if direction == "bidirectional" else 1
    dirs = []
    for _ in range(ndir):
        gates = {g: ir.GateWeights((rng.standard_normal((H, In)) * scale).astype(np.float32),
                                   (rng.standard_normal((H, H)) * scale / np.sqrt(H) * 2).astype(np.float32),
                                   (rng.standard_normal(H) * 0.2).astype(np.float32),
                                   (rng.standard_normal(H) * 0.2).astype(np.float32))
                 for g in ir.GATES[kind]}
        dirs.append(ir.DirectionParams(gates))
    return ir.RecurrentLayer(name or f"{kind}0", kind, In, H, direction, dirs, linear_before_reset=lbr)


def model(layers, input_size, name="m"):
    m = ir.Model(name, f"{name}.onnx", "0" * 64, input_size, layers)
    m.validate()
    return m


def dense(In, Out, seed=1, name="dense"):
    rng = np.random.default_rng(seed)
    return ir.DenseLayer(name, (rng.standard_normal((Out, In)) * 0.4).astype(np.float32),
                         (rng.standard_normal(Out) * 0.1).astype(np.float32))
