"""A small checked writer of TFLite flatbuffers (one subgraph), over the schema bindings of the
`tflite` package.

Everything is checked before a byte is written, as codegen/frontends/tflite_reader.py checks
what it reads: tensor shapes against their data, element types against the numpy dtype,
quantization (finite positive float32 scales, zero points inside the type), operator inputs
that name existing tensors, one producer per activation tensor, and the 2 GiB flatbuffer limit.
Constant data lies in 16-byte aligned buffers (the interpreter reads int32/int64 biases in
place). A defect is a RnncError naming the tensor or operator, never a corrupt file.

>>> import numpy as np
>>> w = TfliteWriter("doc")
>>> x = w.tensor("x", (1, 3), "int8", Quant([0.5], [0]))
>>> y = w.tensor("y", (1, 3), "int8", Quant([0.5], [0]))
>>> w.op("RELU", [x], [y])
>>> data = w.finish([x], [y])
>>> data[4:8]
b'TFL3'
>>> w2 = TfliteWriter("doc")
>>> w2.tensor("c", (2,), "int8", data=np.zeros(3, np.int8))
Traceback (most recent call last):
...
codegen.errors.RnncError: tensor 'c': 3 values for shape (2,)
"""
from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..errors import RnncError

#: TensorType values (schema.fbs) and the numpy dtype of their data
TYPES = {"float32": (0, np.float32), "int32": (2, np.int32), "int64": (4, np.int64),
         "int16": (7, np.int16), "int8": (9, np.int8)}
RANGES = {"int8": (-128, 127), "int16": (-32768, 32767), "int32": (-2 ** 31, 2 ** 31 - 1),
          "int64": (-2 ** 63, 2 ** 63 - 1)}
FLATBUFFER_LIMIT = 2 ** 31 - 1
SCHEMA_VERSION = 3
ALIGN = 16


def schema(name: str):
    """A table module of the flatbuffer bindings (tflite.Tensor, tflite.Operator, ...)."""
    return importlib.import_module(f"tflite.{name}")


@dataclass
class Quant:
    """Per-tensor (one scale) or per-channel (one per slice of `dim`) affine quantization."""
    scales: Sequence[float]
    zero_points: Sequence[int]
    dim: int = 0


@dataclass
class _Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: Quant | None
    buffer: int
    variable: bool


@dataclass
class _Op:
    code: str
    inputs: list[int]
    outputs: list[int]
    options: tuple[str, Callable] | None
    intermediates: list[int] = field(default_factory=list)


