"""The library API behind the command line: compile, run, sim, verify.

    qm = compile_model("kws.onnx", "out/", scheme="int8", calib=np.load("calib.npy"))
    y = run_compiled("out/", x)          # generated C, built for the output's target
    y_ref = simulate_compiled("out/", x)  # Python reference simulator
    result = verify_compiled("out/", x)   # both, compared element for element
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import ir
from .emit.frame import emit_model
from .emit.names import check_prefix, default_prefix
from .errors import RnncError
from .progress import stage
from .frontends import load_model
from .kernel_variants import check_kernels, use_kernel_variant
from .qmodel import NUMPY_TYPES, QModel
from .quantize import quantize_model
from .simulate import check_input, default_lengths, run_layer, run_model
from .toolchain import binio
from .toolchain.runners import runner_for
from .toolchain.targets import load_target


def compile_model(model_path: str, out_dir: str, *, target: str = "host", scheme: str = "int8",
                  calib: np.ndarray | None = None, prefix: str | None = None,
                  max_steps: int | None = None, layer_schemes: dict[str, str] | None = None,
                  kernels: str = "auto", force: bool = False) -> QModel:
    with stage(f"reading {Path(model_path).name}"):
        model = load_model(model_path)
    return compile_ir(model, out_dir, target=target, scheme=scheme, calib=calib, prefix=prefix,
                      max_steps=max_steps, layer_schemes=layer_schemes, kernels=kernels, force=force)


def compile_ir(model: ir.Model, out_dir: str, *, target: str = "host", scheme: str = "int8",
               calib: np.ndarray | None = None, prefix: str | None = None,
               max_steps: int | None = None, layer_schemes: dict[str, str] | None = None,
               kernels: str = "auto", force: bool = False) -> QModel:
    """Quantize an IR model and write the C sources and manifest into out_dir.

    out_dir may hold other files: rnnc refuses to overwrite any it did not write (or that was
    edited since) unless force=True (codegen/outdir.py)."""
    tgt = load_target(target)
    kernels = check_kernels(kernels, tgt)
    prefix = check_prefix(prefix) if prefix is not None else default_prefix(model.name)
    qm = quantize_model(model, scheme, calib, target=target, prefix=prefix,
                        layer_schemes=layer_schemes, options={"max_steps": max_steps} if max_steps else None)
    use_kernel_variant(qm, kernels)
    _check_sequence_buffers(qm, tgt)
    with stage("emitting C"):
        files = emit_model(qm, tgt)
    with stage(f"writing {out_dir}"):
        qm.save(Path(out_dir), files, force=force)
    return qm


#: static sequence buffers a host build may declare (non-causal models buffer whole sequences)
HOST_BUFFER_LIMIT = 1 << 30


def _check_sequence_buffers(qm: QModel, target: dict) -> None:
    """A non-causal model keeps MAX_STEPS outputs of every inner layer in static buffers:
    refuse a --max-steps whose buffers the target cannot hold, naming the numbers."""
    if qm.causal:
        return
    need = qm.max_steps * sum(q.out_size * np.dtype(NUMPY_TYPES[q.out_dtype]).itemsize for q in qm.layers[:-1])
    limit = int(str(target.get("ram_length", HOST_BUFFER_LIMIT)), 0)
    if need > limit:
        raise RnncError(f"--max-steps {qm.max_steps} needs {need} bytes of static sequence buffers "
                        f"(the model has non-causal layers); {target['name']} has {limit}: lower --max-steps")


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
    import os
    limit = int(os.environ.get("RNNC_MAX_RUN_BYTES", DEFAULT_MAX_RUN_BYTES))
    need = run_bytes(qm, batch, steps, trace)
    if need > limit:
        raise RnncError(f"{batch} sequences of {steps} steps would need about {need / 2**30:.1f} GiB of "
                        f"files and memory (inputs, outputs{', per-layer traces' if trace else ''}); the limit is "
                        f"{limit / 2**30:.1f} GiB: use fewer or shorter sequences, or raise RNNC_MAX_RUN_BYTES")


def run_compiled(out_dir: str, x: np.ndarray, *, api: str = "run", chunk: int | None = None,
                 trace: bool = False, sanitize: bool | None = None, extra_cflags: list[str] | None = None):
    """Build OUT for its target, run it on x. Returns y, or (y, per-layer outputs) if trace.

    api="run" calls <prefix>_run once per row, api="step" <prefix>_step per time step;
    chunk=N calls <prefix>_run on chunks of N steps (streaming)."""
    out = Path(out_dir)
    qm = QModel.load(out)
    x, lengths = _inputs(qm, x)
    mode = _drive_mode(qm, api, chunk)
    check_run_size(qm, x.shape[0], x.shape[1], trace)
    runner = runner_for(load_target(qm.target))
    runner.check_capacity(qm, x.shape[0], x.shape[1])
    with stage(f"building the testbench for {qm.target}"):
        program = runner.build_testbench(out, qm, trace=trace, sanitize=sanitize, extra=extra_cflags)
    with tempfile.TemporaryDirectory(prefix="rnnc-run-") as tmp, stage(f"running on {qm.target}"):
        tmp = Path(tmp)
        binio.write_input(tmp / "in.bin", x, lengths, mode, chunk or 0)
        runner.run_testbench(program, tmp, trace=trace)
        y = binio.read_output(tmp / "out.bin", NUMPY_TYPES[qm.output_dtype], _out_shape(qm, x))
        if not trace:
            return y
        steps, t = [], x.shape[1]
        for q in qm.layers:
            t = 1 if q.kind == "last_step" else t
            steps.append(t)
        layers = binio.read_trace(tmp / "trace.bin", [NUMPY_TYPES[q.out_dtype] for q in qm.layers],
                                  [q.out_size for q in qm.layers], x.shape[0], steps)
        return y, layers


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


def simulate_compiled(out_dir: str, x: np.ndarray, keep: bool = False):
    qm = QModel.load(Path(out_dir))
    x, lengths = _inputs(qm, x)
    return run_model(qm, x, lengths, keep=keep)


@dataclass
class VerifyResult:
    ok: bool
    exact: bool            # every layer's output is integer (compared bit for bit)
    elements: int
    mismatches: int        # over every layer's output
    max_abs_diff: float
    first: str | None = None   # "layer 'lstm0' (index 0, lstm), row 2, step 5, element 17: C=12 sim=13"

    def summary(self) -> str:
        kind = "bit-exact" if self.exact else "integer layers bit-exact, float layers within 1e-5"
        if self.ok:
            return f"OK: {self.elements} output elements, generated C == simulator ({kind}, layer by layer)"
        return (f"MISMATCH: {self.mismatches} elements differ (max |diff| {self.max_abs_diff:g}); "
                f"first at {self.first}")


FLOAT_ATOL, FLOAT_RTOL = 1e-5, 1e-4


def verify_compiled(out_dir: str, x: np.ndarray, sanitize: bool | None = None,
                    extra_cflags: list[str] | None = None) -> VerifyResult:
    """Run the generated C (with per-layer traces) and compare every layer with the simulator
    run on the C's own input of that layer: integer outputs bit for bit, float outputs within
    FLOAT_ATOL/FLOAT_RTOL. Taking each layer's input from the C keeps the comparison exact for
    integer layers that follow float ones (mixed precision), where libm and numpy may differ
    in the last bit of a float and a quantization boundary would carry that into an integer."""
    qm = QModel.load(Path(out_dir))
    x, lengths = _inputs(qm, x)
    y_c, layers_c = run_compiled(out_dir, x, trace=True, sanitize=sanitize, extra_cflags=extra_cflags)
    bad_total, worst, first = 0, 0.0, None
    inp, lens = x, np.asarray(lengths, np.int64)
    for i, q in enumerate(qm.layers):
        with stage(f"simulating layer {i + 1} of {len(qm.layers)} ({q.name})"):
            want, lens = run_layer(q, inp, lens)
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
    exact = all(q.out_dtype != "float32" for q in qm.layers)
    return VerifyResult(first is None, exact, int(y_c.size), bad_total, worst, first)


def _differs(a, b, exact: bool):
    if exact:
        return a != b
    return ~np.isclose(a, b, atol=FLOAT_ATOL, rtol=FLOAT_RTOL)


def random_input(qm: QModel, n: int, steps: int | None = None, seed: int = 0) -> np.ndarray:
    """Random sequences in the model's input dtype, covering the full quantized range."""
    rng = np.random.default_rng(seed)
    t = steps or min(qm.max_steps, 16)
    shape = (n, t, qm.input_size)
    if qm.input_kind == "tokens":
        vocab = qm.layers[0].ir.table.shape[0] if qm.layers[0].ir is not None else 2
        return rng.integers(0, vocab, shape).astype(np.int32)
    if qm.input_dtype == "float32":
        return rng.standard_normal(shape).astype(np.float32)
    info = np.iinfo(NUMPY_TYPES[qm.input_dtype])
    return rng.integers(info.min, info.max + 1, shape).astype(NUMPY_TYPES[qm.input_dtype])
