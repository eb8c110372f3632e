"""Which layers of a model run on the Ethos-U NPU and which on the Cortex-M55 beside it.

A layer goes to the NPU when it can be written as TFLite operators (codegen/tflite_export) and
Vela places every one of those operators on the NPU; otherwise it runs on the Cortex-M55 with
rnnc's own kernels, in the model's generated C. Consecutive layers of one kind form a segment:
each NPU segment is one Vela compilation (one command stream, one invocation per call), each CPU
segment one function in <prefix>.c. The split is per layer, not per operator: a layer of which
Vela would leave any operator on the CPU runs there entirely, so no layer's state or scratch
is divided between the two.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import RnncError, UnsupportedError


@dataclass
class Segment:
    first: int                 # layer indices, inclusive
    last: int
    on_npu: bool
    in_steps: int              # time steps the segment receives per call
    out_steps: int             # and produces (1 after a last-step layer)
    reasons: list[str] = field(default_factory=list)   # why its layers run on the CPU
    why: dict[str, list[int]] = field(default_factory=dict)   # reason -> the layers it holds for
    estimate: object = None    # vela.VelaEstimate of an NPU segment


def partition(qm, accelerator: str, steps: int) -> list[Segment]:
    """The model's layers in NPU and CPU segments, in order, for `steps` steps per call."""
    from ..toolchain import vela
    steps_in, steps_out = [], []
    n = steps
    for q in qm.layers:
        steps_in.append(n)
        n = 1 if q.kind == "last_step" else n
        steps_out.append(n)

    def compiled(lo: int, hi: int):
        from ..tflite_export import export_qmodel
        data = export_qmodel(qm, steps_in[lo], reverse_by_slices=True, carry_state=True, layers=(lo, hi))
        return vela.estimate(data, accelerator, qm.name)

    placed: list[tuple[int, object, str]] = []      # (layer, estimate or None, reason)
    run: list[int] = []

    def flush():
        if not run:
            return
        est = compiled(run[0], run[-1])
        if not est.cpu_ops:
            placed.extend((i, est, "") for i in run)
        else:                 # find the layers Vela cannot place, one by one
            for i in run:
                one = est if len(run) == 1 else compiled(i, i)
                placed.append((i, None, f"Vela leaves {'; '.join(one.on_cpu)} on the CPU") if one.cpu_ops
                              else (i, one, ""))
        run.clear()

    for i in range(len(qm.layers)):
        why = _unexportable(qm, i, steps_in[i])
        if why:
            flush()
            placed.append((i, None, why))
        else:
            run.append(i)
    flush()
    segments = _merge(placed, steps_in, steps_out)
    for seg in segments:         # one line per reason, with the layers it holds for
        seg.reasons = [f"layer{'s' if len(ix) > 1 else ''} {', '.join(map(str, ix))} "
                       f"({', '.join(sorted({f'{qm.layers[i].kind}, {qm.layers[i].scheme}' for i in ix}))}): {text}"
                       for text, ix in seg.why.items()]
    if not any(s.on_npu for s in segments):
        raise UnsupportedError(f"no layer of the model can run on {accelerator}: "
                               + "; ".join(r for s in segments for r in s.reasons), file=qm.source)
    return segments


def _unexportable(qm, i: int, steps: int) -> str:
    """Why layer i cannot be written as TFLite operators, or ''."""
    from ..tflite_export import export_qmodel
    try:
        export_qmodel(qm, steps, reverse_by_slices=True, carry_state=True, layers=(i, i))
    except RnncError as e:        # not expressible (UnsupportedError) or not writable (the writer's checks)
        return e.reason
    return ""


def _merge(placed, steps_in, steps_out) -> list[Segment]:
    """Consecutive CPU layers as one segment, NPU layers compiled together as one (those
    compiled one by one, after their run had a layer Vela could not place, stay apart)."""
    segments: list[Segment] = []
    for i, est, why in placed:
        on_npu = est is not None
        last = segments[-1] if segments else None
        if last is None or last.on_npu != on_npu or (on_npu and est is not last.estimate):
            last = Segment(i, i, on_npu, steps_in[i], 0, estimate=est)
            segments.append(last)
        last.last = i
        if why:
            last.why.setdefault(why, []).append(i)
    for s in segments:
        s.out_steps = steps_out[s.last]
    return segments
