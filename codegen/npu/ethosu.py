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
    est = vela.estimate(export_qmodel(qm, steps, reverse_by_slices=True), accelerator, qm.name)
    if est.cpu_ops:   # Ethos-U55/U65 have no REVERSE_V2: the export reverses by slices instead
        raise UnsupportedError(f"Vela leaves {'; '.join(est.on_cpu) or f'{est.cpu_ops} operators'} on the CPU of "
                               f"{accelerator}: models split between NPU and CPU are not built yet",
                               file=qm.source)
    plan = read_plan(est.optimised)
    states, resets = _state_fields(qm, plan)
    for s in states + resets:
        for io in (plan.input, plan.output) if s in states else (plan.input,):
            if _overlap(io, s):
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
    (copied in and out), those of non-causal ones (backward directions) as arena bytes the glue
    resets before each invocation (h to its zero point, c to 0)."""
    fields = {(f["layer"], f["role"]): f for f in qm.state_fields}
    states, resets = [], []
    for name, t in sorted(plan.variables.items(), key=lambda kv: kv[1].offset):
        found = [(i, d) for i, q in enumerate(qm.layers) for d in range(len(q.attrs.get("dirs", [])))
                 if name in (f"{q.name}_d{d}_output_state", f"{q.name}_d{d}_cell_state")]
        if len(found) != 1:
            raise UnsupportedError(f"Vela's state tensor '{name}' belongs to no layer", file=qm.source)
        k, d = found[0]
        role = "h" if name.endswith("_output_state") else "c"
        f = fields.get((k, role)) if d == 0 else None
        if f is None:
            zp = qm.layers[k].attrs["zp_h"] if role == "h" else 0
            resets.append({"tensor": name, "offset": t.offset, "nbytes": t.nbytes, "byte": zp & 0xFF})
            continue
        nbytes = f["count"] * np.dtype(f["dtype"]).itemsize
        if nbytes != t.nbytes:
            raise UnsupportedError(f"state tensor '{name}' is {t.nbytes} bytes in Vela's plan, {nbytes} in the "
                                   "state struct", file=qm.source)
        states.append({"field": f"l{k}_{role}", "tensor": name, "offset": t.offset, "nbytes": nbytes})
    missing = [f"l{f['layer']}_{f['role']}" for f in qm.state_fields
               if f"l{f['layer']}_{f['role']}" not in {o["field"] for o in states}]
    if missing:
        raise UnsupportedError(f"the state {', '.join(missing)} would not cross NPU invocations (GRU and RNN "
                               "layers are exported unrolled, starting every invocation from h = 0); streaming "
                               "them on the NPU is not built", file=qm.source)
    return states, resets


def _overlap(a: ArenaTensor, s: dict) -> bool:
    return a.offset < s["offset"] + s["nbytes"] and s["offset"] < a.offset + a.nbytes
