"""Running a compiled folder: the generated C on its target (through the target's runner),
and the Python reference simulator, on the same inputs, optionally with streaming state.

    y = run_compiled("out/", x)                       # generated C
    y, state = run_compiled("out/", x, state_in={"h": h0}, state_out=True)
    y_ref = simulate_compiled("out/", x)              # Python reference simulator
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import state as streaming
from .errors import RnncError
from .progress import stage
from .qmodel import NUMPY_TYPES, QModel
from .simulate import check_input, default_lengths, run_model
from .toolchain import binio
from .toolchain.runners import runner_for
from .toolchain.targets import load_target


def _inputs(qm: QModel, x: np.ndarray):
    x = check_input(qm, x)
    return x, default_lengths(qm, x)


def _out_shape(qm: QModel, x: np.ndarray) -> tuple[int, int, int]:
    return (x.shape[0], 1 if qm.last_step else x.shape[1], qm.output_size)


#: Largest run rnnc starts without being asked (input, output, per-layer traces and the
#: simulator's copies together); RNNC_MAX_RUN_BYTES raises it.
DEFAULT_MAX_RUN_BYTES = 2 << 30


def run_bytes(qm: QModel, batch: int, steps: int, trace: bool) -> int:
    """What one run of `batch` sequences of `steps` steps writes and holds, roughly: the input
    and output files, the per-layer trace (a 16-byte record header per layer and step) and the
    simulator's int64 copies of every layer output (verify keeps them all)."""
    in_bytes = batch * steps * qm.input_size * np.dtype(NUMPY_TYPES[qm.input_dtype]).itemsize
    out_steps = 1 if qm.last_step else steps
    total = in_bytes + batch * out_steps * qm.output_size * np.dtype(NUMPY_TYPES[qm.output_dtype]).itemsize
    if trace:
        t = steps
        for q in qm.layers:
            t = 1 if q.kind == "last_step" else t
            total += batch * t * (16 + q.out_size * np.dtype(NUMPY_TYPES[q.out_dtype]).itemsize + 8 * q.out_size)
    return int(total)


def check_run_size(qm: QModel, batch: int, steps: int, trace: bool) -> None:
    limit = int(os.environ.get("RNNC_MAX_RUN_BYTES", DEFAULT_MAX_RUN_BYTES))
    need = run_bytes(qm, batch, steps, trace)
    if need > limit:
        raise RnncError(f"{batch} sequences of {steps} steps would need about {need / 2**30:.1f} GiB of "
                        f"files and memory (inputs, outputs{', per-layer traces' if trace else ''}); the limit is "
                        f"{limit / 2**30:.1f} GiB: use fewer or shorter sequences, or raise RNNC_MAX_RUN_BYTES")


@dataclass
class RunOutput:
    y: np.ndarray
    layers: list | None = None                       # per-layer outputs (trace=True)
    states: dict | None = None                       # final per-layer states (state_out=True)
    kernel_path: str = ""                            # <prefix>_kernel_path() of the build that ran


