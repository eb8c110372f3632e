"""`rnnc export-tflite`: a compiled integer model written as a .tflite file.

Each layer kind registers an exporter (registry.tflite_exporter) that writes its layer as the
TFLite operators whose reference arithmetic, TFLite Micro's, is the arithmetic rnnc's simulator
and C compute: the LSTM as UNIDIRECTIONAL_SEQUENCE_LSTM (with the intermediate tensors Vela
reads), dense as FULLY_CONNECTED, the last step as STRIDED_SLICE, and so on. The interpreter
derives its multipliers from the float32 scales in the file; every exporter first re-derives
them from those same float32 values and refuses the layer if they differ from the compiled
ones, so an exported file never computes something else silently. docs/tflite-export.md.

The file has a fixed shape, batch 1 and `steps` time steps (TFLite Micro cannot resize); the
LSTM state lives in variable tensors, reset by the interpreter's reset() and carried from one
Invoke to the next otherwise: with steps=1 the file is a streaming model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RnncError, UnsupportedError
from ..qmodel import QModel
from .writer import Quant, TfliteWriter

MAX_STEPS = 1 << 20


@dataclass
class ExportContext:
    """What an exporter writes into: the writer, the sequence length, the model's file."""
    writer: TfliteWriter
    steps: int
    source: str
    reverse_by_slices: bool = False     # no REVERSE_V2 (Ethos-U55/U65 cannot run it)
    carry_state: bool = False           # unrolled recurrences read and return their state (NPU glue)
    state_outputs: list[int] = field(default_factory=list)   # extra graph outputs: final states

    def like(self, x: int, name: str, width: int, dtype: str, q) -> int:
        """A new activation tensor shaped as x with `width` features, quantized by q."""
        shape = self.writer.tensors[x].shape[:-1] + (width,)
        return self.writer.tensor(name, shape, dtype, quant(q))


def quant(q) -> Quant | None:
    """An ir.QuantParams as the writer's per-tensor quantization (scale checked float32 there)."""
    return None if q is None else Quant([float(q.scale)], [int(q.zero_point)])


def export_qmodel(qm: QModel, steps: int, float_io: bool = False, reverse_by_slices: bool = False,
                  carry_state: bool = False, layers: tuple[int, int] | None = None) -> bytes:
    """The .tflite bytes of a compiled model: batch 1, `steps` steps; integer input and output
    (as the model's own) or, with float_io, float32 ones through QUANTIZE / DEQUANTIZE;
    reverse_by_slices writes time reversals without REVERSE_V2; with carry_state an unrolled GRU/RNN
    reads its initial h from a variable tensor `<layer>_d0_h_state` (zero after a reset, and
    never written by an operator) and returns its final h as an extra graph output
    `<layer>_d0_h_final`, after the model's output, so that the NPU glue can carry the state.
    layers=(first, last) writes only those layers (inclusive): `steps` is then what the first of
    them receives, and the file's input is that layer's input."""
    from ..registry import find_tflite_exporter
    if not 1 <= steps <= MAX_STEPS:
        raise RnncError(f"--steps must be between 1 and {MAX_STEPS}")
    if qm.sequence_lens is not None:
        raise UnsupportedError("the model has constant sequence lengths; a .tflite runs every step",
                               file=qm.source)
    ctx = ExportContext(TfliteWriter(f"{qm.generator}: {qm.name} ({qm.scheme})"), steps, qm.source,
                        reverse_by_slices, carry_state)
    w = ctx.writer
    lo, hi = layers if layers is not None else (0, len(qm.layers) - 1)
    if not 0 <= lo <= hi < len(qm.layers):
        raise RnncError(f"layers {lo}..{hi} are not layers of the model (0..{len(qm.layers) - 1})")
    chosen = qm.layers[lo:hi + 1]
    first = chosen[0]
    x0 = x = w.tensor("input", (1, steps, first.in_size), first.in_dtype, quant(first.in_q))
    if float_io and first.in_dtype != "float32":
        x0 = w.tensor("input_float", (1, steps, first.in_size), "float32")
        w.op("QUANTIZE", [x0], [x])
    for q in chosen:
        fn = find_tflite_exporter(q.kind, q.scheme)
        if fn is None:
            raise UnsupportedError(f"{q.kind} layers with scheme '{q.scheme}' cannot be written as TFLite operators "
                                   "(int8 and int16x8 LSTMs, dense layers, relu, last step and conversions can)",
                                   file=qm.source, where=q.where)
        try:
            x = fn(q, ctx, x)
        except RnncError as e:
            raise e.with_context(file=qm.source, where=q.where) from None
    y = x
    if float_io and chosen[-1].out_dtype != "float32":
        y = w.tensor("output_float", w.tensors[x].shape, "float32")
        w.op("DEQUANTIZE", [x], [y])
    # a final state that is the model's output too (one step, the recurrence last) stays output 0
    data = w.finish([x0], [y, *(t for t in ctx.state_outputs if t != y)])
    from ..frontends.tflite_reader import TFLiteFile
    f = TFLiteFile(data)                 # our own reader walks what was written
    for k in range(len(w.ops)):
        f.operator(k)
    return data


def export_tflite(out_dir: str, path: str, steps: int, float_io: bool = False) -> int:
    """Write the model compiled into out_dir as a .tflite file; returns its size in bytes."""
    qm = QModel.load(out_dir)
    data = export_qmodel(qm, steps, float_io)
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    try:
        tmp.write_bytes(data)
        tmp.replace(p)
    except OSError as e:
        raise RnncError(f"cannot write {path}: {e.strerror}") from None
    return len(data)


__all__ = ["export_qmodel", "export_tflite", "ExportContext", "quant"]
