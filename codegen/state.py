"""Streaming state: between the state tensors of a model (its own layout) and rnnc's state.

A model exported for streaming takes its recurrent state as tensors and gives back the final
state (x, h, c -> y, hn, cn; ir.StateTensor: entry k of the first axis is layer k's state,
layout (entries, batch, hidden)). In the generated C that state is the caller-owned
<prefix>_state_t; `rnnc run` and `rnnc sim` start every row from the reset (zero) state, or
from --state-in, and hand back --state-out in the model's layout:

    tensors {name: (entries, batch|1, hidden)} --state_codec--> {layer: {'h', 'c': stored (B, H)}}
        --pack--> the testbench's state_in.bin (every field of <prefix>_state_t, per row)
    and back the same way for state_out.bin.
"""
from __future__ import annotations

import numpy as np

from .errors import RnncError
from .qmodel import NUMPY_TYPES, QModel
from .registry import STATE_CODECS, lookup


def _codec(q):
    return lookup(STATE_CODECS, q.kind, q.scheme, "state codec", q.where)


def _index(qm: QModel) -> dict[str, int]:
    return {q.name: i for i, q in enumerate(qm.layers)}


def reset_states(qm: QModel, batch: int) -> dict[int, dict[str, np.ndarray]]:
    """The stored state <prefix>_reset() gives every layer with fields in <prefix>_state_t:
    the model's constant initial state where it has one, else zero."""
    out: dict[int, dict[str, np.ndarray]] = {}
    for f in qm.state_fields:
        q = qm.layers[f["layer"]]
        init = getattr(q.ir.dirs[0], f"initial_{f['role']}", None) if q.ir is not None else None
        real = np.broadcast_to(np.zeros(f["count"], np.float32) if init is None else init, (batch, f["count"]))
        out.setdefault(f["layer"], {})[f["role"]] = np.asarray(_codec(q)(q, f["role"], real.astype(np.float32), True))
    return out


def states_from_tensors(qm: QModel, given: dict[str, np.ndarray], batch: int, what: str = "--state-in"):
    """The user's state tensors (the model's state inputs) as stored per-layer states, every
    layer not given at its reset state."""
    inputs = {t.name: t for t in qm.state_io if t.io == "in"}
    if given and not inputs:
        raise RnncError(f"{what}: the model takes no recurrent state as input")
    states = reset_states(qm, batch)
    index = _index(qm)
    for name, arr in given.items():
        t = inputs.get(name)
        if t is None:
            raise RnncError(f"{what}: '{name[:60]}' is not a state input of the model "
                            f"(its state inputs: {', '.join(sorted(inputs))})")
        a = np.asarray(arr)
        if t.layout == "BH":
            a = a[None]
        if a.ndim != 3 or a.shape[0] != len(t.layers) or a.shape[2] != t.hidden or a.shape[1] not in (1, batch):
            layout = f"({batch} or 1, {t.hidden})" if t.layout == "BH" else f"({len(t.layers)}, {batch} or 1, {t.hidden})"
            raise RnncError(f"{what}: '{name[:60]}' has shape {np.shape(arr)}; the model's layout is {layout}")
        _check_values(a, t, name, what)
        for k, layer in enumerate(t.layers):
            q = qm.layers[index[layer]]
            values = np.broadcast_to(a[k], (batch, t.hidden))
            if t.dtype == "float32":
                states[index[layer]][t.role] = np.asarray(_codec(q)(q, t.role, values.astype(np.float32), True))
            else:   # the model keeps its state as integers: taken as stored
                states[index[layer]][t.role] = values.astype(NUMPY_TYPES[t.dtype])
    return states


def _check_values(a: np.ndarray, t, name: str, what: str) -> None:
    if t.dtype == "float32":
        if not np.issubdtype(a.dtype, np.floating) or not np.all(np.isfinite(a)):
            raise RnncError(f"{what}: '{name[:60]}' must hold finite float values")
        return
    info = np.iinfo(NUMPY_TYPES[t.dtype])
    if not np.issubdtype(a.dtype, np.integer) or a.min(initial=0) < info.min or a.max(initial=0) > info.max:
        raise RnncError(f"{what}: '{name[:60]}' must hold {t.dtype} values, as the model stores its state")


def tensors_from_states(qm: QModel, states: dict[int, dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The model's state outputs, in its own layout, from final per-layer states."""
    index = _index(qm)
    out = {}
    for t in qm.state_io:
        if t.io != "out":
            continue
        parts = []
        for layer in t.layers:
            q = qm.layers[index[layer]]
            stored = states[index[layer]][t.role]
            parts.append(np.asarray(_codec(q)(q, t.role, stored, False), np.float32) if t.dtype == "float32"
                         else np.asarray(stored, NUMPY_TYPES[t.dtype]))
        out[t.name] = parts[0] if t.layout == "BH" else np.stack(parts)
    return out


def pack(qm: QModel, states: dict[int, dict[str, np.ndarray]], batch: int) -> bytes:
    """state_in.bin: per row, every field of <prefix>_state_t in order, as the C stores it."""
    rows = []
    for r in range(batch):
        for f in qm.state_fields:
            rows.append(np.ascontiguousarray(states[f["layer"]][f["role"]][r], NUMPY_TYPES[f["dtype"]]).tobytes())
    return b"".join(rows)


def unpack(qm: QModel, data: bytes, batch: int) -> dict[int, dict[str, np.ndarray]]:
    """The testbench's state_out.bin back into per-layer states."""
    states: dict[int, dict[str, list]] = {}
    pos = 0
    for _ in range(batch):
        for f in qm.state_fields:
            dt = np.dtype(NUMPY_TYPES[f["dtype"]])
            n = f["count"] * dt.itemsize
            if pos + n > len(data):
                raise RnncError("the testbench wrote less state than the model has")
            states.setdefault(f["layer"], {}).setdefault(f["role"], []).append(np.frombuffer(data, dt, f["count"], pos))
            pos += n
    return {i: {r: np.stack(v) for r, v in roles.items()} for i, roles in states.items()}


def state_fields(views) -> list[dict]:
    """<prefix>_state_t's fields from the emitted layers, in declaration order."""
    dtypes = {"float": "float32", "int8_t": "int8", "int16_t": "int16", "int32_t": "int32"}
    return [{"layer": v.index, "role": b.name, "dtype": dtypes[b.ctype], "count": int(b.count)}
            for v in views for b in v.code.state]


def random_states(qm: QModel, batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Random values for every state input of the model, in its layout and dtype (verify)."""
    rng = np.random.default_rng(seed)
    out = {}
    for t in qm.state_io:
        if t.io != "in":
            continue
        shape = (batch, t.hidden) if t.layout == "BH" else (len(t.layers), batch, t.hidden)
        if t.dtype == "float32":
            out[t.name] = (rng.standard_normal(shape) * 0.5).astype(np.float32)
        else:
            info = np.iinfo(NUMPY_TYPES[t.dtype])
            out[t.name] = rng.integers(info.min, info.max + 1, shape).astype(NUMPY_TYPES[t.dtype])
    return out