def run_testbench(out_dir: str, x: np.ndarray, *, api: str = "run", chunk: int | None = None, trace: bool = False,
                  sanitize: bool | None = None, extra_cflags: list[str] | None = None,
                  states_in: dict | None = None, state_out: bool = False) -> RunOutput:
    """Build OUT's testbench for its target and run it on x (already checked with check_input).
    states_in: per-layer stored states each row starts from (codegen/state.py)."""
    out = Path(out_dir)
    qm = QModel.load(out)
    lengths = default_lengths(qm, x)
    mode = _drive_mode(qm, api, chunk)
    check_run_size(qm, x.shape[0], x.shape[1], trace)
    runner = runner_for(load_target(qm.target))
    runner.check_capacity(qm, x.shape[0], x.shape[1])
    with stage(f"building the testbench for {qm.target}"):
        program = runner.build_testbench(out, qm, trace=trace, sanitize=sanitize, extra=extra_cflags)
    flags = (binio.STATE_IN if states_in is not None else 0) | (binio.STATE_OUT if state_out else 0)
    with tempfile.TemporaryDirectory(prefix="rnnc-run-") as tmp, stage(f"running on {qm.target}"):
        tmp = Path(tmp)
        binio.write_input(tmp / "in.bin", x, lengths, mode, chunk or 0, flags)
        if states_in is not None:
            (tmp / "state_in.bin").write_bytes(streaming.pack(qm, states_in, x.shape[0]))
        runner.run_testbench(program, tmp, trace=trace)
        res = RunOutput(binio.read_output(tmp / "out.bin", NUMPY_TYPES[qm.output_dtype], _out_shape(qm, x)))
        if (tmp / "kernel_path.txt").is_file():
            res.kernel_path = (tmp / "kernel_path.txt").read_text(errors="replace")
        if state_out:
            res.states = streaming.unpack(qm, (tmp / "state_out.bin").read_bytes(), x.shape[0])
        if trace:
            steps, t = [], x.shape[1]
            for q in qm.layers:
                t = 1 if q.kind == "last_step" else t
                steps.append(t)
            res.layers = binio.read_trace(tmp / "trace.bin", [NUMPY_TYPES[q.out_dtype] for q in qm.layers],
                                          [q.out_size for q in qm.layers], x.shape[0], steps)
    return res


def run_compiled(out_dir: str, x: np.ndarray, *, api: str = "run", chunk: int | None = None,
                 trace: bool = False, sanitize: bool | None = None, extra_cflags: list[str] | None = None,
                 state_in: dict[str, np.ndarray] | None = None, state_out: bool = False):
    """Build OUT for its target, run it on x. Returns y, or (y, per-layer outputs) if trace, or
    (y, {state output name: tensor}) if state_out.

    api="run" calls <prefix>_run once per row, api="step" <prefix>_step per time step;
    chunk=N calls <prefix>_run on chunks of N steps (streaming). state_in: {state input name:
    (entries, batch or 1, hidden)} in the model's layout; rows start from it instead of the reset."""
    qm = QModel.load(Path(out_dir))
    x, _ = _inputs(qm, x)
    states = streaming.states_from_tensors(qm, state_in, x.shape[0]) if state_in else None
    _check_state_out(qm, state_out)
    res = run_testbench(out_dir, x, api=api, chunk=chunk, trace=trace, sanitize=sanitize, extra_cflags=extra_cflags,
                        states_in=states, state_out=state_out)
    if state_out:
        return res.y, streaming.tensors_from_states(qm, res.states)
    return (res.y, res.layers) if trace else res.y


def simulate_compiled(out_dir: str, x: np.ndarray, keep: bool = False, state_in: dict | None = None,
                      state_out: bool = False):
    """The reference simulator on x; with state_out, (y, {state output name: tensor})."""
    qm = QModel.load(Path(out_dir))
    x, lengths = _inputs(qm, x)
    _check_state_out(qm, state_out)
    states = streaming.states_from_tensors(qm, state_in or {}, x.shape[0]) if (state_in or state_out) else None
    res = run_model(qm, x, lengths, keep=keep, states=states)
    return (res, streaming.tensors_from_states(qm, states)) if state_out else res


def _check_state_out(qm: QModel, state_out: bool) -> None:
    if state_out and not any(t.io == "out" for t in qm.state_io):
        raise RnncError("--state-out: the model gives no recurrent state as output")


def _drive_mode(qm: QModel, api: str, chunk: int | None) -> int:
    if api not in ("run", "step"):
        raise RnncError(f"unknown API '{api}' (run or step)")
    if chunk is not None:
        if api == "step":
            raise RnncError("--chunk streams through <prefix>_run; it cannot be combined with the step API")
        if not 1 <= int(chunk) <= 2 ** 31 - 1:
            raise RnncError(f"--chunk must be a number of steps from 1 to 2147483647, got {chunk}")
    if (api == "step" or chunk is not None) and not qm.causal:
        raise RnncError("the step API does not exist for this model (it has non-causal layers)")
    if chunk is not None:
        return binio.MODE_CHUNKS
    return binio.MODE_STEP if api == "step" else binio.MODE_RUN


