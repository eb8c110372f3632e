"""rnnc verify: the generated C against the simulator, layer by layer."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import state as streaming
from .qmodel import QModel
from .running import _inputs, run_testbench
from .progress import stage
from .simulate import run_layer


@dataclass
class VerifyResult:
    ok: bool
    exact: bool            # every layer's output is integer (compared bit for bit)
    elements: int
    mismatches: int        # over every layer's output
    max_abs_diff: float
    first: str | None = None   # "layer 'lstm0' (index 0, lstm), row 2, step 5, element 17: C=12 sim=13"
    kernel_path: str = ""      # the kernel path the C ran (<prefix>_kernel_path())

    def summary(self) -> str:
        kind = "bit-exact" if self.exact else "integer layers bit-exact, float layers within 1e-5"
        if self.ok:
            worst = "" if self.exact else f"; largest difference {self.max_abs_diff:.3g}"
            path = f", kernels: {self.kernel_path}" if self.kernel_path else ""
            return (f"OK: {self.elements} output elements, generated C == simulator ({kind}, layer by layer{worst}"
                    f"{path})")
        return (f"MISMATCH: {self.mismatches} elements differ (max |diff| {self.max_abs_diff:g}); "
                f"first at {self.first}")


FLOAT_ATOL, FLOAT_RTOL = 1e-5, 1e-4


def verify_compiled(out_dir: str, x: np.ndarray, sanitize: bool | None = None,
                    extra_cflags: list[str] | None = None, state_in: dict | None = None) -> VerifyResult:
    """Run the generated C (with per-layer traces) and compare every layer with the simulator
    run on the C's own input of that layer: integer outputs bit for bit, float outputs within
    FLOAT_ATOL/FLOAT_RTOL. Taking each layer's input from the C keeps the comparison exact for
    integer layers that follow float ones (mixed precision), where libm and numpy may differ
    in the last bit of a float and a quantization boundary would carry that into an integer.
    A model with recurrent state also has its final state compared, and, with state_in
    ({state input name: tensor}), both start from that state."""
    qm = QModel.load(Path(out_dir))
    x, lengths = _inputs(qm, x)
    stateful = bool(qm.state_fields)
    if state_in:
        states = streaming.states_from_tensors(qm, state_in, x.shape[0])
    else:   # every row from the reset; the simulator fills in the final states
        states = {f["layer"]: {} for f in qm.state_fields} if stateful else None
    run = run_testbench(out_dir, x, trace=True, sanitize=sanitize, extra_cflags=extra_cflags,
                        states_in=states if state_in else None, state_out=stateful)
    y_c, layers_c = run.y, run.layers
    bad_total, worst, first = 0, 0.0, None
    inp, lens = x, np.asarray(lengths, np.int64)
    for i, q in enumerate(qm.layers):
        with stage(f"simulating layer {i + 1} of {len(qm.layers)} ({q.name})"):
            want, lens = run_layer(q, inp, lens, state=(states or {}).get(i))
        got = layers_c[i] if i < len(qm.layers) - 1 else y_c
        bad = _differs(got, want, q.out_dtype != "float32")
        bad_total += int(bad.sum())
        worst = max(worst, float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max(initial=0)))
        if first is None and bad.any():
            b, t, e = min(zip(*np.nonzero(bad)), key=lambda p: (p[1], p[0], p[2]))   # earliest step first
            first = (f"layer '{q.name}' (index {i}, {q.kind}, {q.scheme}), row {b}, step {t}, element {e}: "
                     f"C={got[b, t, e]} sim={want[b, t, e]}")
        inp = layers_c[i]
    if first is None and not np.array_equal(y_c, layers_c[-1]):
        first, bad_total = "the final output differs from the last layer's trace", bad_total + 1
    for i, roles in (states or {}).items():
        for role, want in roles.items():
            got = run.states[i][role]
            bad = _differs(got, want, got.dtype != np.float32)
            bad_total += int(bad.sum())
            if first is None and bad.any():
                b, e = np.argwhere(bad)[0]
                first = (f"the final state '{role}' of layer '{qm.layers[i].name}' (index {i}), row {b}, element {e}: "
                         f"C={got[b, e]} sim={want[b, e]}")
    exact = all(q.out_dtype != "float32" for q in qm.layers)
    return VerifyResult(first is None, exact, int(y_c.size), bad_total, worst, first, run.kernel_path)


def _differs(a, b, exact: bool):
    if exact:
        return a != b
    return ~np.isclose(a, b, atol=FLOAT_ATOL, rtol=FLOAT_RTOL)


