"""The binary files exchanged with the generated testbench (see templates/testbench.c.j2)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

MAGIC = 0x494E4E52  # 'RNNI' little-endian


#: how the testbench drives the model (header field `mode`)
MODE_RUN, MODE_STEP, MODE_CHUNKS = 0, 1, 2


#: header flags: rows start from state_in.bin / final states go to state_out.bin
STATE_IN, STATE_OUT = 1, 2


def write_input(path: Path, x: np.ndarray, lengths: np.ndarray, mode: int = MODE_RUN, chunk: int = 0,
                flags: int = 0) -> None:
    """mode MODE_RUN: <prefix>_run per row; MODE_STEP: <prefix>_step per time step;
    MODE_CHUNKS: <prefix>_run over chunks of `chunk` steps. flags: STATE_IN | STATE_OUT."""
    b, t, f = x.shape
    hdr = np.array([MAGIC, b, t, f, x.dtype.itemsize, mode, chunk, flags], np.int32)
    with open(path, "wb") as fh:
        fh.write(hdr.tobytes())
        fh.write(np.asarray(lengths, np.int32).tobytes())
        fh.write(np.ascontiguousarray(x).tobytes())


def read_output(path: Path, dtype, shape: tuple[int, ...]) -> np.ndarray:
    data = np.fromfile(path, dtype=dtype)
    n = int(np.prod(shape))
    if data.size != n:
        raise ValueError(f"testbench wrote {data.size} values, expected {n}")
    return data.reshape(shape)


def read_trace(path: Path, dtypes: list, widths: list[int], batch: int, steps: list[int]):
    """Per-layer arrays (batch, steps_i, width_i) rebuilt from trace records."""
    outs = [np.zeros((batch, s, w), d) for d, w, s in zip(dtypes, widths, steps)]
    raw = Path(path).read_bytes()
    pos = 0
    while pos + 16 <= len(raw):
        layer, row, step, nbytes = np.frombuffer(raw, np.int32, 4, pos)
        pos += 16
        vals = np.frombuffer(raw, outs[layer].dtype, nbytes // outs[layer].dtype.itemsize, pos)
        pos += int(nbytes)
        if 0 <= step < outs[layer].shape[1]:
            outs[layer][row, step] = vals
    return outs
