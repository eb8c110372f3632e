"""The library API behind the command line: compile, run, sim, verify.

    qm = compile_model("kws.onnx", "out/", scheme="int8", calib=np.load("calib.npy"))
    y = run_compiled("out/", x)          # generated C, built for the output's target
    y_ref = simulate_compiled("out/", x)  # Python reference simulator
    result = verify_compiled("out/", x)   # both, compared element for element
"""
from __future__ import annotations

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
from .toolchain.targets import load_target


def compile_model(model_path: str, out_dir: str, *, target: str = "host", scheme: str = "int8",
                  calib: np.ndarray | None = None, prefix: str | None = None,
                  max_steps: int | None = None, layer_schemes: dict[str, str] | None = None,
                  kernels: str = "auto", force: bool = False, lowbit: dict | None = None,
                  npu_steps: int | None = None, numerics: str = "tflm") -> QModel:
    with stage(f"reading {Path(model_path).name}"):
        model = load_model(model_path)
    return compile_ir(model, out_dir, target=target, scheme=scheme, calib=calib, prefix=prefix,
                      max_steps=max_steps, layer_schemes=layer_schemes, kernels=kernels, force=force,
                      lowbit=lowbit, npu_steps=npu_steps, numerics=numerics)


def compile_ir(model: ir.Model, out_dir: str, *, target: str = "host", scheme: str = "int8",
               calib: np.ndarray | None = None, prefix: str | None = None,
               max_steps: int | None = None, layer_schemes: dict[str, str] | None = None,
               kernels: str = "auto", force: bool = False, lowbit: dict | None = None,
               npu_steps: int | None = None, numerics: str = "tflm") -> QModel:
    """Quantize an IR model and write the C sources and manifest into out_dir.

    lowbit: settings of the low-bit schemes (quant/lowbit.py LOWBIT_OPTIONS), e.g.
    {"residual": "auto", "sparsity": 0.5}. npu_steps: time steps per NPU invocation on an Ethos-U
    target (default 1: one step per invocation, the streaming form). numerics: "tflm" (TFLite
    Micro's arithmetic) or "litert" (full TFLite's integer LSTM, codegen/quant/litert.py).

    out_dir may hold other files: rnnc refuses to overwrite any it did not write (or that was
    edited since) unless force=True (codegen/outdir.py)."""
    tgt = load_target(target)
    kernels = check_kernels(kernels, tgt)
    prefix = check_prefix(prefix) if prefix is not None else default_prefix(model.name)
    options = {"max_steps": max_steps} if max_steps else {}
    options.update(lowbit or {})
    if npu_steps:
        if not tgt.get("npu"):
            raise RnncError(f"--npu-steps needs an NPU target (ethos-u...), not '{tgt['name']}'")
        options["npu_steps"] = int(npu_steps)
    qm = quantize_model(model, scheme, calib, target=target, prefix=prefix,
                        layer_schemes=layer_schemes, options=options)
    use_kernel_variant(qm, kernels)
    from .quant.litert import use_numerics
    use_numerics(qm, numerics)
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


from .running import check_run_size, run_compiled, simulate_compiled  # noqa: E402,F401  (the API)
from .verification import VerifyResult, verify_compiled  # noqa: E402,F401


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
