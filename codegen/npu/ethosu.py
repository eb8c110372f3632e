"""The Ethos-U delegate: OUT/npu/<prefix>_npu.{c,h} for a target with `npu = "<accelerator>"`.

The compiled model is split into NPU and CPU segments (npu/partition.py): each NPU segment is
exported (codegen/tflite_export) with its steps per invocation and compiled by Vela, and the glue
embeds Vela's driver payload and read-only data and invokes them through the Ethos-U core
driver, copying the caller's state and the segment's input into Vela's arena and its output and
state back (templates/npu/); a CPU segment is a function of the model's own C for the
Cortex-M55 (templates/model.c.j2), which is emitted as for any target and stays the reference
the tests run on QEMU.
"""
from __future__ import annotations

import numpy as np

from ..emit.cgen import c_array
from ..emit.names import comment_safe
from ..errors import UnsupportedError
from ..toolchain.build import NPU_DIR
from .vela_plan import ArenaTensor, read_plan

DEFAULT_STEPS = 1
NAMES = {"ethos-u55-128": "Ethos-U55 (128 MACs/cycle)", "ethos-u55-256": "Ethos-U55 (256 MACs/cycle)",
         "ethos-u65-256": "Ethos-U65 (256 MACs/cycle)", "ethos-u85-256": "Ethos-U85 (256 MACs/cycle)"}


def npu_segments(qm, target: dict) -> list:
    """The model's NPU and CPU segments (npu/partition.py) for a target with an NPU, else []."""
    accelerator = target.get("npu")
    if not accelerator:
        return []
    from .partition import partition
    return partition(qm, accelerator, int(qm.options.get("npu_steps", DEFAULT_STEPS)))


def npu_files(qm, target: dict, env, info: dict, segments: list) -> dict[str, str]:
    """{OUT-relative path: text} of the NPU glue, or {} for a target without an NPU."""
    if not segments:
        return {}
    from ..toolchain import vela
    accelerator = target["npu"]
    views = info["layers"]
    parts = []
    for k, seg in enumerate(segments):
        part = dict(index=k, first=seg.first, last=seg.last, on_npu=seg.on_npu, in_steps=seg.in_steps,
                    out_steps=seg.out_steps, in_ctype=views[seg.first].in_ctype, out_ctype=views[seg.last].out_ctype,
                    in_count=seg.in_steps * views[seg.first].in_size, out_count=seg.out_steps * views[seg.last].out_size,
                    reasons=[comment_safe(r, 400) for r in seg.reasons])
        if seg.on_npu:
            part.update(_npu_part(qm, seg, k))
        parts.append(part)
    npu = [p for p in parts if p["on_npu"]]
    est = next(s.estimate for s in segments if s.on_npu)
    ctx = dict(info, accelerator_name=NAMES[accelerator], vela_version=vela.vela_version(),
               steps=segments[0].in_steps, system_config=est.system_config, segments=parts,
               arena_size=max(p["arena_size"] for p in npu), fast_size=max(p["fast_size"] for p in npu),
               split=len(parts) > 1, any_resets=any(p["resets"] for p in npu), state_bytes=sum(st["nbytes"] for p in npu for st in p["states"]))
    return {f"{NPU_DIR}/{qm.name}_npu.h": env.get_template("npu/ethosu.h.j2").render(**ctx),
            f"{NPU_DIR}/{qm.name}_npu.c": env.get_template("npu/ethosu.c.j2").render(**ctx)}


