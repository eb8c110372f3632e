"""What Vela's output .tflite says the C glue must do: the command stream, the read-only data
(weights, biases, lookup tables), the arena size, and where in the arena the input, the output
and each recurrent state tensor live (variable tensors; for an unrolled GRU/RNN also the final
state, an extra graph output).

Vela writes one custom operator `ethos-u` whose inputs are the command stream, the read-only
data, the scratch tensor (the arena) and the fast scratch tensor (the same tensor where the
system has one SRAM), then the feature maps; its "OfflineMemoryAllocation" metadata gives every
tensor's offset in the arena (-1: not in the arena). The command stream addresses memory
through three regions: 0 the read-only data, 1 the arena, 2 the fast scratch (Vela's
high_level_command_to_npu_op.BasePointerIndex).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import RnncError, UnsupportedError

ITEMSIZE = {0: 4, 2: 4, 3: 1, 4: 8, 7: 2, 9: 1}     # TensorType -> bytes (float32, int32, uint8, int64, int16, int8)


@dataclass
class ArenaTensor:
    name: str
    offset: int
    nbytes: int


@dataclass
class VelaPlan:
    command_stream: bytes
    read_only: bytes
    arena_size: int
    fast_size: int               # bytes of the fast scratch (0 also where it is the arena itself)
    input: ArenaTensor
    output: ArenaTensor
    fast_shared: bool = True     # the fast scratch is the arena (one SRAM)
    variables: dict[str, ArenaTensor] = field(default_factory=dict)   # by tensor name
    extra_outputs: dict[str, ArenaTensor] = field(default_factory=dict)  # graph outputs after the first


def read_plan(data: bytes) -> VelaPlan:
    """Parse Vela's output. Anything but one ethos-u operator with planned offsets is refused."""
    import tflite
    try:
        m = tflite.Model.GetRootAsModel(data, 0)
        sg = m.Subgraphs(0)
        codes = [m.OperatorCodes(i).CustomCode() for i in range(m.OperatorCodesLength())]
        if sg.OperatorsLength() != 1 or codes != [b"ethos-u"]:
            raise UnsupportedError("Vela did not place the whole model in one NPU operator")
        op = sg.Operators(0)
        ins = [int(v) for v in op.InputsAsNumpy()]
        offsets = _offline_offsets(m, sg.TensorsLength())
        tensors = [sg.Tensors(i) for i in range(sg.TensorsLength())]

        def nbytes(i):
            t = tensors[i]
            shape = t.ShapeAsNumpy() if t.ShapeLength() else []
            return int(math.prod(int(d) for d in shape)) * ITEMSIZE.get(t.Type(), 0)

        def buffer(i):
            b = m.Buffers(tensors[i].Buffer())
            return b.DataAsNumpy().tobytes() if b.DataLength() else b""

        def placed(i):
            off = offsets[i]
            name = tensors[i].Name().decode("utf-8", "replace")
            if off < 0 or off + nbytes(i) > arena:
                raise RnncError(f"Vela's plan puts tensor '{name}' outside the arena")
            return ArenaTensor(name, off, nbytes(i))

        arena = nbytes(ins[2])
        plan = VelaPlan(command_stream=buffer(ins[0]), read_only=buffer(ins[1]), arena_size=arena,
                        fast_size=0 if ins[3] == ins[2] else nbytes(ins[3]), fast_shared=ins[3] == ins[2],
                        input=placed(int(sg.Inputs(0))), output=placed(int(sg.Outputs(0))))
        for k in range(1, sg.OutputsLength()):
            o = placed(int(sg.Outputs(k)))
            plan.extra_outputs[o.name] = o
        for i, t in enumerate(tensors):
            if t.IsVariable():
                v = placed(i)
                if plan.variables.setdefault(v.name, v) != v:
                    raise RnncError(f"Vela's plan puts state tensor '{v.name}' at two offsets")
    except (IndexError, AttributeError, ValueError, TypeError) as e:   # a Vela we do not know
        raise RnncError(f"cannot read Vela's output ({type(e).__name__}: {e})") from None
    if not plan.command_stream or plan.arena_size <= 0:
        raise RnncError("Vela's output has no command stream or no arena")
    return plan


def _offline_offsets(m, n: int) -> list[int]:
    for k in range(m.MetadataLength()):
        md = m.Metadata(k)
        if md.Name() == b"OfflineMemoryAllocation":
            raw = m.Buffers(md.Buffer()).DataAsNumpy().tobytes()
            arr = np.frombuffer(raw, "<i4")
            if arr.size != 3 + n or arr[2] != n:
                raise RnncError("Vela's OfflineMemoryAllocation does not list every tensor")
            return [int(v) for v in arr[3:]]
    raise RnncError("Vela's output has no OfflineMemoryAllocation metadata (arena offsets)")
