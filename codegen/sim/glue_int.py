"""Reference simulators of the integer non-recurrent layers."""
from __future__ import annotations

import numpy as np

from ..errors import RnncError
from ..fixedpoint import multiply_by_quantized_multiplier as mbqm
from ..fixedpoint import multiply_by_quantized_multiplier_int64 as mbqm64
from ..registry import simulator
from .glue_float import take_last_step


@simulator("dense", "int8", "int16x8")
def simulate_dense_int(q, x, lengths, stats):
    acc = x.astype(np.int64) @ q.arrays["weight"].T.astype(np.int64) + q.arrays["bias"].astype(np.int64)
    out = np.empty_like(acc)
    for o in range(acc.shape[-1]):
        m, s = int(q.arrays["mult"][o]), int(q.arrays["shift"][o])
        out[..., o] = mbqm(acc[..., o], m, s) if q.attrs["act"] == "int8" else mbqm64(acc[..., o], m, s)
    return np.clip(out + q.attrs["zp_out"], q.attrs["act_min"], q.attrs["act_max"])


@simulator("activation", "int8", "int16x8")
def simulate_activation_int(q, x, lengths, stats):
    if q.attrs["function"] == "identity":
        return x
    return np.maximum(x.astype(np.int64), q.attrs["low"])


@simulator("embedding", "int8", "int16x8")
def simulate_embedding_int(q, x, lengths, stats):
    ids = x[..., 0].astype(np.int64)
    table = q.arrays["table"]
    if np.any((ids < 0) | (ids >= table.shape[0])):
        raise RnncError(f"token ids must lie in [0, {table.shape[0]})", where=q.where)
    return table[ids]


@simulator("last_step", "int8", "int16x8")
def simulate_last_step_int(q, x, lengths, stats):
    return take_last_step(x, lengths, q.attrs.get("reverse_width", 0))