def _npu_part(qm, seg, k: int) -> dict:
    """What the glue needs of one NPU segment: its payload, read-only data and Vela's plan."""
    plan = read_plan(seg.estimate.optimised)
    states, resets = _state_fields(qm, plan, range(seg.first, seg.last + 1))
    for s in states + resets:      # the copies in must not overlap the input, the copies out the output
        pairs = [(plan.input, s["offset"])]
        if s in states and s["final"] != plan.output.name:   # (the output itself may be the final h)
            pairs.append((plan.output, s["out_offset"]))
        for io, offset in pairs:
            if _overlap(io, offset, s["nbytes"]):
                raise UnsupportedError(f"Vela's plan lets '{io.name}' share arena bytes with the state tensor "
                                       f"'{s['tensor']}'; the glue cannot copy both", file=qm.source)
    name = f"{qm.name}_npu" if k == 0 else f"{qm.name}_npu{k}"
    return dict(name=name, arena_size=plan.arena_size, fast_size=plan.fast_size, fast_shared=plan.fast_shared,
                input=plan.input,
                output=plan.output, states=states, resets=resets,
                command_stream=_bytes_array(f"{name}_command_stream", plan.command_stream),
                read_only=_bytes_array(f"{name}_read_only", plan.read_only or b"\0"))


def _bytes_array(name: str, data: bytes) -> str:
    text = c_array("uint8_t", name, np.frombuffer(data, np.uint8), align=16)
    return text.replace("] RNNC_ALIGN(16) =", "] RNNC_ALIGN(16) RNNC_NPU_DATA_ATTRIBUTE =")


def _state_fields(qm, plan, layers) -> tuple[list[dict], list[dict]]:
    """Vela's state tensors: those of causal layers as the <prefix>_state_t fields they mirror
    (copied into the arena before the invocation and back after it), those of non-causal ones
    (backward directions) as arena bytes the glue resets before each invocation (h to its zero
    point, c to 0). An LSTM's state is one variable tensor, read and updated in place; an unrolled
    GRU/RNN reads the variable `<layer>_d0_h_state` and leaves its final h in the extra graph
    output `<layer>_d0_h_final` (tflite_export.gru_rnn)."""
    fields = {(f["layer"], f["role"]): f for f in qm.state_fields}
    states, resets = [], []
    for name, t in sorted(plan.variables.items(), key=lambda kv: kv[1].offset):
        k, d, role, final = _owner(qm, name)
        f = fields.get((k, role)) if d == 0 else None
        if f is None:
            zp = qm.layers[k].attrs["zp_h"] if role == "h" else 0
            resets.append({"tensor": name, "offset": t.offset, "nbytes": t.nbytes, "byte": zp & 0xFF})
            continue
        outputs = {**plan.extra_outputs, plan.output.name: plan.output}
        out = outputs.get(final) if final else t
        if out is None:
            raise UnsupportedError(f"Vela's plan has no final state '{final}' for '{name}'", file=qm.source)
        nbytes = f["count"] * np.dtype(f["dtype"]).itemsize
        if not nbytes == t.nbytes == out.nbytes:
            raise UnsupportedError(f"state tensor '{name}' is {t.nbytes} bytes in Vela's plan, {nbytes} in the "
                                   "state struct", file=qm.source)
        states.append({"field": f"l{k}_{role}", "tensor": name, "offset": t.offset, "nbytes": nbytes,
                       "final": out.name, "out_offset": out.offset})
    missing = [f"l{f['layer']}_{f['role']}" for f in qm.state_fields if f["layer"] in layers
               and f"l{f['layer']}_{f['role']}" not in {o["field"] for o in states}]
    if missing:
        raise UnsupportedError(f"the state {', '.join(missing)} has no tensor in Vela's plan, so it would not "
                               "cross NPU invocations", file=qm.source)
    return states, resets


def _owner(qm, name: str) -> tuple[int, int, str, str | None]:
    """(layer index, direction, role, final-state tensor or None) of a variable tensor's name."""
    found = [(i, d, role, final) for i, q in enumerate(qm.layers) for d in range(len(q.attrs.get("dirs", [])))
             for suffix, role, final in (("output_state", "h", None), ("cell_state", "c", None),
                                         ("h_state", "h", f"{q.name}_d{d}_h_final"))
             if name == f"{q.name}_d{d}_{suffix}"]
    if len(found) != 1:
        raise UnsupportedError(f"Vela's state tensor '{name}' belongs to no layer", file=qm.source)
    return found[0]


def _overlap(a: ArenaTensor, offset: int, nbytes: int) -> bool:
    return a.offset < offset + nbytes and offset < a.offset + a.nbytes
