"""The Ethos-U delegate: OUT/npu/<prefix>_npu.{c,h} for a target with `npu = "<accelerator>"`.

The compiled model is exported (codegen/tflite_export) with the target's steps per invocation,
Vela compiles it for the accelerator, and the glue embeds Vela's driver payload and read-only
data and invokes them through the Ethos-U core driver, copying the caller's state and the input
into Vela's arena and the output and state back (templates/npu/). The model's own C for the
Cortex-M55 is emitted as for any target and stays the reference the tests run on QEMU.
"""
from __future__ import annotations

import numpy as np

from ..emit.cgen import c_array
from ..errors import UnsupportedError
from ..toolchain.build import NPU_DIR
from .vela_plan import ArenaTensor, read_plan

DEFAULT_STEPS = 1
NAMES = {"ethos-u55-128": "Ethos-U55 (128 MACs/cycle)", "ethos-u55-256": "Ethos-U55 (256 MACs/cycle)",
         "ethos-u65-256": "Ethos-U65 (256 MACs/cycle)", "ethos-u85-256": "Ethos-U85 (256 MACs/cycle)"}


def npu_files(qm, target: dict, env, info: dict) -> dict[str, str]:
    """{OUT-relative path: text} of the NPU glue, or {} for a target without an NPU."""
    accelerator = target.get("npu")
    if not accelerator:
        return {}
    from ..tflite_export import export_qmodel
    from ..toolchain import vela
    steps = int(qm.options.get("npu_steps", DEFAULT_STEPS))
    est = vela.estimate(export_qmodel(qm, steps, reverse_by_slices=True, carry_state=True), accelerator, qm.name)
    if est.cpu_ops:   # Ethos-U55/U65 have no REVERSE_V2: the export reverses by slices instead
        raise UnsupportedError(f"Vela leaves {'; '.join(est.on_cpu) or f'{est.cpu_ops} operators'} on the CPU of "
                               f"{accelerator}: models split between NPU and CPU are not built yet",
                               file=qm.source)
    plan = read_plan(est.optimised)
    states, resets = _state_fields(qm, plan)
    for s in states + resets:      # the copies in must not overlap the input, the copies out the output
        pairs = [(plan.input, s["offset"])]
        if s in states and s["final"] != plan.output.name:   # (the output itself may be the final h)
            pairs.append((plan.output, s["out_offset"]))
        for io, offset in pairs:
            if _overlap(io, offset, s["nbytes"]):
                raise UnsupportedError(f"Vela's plan lets '{io.name}' share arena bytes with the state tensor "
                                       f"'{s['tensor']}'; the glue cannot copy both", file=qm.source)
    ctx = dict(info, accelerator_name=NAMES[accelerator], vela_version=vela.vela_version(), steps=steps,
               system_config=est.system_config, arena_size=plan.arena_size, fast_size=plan.fast_size,
               input=plan.input, output=plan.output, states=states, resets=resets,
               state_bytes=sum(s["nbytes"] for s in states),
               command_stream=_bytes_array(f"{qm.name}_npu_command_stream", plan.command_stream),
               read_only=_bytes_array(f"{qm.name}_npu_read_only", plan.read_only or b"\0"))
    return {f"{NPU_DIR}/{qm.name}_npu.h": env.get_template("npu/ethosu.h.j2").render(**ctx),
            f"{NPU_DIR}/{qm.name}_npu.c": env.get_template("npu/ethosu.c.j2").render(**ctx)}


def _bytes_array(name: str, data: bytes) -> str:
    text = c_array("uint8_t", name, np.frombuffer(data, np.uint8), align=16)
    return text.replace("] RNNC_ALIGN(16) =", "] RNNC_ALIGN(16) RNNC_NPU_DATA_ATTRIBUTE =")


def _state_fields(qm, plan) -> tuple[list[dict], list[dict]]:
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
    missing = [f"l{f['layer']}_{f['role']}" for f in qm.state_fields
               if f"l{f['layer']}_{f['role']}" not in {o["field"] for o in states}]
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
