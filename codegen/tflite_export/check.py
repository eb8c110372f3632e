"""Run an exported .tflite in the interpreter whose numerics the model follows (TFLite Micro for
'tflm', ai-edge-litert for 'litert') on random sequences and compare with the simulator."""
from __future__ import annotations

import numpy as np

from ..errors import RnncError
from ..qmodel import NUMPY_TYPES
from ..simulate import run_model


def interpreter_outputs(data: bytes, x: np.ndarray, flavour: str) -> np.ndarray:
    """Each row of x as one sequence, the interpreter's state reset before it."""
    out = []
    if flavour == "litert":
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise RnncError("ai-edge-litert is not installed: pip install ai-edge-litert") from None
        it = Interpreter(model_content=data, num_threads=1)
        it.allocate_tensors()
        i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
        for row in x:
            it.reset_all_variables()
            it.set_tensor(i, row[None])
            it.invoke()
            out.append(it.get_tensor(o)[0].copy())
        return np.stack(out)
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        raise RnncError("tflite-micro is not installed: pip install tflite-micro") from None
    it = runtime.Interpreter.from_bytes(data)
    for row in x:
        it.reset()
        it.set_input(row[None], 0)
        it.invoke()
        out.append(it.get_output(0)[0].copy())
    return np.stack(out)


def check_export(qm, data: bytes, steps: int, n: int, seed: int = 0) -> tuple[int, int, str]:
    """(differing elements, elements, interpreter name) over n random full-range sequences."""
    dtype = NUMPY_TYPES[qm.layers[0].in_dtype]
    if not np.issubdtype(dtype, np.integer):
        raise RnncError("only integer-input exports can be checked (export without --float-io)")
    info = np.iinfo(dtype)
    x = np.random.default_rng(seed).integers(info.min, info.max + 1, (n, steps, qm.input_size)).astype(dtype)
    got = interpreter_outputs(data, x, qm.flavour)
    want = run_model(qm, x)
    name = "LiteRT" if qm.flavour == "litert" else "TFLite Micro"
    if got.shape != want.shape:
        raise RnncError(f"{name} gave shape {got.shape}, the simulator {want.shape}")
    return int((got != want).sum()), int(want.size), name