class TfliteWriter:
    """Tensors and operators of one subgraph, written by finish(inputs, outputs)."""

    def __init__(self, description: str):
        self.description = description
        self.tensors: list[_Tensor] = []
        self.buffers: list[bytes] = [b""]        # buffer 0: the empty buffer of activations
        self.ops: list[_Op] = []
        self.size = 0

    def fail(self, msg: str):
        raise RnncError(msg)

    def tensor(self, name: str, shape, dtype: str, quant: Quant | None = None, data: np.ndarray | None = None,
               variable: bool = False) -> int:
        """Add a tensor (constant when `data` is given) and return its index."""
        if dtype not in TYPES:
            self.fail(f"tensor '{name}': type {dtype} cannot be written")
        shape = tuple(int(d) for d in shape)
        if any(d < 0 or d > 2 ** 31 - 1 for d in shape) or len(shape) > 8:
            self.fail(f"tensor '{name}': shape {shape} is not a valid TFLite shape")
        if quant is not None:
            self._check_quant(name, shape, dtype, quant)
        buf = 0
        if data is not None:
            data = np.asarray(data)
            if data.dtype != TYPES[dtype][1]:
                self.fail(f"tensor '{name}': data is {data.dtype}, the tensor {dtype}")
            if data.size != math.prod(shape):
                self.fail(f"tensor '{name}': {data.size} values for shape {shape}")
            raw = np.ascontiguousarray(data).astype(data.dtype.newbyteorder("<"), copy=False).tobytes()
            self.size += len(raw) + ALIGN
            if self.size > FLATBUFFER_LIMIT // 2:
                self.fail(f"tensor '{name}': the model's constants exceed what one .tflite file can hold")
            self.buffers.append(raw)
            buf = len(self.buffers) - 1
        self.tensors.append(_Tensor(name, shape, dtype, quant, buf, variable))
        return len(self.tensors) - 1

    def rename(self, i: int, name: str) -> int:
        """Give tensor i the name `name` (a graph output the glue finds by name); returns i."""
        self.tensors[i].name = name
        return i

    def _check_quant(self, name, shape, dtype, q: Quant) -> None:
        scales = np.asarray(q.scales, np.float64)
        if scales.ndim != 1 or scales.size == 0 or len(q.zero_points) != scales.size:
            self.fail(f"tensor '{name}': quantization needs one zero point per scale")
        if not np.all(np.isfinite(scales)) or np.any(scales <= 0) or np.any(scales != scales.astype(np.float32)):
            self.fail(f"tensor '{name}': scales must be finite positive float32 values")
        if scales.size > 1 and (not 0 <= q.dim < len(shape) or shape[q.dim] != scales.size):
            self.fail(f"tensor '{name}': {scales.size} per-channel scales for dimension {q.dim} of {shape}")
        lo, hi = RANGES.get(dtype, (0, 0)) if dtype != "float32" else (0, 0)
        if any(not lo <= int(z) <= hi for z in q.zero_points):
            self.fail(f"tensor '{name}': zero point outside {dtype}")

    def op(self, code: str, inputs: Sequence[int], outputs: Sequence[int],
           options: tuple[str, Callable] | None = None, intermediates: Sequence[int] = ()) -> None:
        """An operator: `code` a BuiltinOperator name; inputs may hold -1 (an omitted optional
        input); options = (BuiltinOptions name, fn(builder) -> table offset)."""
        bo = schema("BuiltinOperator").BuiltinOperator
        if not hasattr(bo, code):
            self.fail(f"operator {code} is not a TFLite builtin")
        n = len(self.tensors)
        for i in list(inputs) + list(outputs) + list(intermediates):
            if not -1 <= i < n or (i == -1 and (i in outputs or i in intermediates)):
                self.fail(f"operator {len(self.ops)} ({code}): tensor index {i} does not exist")
        for o in outputs:
            if self.tensors[o].buffer or self.tensors[o].variable:
                self.fail(f"operator {len(self.ops)} ({code}) writes constant or variable tensor "
                          f"'{self.tensors[o].name}'")
            if any(o in p.outputs for p in self.ops):
                self.fail(f"tensor '{self.tensors[o].name}' has two producers")
        self.ops.append(_Op(code, list(inputs), list(outputs), options, list(intermediates)))

    def finish(self, inputs: Sequence[int], outputs: Sequence[int]) -> bytes:
        """The .tflite bytes of the subgraph with these graph inputs and outputs."""
        produced = {o for p in self.ops for o in p.outputs} | set(inputs)
        for p in self.ops:
            for i in p.inputs:
                t = self.tensors[i] if i >= 0 else None
                if t is not None and not (t.buffer or t.variable or i in produced):
                    self.fail(f"operator {p.code} reads tensor '{t.name}', which nothing produces")
        for o in outputs:
            if o not in produced:
                self.fail(f"graph output '{self.tensors[o].name}' is not produced")
        import flatbuffers
        b = flatbuffers.Builder(1 << 16)
        buffers = [self._buffer(b, raw) for raw in self.buffers]
        tensors = [self._tensor(b, t) for t in self.tensors]
        codes = list(dict.fromkeys(p.code for p in self.ops))    # in order of first use
        ops = [self._op(b, p, codes.index(p.code)) for p in self.ops]
        SG, M, OC = schema("SubGraph"), schema("Model"), schema("OperatorCode")
        bo = schema("BuiltinOperator").BuiltinOperator
        tv = _offsets(b, SG.SubGraphStartTensorsVector, tensors)
        iv = _ints(b, SG.SubGraphStartInputsVector, inputs)
        ov = _ints(b, SG.SubGraphStartOutputsVector, outputs)
        opv = _offsets(b, SG.SubGraphStartOperatorsVector, ops)
        name = b.CreateString("main")
        SG.SubGraphStart(b)
        SG.SubGraphAddTensors(b, tv)
        SG.SubGraphAddInputs(b, iv)
        SG.SubGraphAddOutputs(b, ov)
        SG.SubGraphAddOperators(b, opv)
        SG.SubGraphAddName(b, name)
        sg = SG.SubGraphEnd(b)
        oc_offs = []
        for c in codes:
            value = getattr(bo, c)
            OC.OperatorCodeStart(b)
            OC.OperatorCodeAddDeprecatedBuiltinCode(b, min(value, 127))   # 127: see builtin_code
            OC.OperatorCodeAddBuiltinCode(b, value)
            OC.OperatorCodeAddVersion(b, 1)
            oc_offs.append(OC.OperatorCodeEnd(b))
        ocv = _offsets(b, M.ModelStartOperatorCodesVector, oc_offs)
        sgv = _offsets(b, M.ModelStartSubgraphsVector, [sg])
        bv = _offsets(b, M.ModelStartBuffersVector, buffers)
        desc = b.CreateString(self.description)
        M.ModelStart(b)
        M.ModelAddVersion(b, SCHEMA_VERSION)
        M.ModelAddOperatorCodes(b, ocv)
        M.ModelAddSubgraphs(b, sgv)
        M.ModelAddBuffers(b, bv)
        M.ModelAddDescription(b, desc)
        b.Finish(M.ModelEnd(b), file_identifier=b"TFL3")
        out = bytes(b.Output())
        if len(out) > FLATBUFFER_LIMIT:
            self.fail("the model is larger than a .tflite file can be (2 GiB)")
        return out

    @staticmethod
    def _buffer(b, raw: bytes) -> int:
        B = schema("Buffer")
        vec = None
        if raw:
            b.StartVector(1, len(raw), ALIGN)
            b.head = b.head - len(raw)
            b.Bytes[b.head:b.head + len(raw)] = raw
            vec = b.EndVector()
        B.BufferStart(b)
        if vec is not None:
            B.BufferAddData(b, vec)
        return B.BufferEnd(b)

    @staticmethod
    def _tensor(b, t: _Tensor) -> int:
        T, Q = schema("Tensor"), schema("QuantizationParameters")
        q = None
        if t.quant is not None:
            sc = _vector(b, Q.QuantizationParametersStartScaleVector, [float(s) for s in t.quant.scales],
                         b.PrependFloat32)
            zp = _vector(b, Q.QuantizationParametersStartZeroPointVector, [int(z) for z in t.quant.zero_points],
                         b.PrependInt64)
            Q.QuantizationParametersStart(b)
            Q.QuantizationParametersAddScale(b, sc)
            Q.QuantizationParametersAddZeroPoint(b, zp)
            Q.QuantizationParametersAddQuantizedDimension(b, t.quant.dim)
            q = Q.QuantizationParametersEnd(b)
        name = b.CreateString(t.name)
        shape = _ints(b, T.TensorStartShapeVector, t.shape)
        T.TensorStart(b)
        T.TensorAddShape(b, shape)
        T.TensorAddType(b, TYPES[t.dtype][0])
        T.TensorAddBuffer(b, t.buffer)
        T.TensorAddName(b, name)
        if q is not None:
            T.TensorAddQuantization(b, q)
        T.TensorAddIsVariable(b, t.variable)
        return T.TensorEnd(b)

    @staticmethod
    def _op(b, p: _Op, code_index: int) -> int:
        O = schema("Operator")
        opts = p.options[1](b) if p.options else None
        ins = _ints(b, O.OperatorStartInputsVector, p.inputs)
        outs = _ints(b, O.OperatorStartOutputsVector, p.outputs)
        inter = _ints(b, O.OperatorStartIntermediatesVector, p.intermediates) if p.intermediates else None
        O.OperatorStart(b)
        O.OperatorAddOpcodeIndex(b, code_index)
        O.OperatorAddInputs(b, ins)
        O.OperatorAddOutputs(b, outs)
        if opts is not None:
            O.OperatorAddBuiltinOptionsType(b, getattr(schema("BuiltinOptions").BuiltinOptions, p.options[0]))
            O.OperatorAddBuiltinOptions(b, opts)
        if inter is not None:
            O.OperatorAddIntermediates(b, inter)
        return O.OperatorEnd(b)


def empty_options(table: str):
    """(BuiltinOptions name, builder) of an options table with no fields set."""
    def build(b):
        O = schema(table)
        getattr(O, f"{table}Start")(b)
        return getattr(O, f"{table}End")(b)
    return table, build


def concat_options(axis: int):
    def build(b):
        O = schema("ConcatenationOptions")
        O.ConcatenationOptionsStart(b)
        O.ConcatenationOptionsAddAxis(b, axis)
        return O.ConcatenationOptionsEnd(b)
    return "ConcatenationOptions", build


def _vector(b, start, values, prepend) -> int:
    start(b, len(values))
    for v in reversed(values):
        prepend(v)
    return b.EndVector()


def _ints(b, start, values) -> int:
    return _vector(b, start, [int(v) for v in values], b.PrependInt32)


def _offsets(b, start, values) -> int:
    return _vector(b, start, values, b.PrependUOffsetTRelative)
