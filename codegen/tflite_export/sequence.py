"""Sequence plumbing shared by the exporters: one time step of a (1, T, F) tensor, and
concatenation of any number of tensors (TFLite Micro's CONCATENATION takes at most 10)."""
from __future__ import annotations

import numpy as np

from .writer import Quant, concat_options, empty_options

MAX_CONCAT = 10


def slice_step(ctx, x, t, name) -> int:
    """Step t of a (1, T, H) tensor as (1, 1, H)."""
    w = ctx.writer
    _, T, H = w.tensors[x].shape
    idx = [w.tensor(f"{name}_{k}", (3,), "int32", data=np.array(v, np.int32))
           for k, v in (("begin", [0, t, 0]), ("end", [1, t + 1, H]), ("strides", [1, 1, 1]))]
    y = w.tensor(name, (1, 1, H), w.tensors[x].dtype, w.tensors[x].quant)
    w.op("STRIDED_SLICE", [x] + idx, [y], empty_options("StridedSliceOptions"))
    return y


def concat_many(ctx, parts: list[int], axis: int, name: str, q: Quant | None) -> int:
    """CONCATENATION of any number of tensors, in groups of at most MAX_CONCAT."""
    w = ctx.writer
    level = 0
    while len(parts) > 1:
        groups = [parts[i:i + MAX_CONCAT] for i in range(0, len(parts), MAX_CONCAT)]
        merged = []
        for k, g in enumerate(groups):
            if len(g) == 1:
                merged.append(g[0])
                continue
            shape = list(w.tensors[g[0]].shape)
            shape[axis] = sum(w.tensors[i].shape[axis] for i in g)
            last = len(groups) == 1
            y = w.tensor(name if last else f"{name}_{level}_{k}", tuple(shape), w.tensors[g[0]].dtype, q)
            w.op("CONCATENATION", g, [y], concat_options(axis))
            merged.append(y)
        parts, level = merged, level + 1
    return parts[0]
