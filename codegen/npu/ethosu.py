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
    est = vela.estimate(export_qmodel(qm, steps), accelerator, qm.name)
    if est.cpu_ops:
        raise UnsupportedError(f"Vela leaves {'; '.join(est.on_cpu) or f'{est.cpu_ops} operators'} on the CPU of "
                               f"{accelerator}: models split between NPU and CPU are not built yet",
                               file=qm.source)
    plan = read_plan(est.optimised)
    states = _state_fields(qm, plan)
    for s in states:
        for io in (plan.input, plan.output):
            if _overlap(io, s):
                raise UnsupportedError(f"Vela's plan lets '{io.name}' share arena bytes with the state tensor "
                                       f"'{s['tensor']}'; the glue cannot copy both", file=qm.source)
    ctx = dict(info, accelerator_name=NAMES[accelerator], vela_version=vela.vela_version(), steps=steps,
               system_config=est.system_config, arena_size=plan.arena_size, fast_size=plan.fast_size,
               input=plan.input, output=plan.output, states=states,
               state_bytes=sum(s["nbytes"] for s in states),
               command_stream=_bytes_array(f"{qm.name}_npu_command_stream", plan.command_stream),
               read_only=_bytes_array(f"{qm.name}_npu_read_only", plan.read_only or b"\0"))
    return {f"{NPU_DIR}/{qm.name}_npu.h": env.get_template("npu/ethosu.h.j2").render(**ctx),
            f"{NPU_DIR}/{qm.name}_npu.c": env.get_template("npu/ethosu.c.j2").render(**ctx)}


def _bytes_array(name: str, data: bytes) -> str:
    text = c_array("uint8_t", name, np.frombuffer(data, np.uint8), align=16)
    return text.replace("] RNNC_ALIGN(16) =", "] RNNC_ALIGN(16) RNNC_NPU_DATA_ATTRIBUTE =")


def _state_fields(qm, plan) -> list[dict]:
    """Each LSTM state tensor of Vela's plan as the <prefix>_state_t field it mirrors."""
    fields = {(f["layer"], f["role"]): f for f in qm.state_fields}
    out = []
    for name, t in sorted(plan.variables.items(), key=lambda kv: kv[1].offset):
        k = next((i for i, q in enumerate(qm.layers) if name in (f"{q.name}_d0_output_state",
                                                                f"{q.name}_d0_cell_state")), None)
        role = "h" if name.endswith("_output_state") else "c"
        f = fields.get((k, role))
        if f is None or qm.layers[k].attrs.get("direction") != "forward":
            raise UnsupportedError(f"Vela's state tensor '{name}' has no field in {qm.name}_state_t "
                                   "(only forward LSTMs run on the NPU)", file=qm.source)
        nbytes = f["count"] * np.dtype(f["dtype"]).itemsize
        if nbytes != t.nbytes:
            raise UnsupportedError(f"state tensor '{name}' is {t.nbytes} bytes in Vela's plan, {nbytes} in the "
                                   "state struct", file=qm.source)
        out.append({"field": f"l{k}_{role}", "tensor": name, "offset": t.offset, "nbytes": nbytes})
    missing = [f"l{f['layer']}_{f['role']}" for f in qm.state_fields
               if f"l{f['layer']}_{f['role']}" not in {o["field"] for o in out}]
    if missing:
        raise UnsupportedError(f"the state {', '.join(missing)} would not cross NPU invocations (GRU and RNN "
                               "layers are exported unrolled, starting every invocation from h = 0); streaming "
                               "them on the NPU is not built", file=qm.source)
    return out


def _overlap(a: ArenaTensor, s: dict) -> bool:
    return a.offset < s["offset"] + s["nbytes"] and s["offset"] < a.offset + a.nbytes
