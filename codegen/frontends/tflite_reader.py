"""A small bounds-checked reader for the few TFLite flatbuffer tables rnnc needs.

Every offset and vector length read from the file is checked against the buffer before use,
so corrupt or hostile bytes give RnncError (never IndexError, struct.error, a huge allocation
or a hang). Tables are read lazily: only what the frontend asks for is touched.

Field numbers follow tensorflow/lite/schema/schema.fbs (field k lives at vtable slot 4 + 2k).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from ..errors import RnncError

# TensorType values (schema.fbs) and their numpy types.
FLOAT32, INT32, INT64, INT16, INT8 = 0, 2, 4, 7, 9
NUMPY_TYPES = {FLOAT32: np.float32, INT32: np.int32, INT64: np.int64, INT16: np.int16, INT8: np.int8}
TYPE_NAMES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 5: "string", 6: "bool",
              7: "int16", 8: "complex64", 9: "int8", 10: "float64"}
CUSTOM = 32
MAX_RANK = 8


class Corrupt(RnncError):
    """A structural defect of the flatbuffer (bad offset, length or vtable)."""


class Table:
    """One flatbuffer table: position of the table and of its vtable, both checked."""

    def __init__(self, fb: "FlatBuffer", pos: int):
        self.fb = fb
        self.pos = pos
        self.vt = vt = pos - fb.scalar("<i", pos)
        self.vt_len = fb.scalar("<H", vt)
        self.tab_len = fb.scalar("<H", vt + 2)
        if self.vt_len < 4 or self.vt_len % 2 or vt + self.vt_len > len(fb.data):
            fb.fail("corrupt vtable")

    def _field(self, k: int, size: int) -> int | None:
        slot = 4 + 2 * k
        if slot >= self.vt_len:
            return None
        off = self.fb.scalar("<H", self.vt + slot)
        if off == 0:
            return None
        if off + size > self.tab_len or self.pos + off + size > len(self.fb.data):
            self.fb.fail("table field out of range")
        return self.pos + off

    def scalar(self, k: int, fmt: str, default):
        p = self._field(k, struct.calcsize(fmt))
        return default if p is None else self.fb.scalar(fmt, p)

    def _target(self, k: int) -> int | None:
        p = self._field(k, 4)
        return None if p is None else self.fb.deref(p)

    def table(self, k: int) -> "Table | None":
        t = self._target(k)
        return None if t is None else Table(self.fb, t)

    def vector(self, k: int, dtype: str) -> np.ndarray:
        """A vector of scalars as a numpy array (empty if the field is absent)."""
        t = self._target(k)
        if t is None:
            return np.zeros(0, dtype)
        start, n = self.fb.vector_at(t, np.dtype(dtype).itemsize)
        return np.frombuffer(self.fb.data, dtype, n, start)

    def tables(self, k: int) -> "TableVector":
        t = self._target(k)
        return TableVector(self.fb, *(self.fb.vector_at(t, 4) if t is not None else (0, 0)))

    def string(self, k: int, limit: int = 60) -> str:
        """A string field, cut and made printable: it only ever appears in messages."""
        text = self.vector(k, "u1")[:limit].tobytes().decode("utf-8", "replace")
        return "".join(ch if ch.isprintable() else "?" for ch in text)


class TableVector:
    """A vector of tables; element i is read (and checked) only when asked for."""

    def __init__(self, fb: "FlatBuffer", start: int, n: int):
        self.fb, self.start, self.n = fb, start, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Table:
        if not 0 <= i < self.n:
            self.fb.fail(f"index {i} out of range (vector of {self.n})")
        return Table(self.fb, self.fb.deref(self.start + 4 * i))


class FlatBuffer:
    def __init__(self, data: bytes, identifier: bytes):
        self.data = data
        if len(data) < 8 or data[4:8] != identifier:
            raise RnncError(f"not a TFLite flatbuffer (file identifier '{identifier.decode()}' missing)")

    def fail(self, reason: str):
        raise Corrupt(f"corrupt TFLite file: {reason}")

    def scalar(self, fmt: str, pos: int):
        if pos < 0 or pos + struct.calcsize(fmt) > len(self.data):
            self.fail("offset out of range")
        return struct.unpack_from(fmt, self.data, pos)[0]

    def deref(self, pos: int) -> int:
        """Follow the uoffset stored at pos; the target must leave room for a length word."""
        t = pos + self.scalar("<I", pos)
        if t + 4 > len(self.data):
            self.fail("offset out of range")
        return t

    def vector_at(self, pos: int, itemsize: int) -> tuple[int, int]:
        n = self.scalar("<I", pos)
        if n * itemsize > len(self.data) - pos - 4:
            self.fail("vector length out of range")
        return pos + 4, n

    def root(self) -> Table:
        return Table(self, self.deref(0))


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    type: int
    buffer: int
    scales: np.ndarray       # float32, empty if not quantized
    zero_points: np.ndarray  # int64
    quant_dim: int

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.type, f"type {self.type}")

    def describe(self) -> str:
        return f"tensor {self.index} '{self.name}'"


@dataclass
class Operator:
    index: int
    code: int
    name: str                # builtin op name, e.g. 'FULLY_CONNECTED'
    inputs: list[int]
    outputs: list[int]
    options_type: int
    options: Table | None

    @property
    def where(self) -> str:
        return f"operator {self.index} ({self.name})"


def _op_names() -> dict[int, str]:
    try:
        from tflite.BuiltinOperator import BuiltinOperator
    except ImportError:  # names are only for messages
        return {}
    return {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)}


class TFLiteFile:
    """The single subgraph of a .tflite model: tensors, operators, constant data."""

    _NAMES: dict[int, str] | None = None

    def __init__(self, data: bytes):
        self.fb = FlatBuffer(data, b"TFL3")
        model = self.fb.root()
        subgraphs = model.tables(2)
        if len(subgraphs) != 1:
            raise RnncError(f"expected one subgraph, found {len(subgraphs)} (control flow is not supported)")
        self.sg = subgraphs[0]
        self.codes = model.tables(1)
        self.buffers = model.tables(4)
        self.tensors = self.sg.tables(0)
        self.operators = self.sg.tables(3)
        self.inputs = [int(v) for v in self.sg.vector(1, "<i4")]
        self.outputs = [int(v) for v in self.sg.vector(2, "<i4")]
        self._tensor_cache: dict[int, Tensor] = {}

    def tensor(self, i: int) -> Tensor:
        if i not in self._tensor_cache:
            if not 0 <= i < len(self.tensors):
                raise RnncError(f"tensor index {i} out of range ({len(self.tensors)} tensors)")
            self._tensor_cache[i] = self._read_tensor(i)
        return self._tensor_cache[i]

    def _read_tensor(self, i: int) -> Tensor:
        t = self.tensors[i]
        q = t.table(4)
        scales, zps, qdim = np.zeros(0, np.float32), np.zeros(0, np.int64), 0
        if q is not None:
            scales = q.vector(2, "<f4").astype(np.float32)
            zps = q.vector(3, "<i8").astype(np.int64)
            qdim = q.scalar(6, "<i", 0)
        dims = t.vector(0, "<i4")
        if dims.size > MAX_RANK:   # also keeps shape products small
            raise RnncError(f"tensor {i} has rank {dims.size} (at most {MAX_RANK} supported)")
        shape = tuple(int(v) for v in dims)
        return Tensor(i, t.string(3), shape, t.scalar(1, "<b", 0), t.scalar(2, "<I", 0), scales, zps, qdim)

    def operator(self, k: int) -> Operator:
        op = self.operators[k]
        idx = op.scalar(0, "<I", 0)
        if not 0 <= idx < len(self.codes):
            raise RnncError(f"operator code index {idx} out of range")
        oc = self.codes[idx]
        code = max(oc.scalar(3, "<i", 0), oc.scalar(0, "<b", 0))   # deprecated_builtin_code < 127
        name = self.op_name(code)
        if code == CUSTOM:
            name = f"CUSTOM '{oc.string(1)}'"
        return Operator(k, code, name, [int(v) for v in op.vector(1, "<i4")],
                        [int(v) for v in op.vector(2, "<i4")], op.scalar(3, "<B", 0), op.table(4))

    @classmethod
    def op_name(cls, code: int) -> str:
        if cls._NAMES is None:
            cls._NAMES = _op_names()
        return cls._NAMES.get(code, f"builtin operator {code}")

    def buffer_bytes(self, b: int) -> bytes:
        """The data of buffer b (inline, or at offset/size outside the flatbuffer)."""
        if not 0 <= b < len(self.buffers):
            raise RnncError(f"buffer index {b} out of range")
        buf = self.buffers[b]
        data = buf.vector(0, "u1")
        if data.size:
            return data.tobytes()
        off, size = buf.scalar(1, "<Q", 0), buf.scalar(2, "<Q", 0)
        if off > 1 and size:
            if off + size > len(self.fb.data):
                self.fb.fail(f"buffer {b} lies outside the file")
            return bytes(self.fb.data[off:off + size])
        return b""

    def constant(self, t: Tensor, what: str) -> np.ndarray:
        """The values of a constant tensor, shaped; RnncError if it has no (matching) data."""
        dt = NUMPY_TYPES.get(t.type)
        if dt is None:
            raise RnncError(f"{what} ({t.describe()}) has unsupported type {t.type_name}")
        data = self.buffer_bytes(t.buffer) if t.buffer > 0 else b""
        if not data:
            raise RnncError(f"{what} ({t.describe()}) is not a constant tensor")
        count = 1
        for d in t.shape:
            count *= max(d, 0)
        if count * np.dtype(dt).itemsize != len(data) or any(d < 0 for d in t.shape):
            raise RnncError(f"{what} ({t.describe()}): {len(data)} bytes do not match shape {list(t.shape)}")
        return np.frombuffer(data, dt).reshape(t.shape).copy()

    def options(self, op: Operator, type_id: int, what: str) -> Table:
        if op.options is None or op.options_type != type_id:
            raise RnncError(f"missing or wrong builtin options (expected {what})")
        return op.options
