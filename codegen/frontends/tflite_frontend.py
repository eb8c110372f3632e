"""TFLite frontend for the int8 models the official converter makes from Keras LSTMs.

Supported ops: UNIDIRECTIONAL_SEQUENCE_LSTM, FULLY_CONNECTED, QUANTIZE/DEQUANTIZE at the
model boundary, RESHAPE of batch/time axes. The model's own quantization is kept exactly
(`fixed_quant` on each IR layer); float weights are dequantized for float simulation.

The file is read through the flatbuffer bindings of the `tflite` package, with every vector
length and buffer checked against the file size first, so corrupt files give RnncError.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .. import ir
from ..errors import RnncError, UnsupportedError
from ..ir import QuantParams

MAX_FILE_BYTES = 1 << 30
TFL_INT8, TFL_INT16, TFL_INT32, TFL_FLOAT32, TFL_INT64 = 9, 7, 2, 0, 4
DTYPES = {TFL_INT8: np.int8, TFL_INT16: np.int16, TFL_INT32: np.int32, TFL_FLOAT32: np.float32,
          TFL_INT64: np.int64}
LSTM_GATE_INPUTS = {"i": (1, 5, 12), "f": (2, 6, 13), "c": (3, 7, 14), "o": (4, 8, 15)}
ACTIVATIONS = {0: "none", 1: "relu", 3: "relu6", 4: "tanh", 6: "sigmoid"}


class _Reader:
    """Bounds-checked access to one subgraph of a TFLite flatbuffer."""

    def __init__(self, data: bytes, path: str):
        try:
            import tflite
        except ImportError:
            raise RnncError("the Python package 'tflite' (flatbuffer bindings) is missing; "
                            "run 'make setup' or pip install tflite") from None
        self.tflite = tflite
        self.data = data
        self.path = path
        if len(data) < 8 or data[4:8] != b"TFL3":
            raise RnncError("not a TFLite flatbuffer (identifier 'TFL3' missing)", file=path)
        self.model = tflite.Model.GetRootAsModel(data, 0)
        if self._n(self.model.SubgraphsLength()) != 1:
            raise UnsupportedError("models with several subgraphs (control flow) are not supported", file=path)
        self.sg = self.model.Subgraphs(0)
        self.ntensors = self._n(self.sg.TensorsLength())
        self.nbuffers = self._n(self.model.BuffersLength())
        self.ncodes = self._n(self.model.OperatorCodesLength())

    def _n(self, n: int) -> int:
        if n < 0 or n * 4 > len(self.data):
            raise RnncError("corrupt vector length", file=self.path)
        return n

    def ints(self, getter, length) -> list[int]:
        n = self._n(length())
        return [int(v) for v in getter()] if n else []

    def op_name(self, op) -> str:
        idx = op.OpcodeIndex()
        if not 0 <= idx < self.ncodes:
            raise RnncError("operator code index out of range")
        oc = self.model.OperatorCodes(idx)
        code = max(int(oc.BuiltinCode()), int(oc.DeprecatedBuiltinCode()))
        names = {v: k for k, v in vars(self.tflite.BuiltinOperator).items() if not k.startswith("_")}
        return names.get(code, f"operator code {code}")

    def tensor(self, i: int):
        if not 0 <= i < self.ntensors:
            raise RnncError(f"tensor index {i} out of range")
        return self.sg.Tensors(i)

    def shape(self, i: int) -> tuple[int, ...]:
        t = self.tensor(i)
        return tuple(self.ints(t.ShapeAsNumpy, t.ShapeLength))

    def quant(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        q = self.tensor(i).Quantization()
        if q is None:
            return np.zeros(0), np.zeros(0, np.int64)
        s = np.asarray(q.ScaleAsNumpy() if self._n(q.ScaleLength()) else [], np.float64)
        z = np.asarray(q.ZeroPointAsNumpy() if self._n(q.ZeroPointLength()) else [], np.int64)
        return s, z

    def qparams(self, i: int, what: str) -> QuantParams:
        t = self.tensor(i)
        s, z = self.quant(i)
        dtype = {TFL_INT8: "int8", TFL_INT16: "int16"}.get(t.Type())
        if dtype is None or s.size != 1 or z.size != 1 or not np.isfinite(s[0]) or s[0] <= 0:
            raise UnsupportedError(f"{what} must be int8/int16 with one scale and zero point")
        return QuantParams(float(np.float32(s[0])), int(z[0]), dtype)

    def const(self, i: int, what: str) -> np.ndarray:
        t = self.tensor(i)
        dt = DTYPES.get(t.Type())
        b = t.Buffer()
        if dt is None or not 0 < b < self.nbuffers:
            raise RnncError(f"{what} is not a constant tensor of a supported type")
        buf = self.model.Buffers(b)
        n = buf.DataLength()
        if n <= 0 or n > len(self.data):
            raise RnncError(f"{what} has no data")
        shape = self.shape(i)
        count = int(np.prod(shape)) if shape else 1
        if count * np.dtype(dt).itemsize != n:
            raise RnncError(f"{what}: buffer size {n} does not match shape {shape}")
        return np.frombuffer(buf.DataAsNumpy().tobytes(), dtype=dt).reshape(shape)


def load_tflite(path: str) -> ir.Model:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise RnncError("file is larger than 1 GiB", file=path)
        data = p.read_bytes()
    except OSError as e:
        raise RnncError(f"cannot read the file ({e.strerror})", file=path) from None
    try:
        r = _Reader(data, path)
        return _lower(r, path, data)
    except RnncError as e:
        raise e.with_context(file=path) from None
    except Exception as e:  # flatbuffers raises many types on corrupt offsets
        raise RnncError(f"corrupt or unsupported TFLite file ({type(e).__name__})", file=path) from None


def _lower(r: _Reader, path: str, data: bytes) -> ir.Model:
    sg = r.sg
    inputs = r.ints(sg.InputsAsNumpy, sg.InputsLength)
    outputs = r.ints(sg.OutputsAsNumpy, sg.OutputsLength)
    if len(inputs) != 1 or len(outputs) != 1:
        raise UnsupportedError("the model must have exactly one input and one output")
    shape = r.shape(inputs[0])
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[0] != 1):
        raise UnsupportedError(f"the input must be (1, T, features) or (T, features), got {list(shape)}")
    layers: list = []
    model_in_q = None
    current = inputs[0]
    out_q = None
    nops = r._n(sg.OperatorsLength())
    for k in range(nops):
        op = sg.Operators(k)
        name = r.op_name(op)
        where = f"operator {k} ({name})"
        try:
            ins = r.ints(op.InputsAsNumpy, op.InputsLength)
            outs = r.ints(op.OutputsAsNumpy, op.OutputsLength)
            if not ins or not outs or ins[0] != current:
                raise UnsupportedError("the graph is not a chain of layers on the input sequence")
            if name == "QUANTIZE" and k == 0:
                model_in_q = r.qparams(outs[0], "QUANTIZE output")
            elif name == "DEQUANTIZE" and k == nops - 1:
                pass
            elif name == "RESHAPE":
                _check_reshape(r, ins[0], outs[0])
            elif name == "UNIDIRECTIONAL_SEQUENCE_LSTM":
                layers.append(_lstm(r, op, ins, outs, f"lstm{len(layers)}"))
                out_q = r.qparams(outs[0], "LSTM output")
            elif name == "FULLY_CONNECTED":
                layers.extend(_fully_connected(r, op, ins, outs, f"dense{len(layers)}"))
                out_q = r.qparams(outs[0], "FULLY_CONNECTED output")
            else:
                raise UnsupportedError("not supported (rnnc reads UNIDIRECTIONAL_SEQUENCE_LSTM, "
                                       "FULLY_CONNECTED, RESHAPE, QUANTIZE, DEQUANTIZE)")
        except RnncError as e:
            raise e.with_context(file=path, where=where) from None
        current = outs[0]
    if current != outputs[0] or not layers:
        raise UnsupportedError("the model output is not produced by the layer chain", file=path)
    if model_in_q is None:
        model_in_q = r.qparams(inputs[0], "the model input")
    stem = "".join(ch if ch.isalnum() else "_" for ch in Path(path).stem.lower())[:24].strip("_") or "model"
    if stem[0].isdigit():
        stem = "m" + stem
    m = ir.Model(name=stem, source=str(path), sha256=hashlib.sha256(data).hexdigest(),
                 input_size=int(shape[-1]), layers=layers, fixed_input_quant=model_in_q,
                 fixed_output_quant=out_q, time_steps=int(shape[-2]))
    m.validate()
    return m


def _check_reshape(r: _Reader, src: int, dst: int) -> None:
    a, b = r.shape(src), r.shape(dst)
    if not a or not b or a[-1] != b[-1] or int(np.prod(a)) != int(np.prod(b)):
        raise UnsupportedError(f"RESHAPE {list(a)} -> {list(b)} changes the feature axis")


def _lstm(r: _Reader, op, ins, outs, name) -> ir.RecurrentLayer:
    if len(ins) != 24:
        raise UnsupportedError(f"expected 24 inputs, got {len(ins)}")
    if ins[1] < 0:
        raise UnsupportedError("CIFG (no input gate) is not supported")
    if any(ins[i] >= 0 for i in (9, 10, 11)):
        raise UnsupportedError("peephole connections are not supported")
    if ins[16] >= 0 or ins[17] >= 0:
        raise UnsupportedError("projection is not supported")
    if any(ins[i] >= 0 for i in (20, 21, 22, 23)):
        raise UnsupportedError("layer normalization is not supported")
    opts = _options(r, op, "UnidirectionalSequenceLSTMOptions")
    if opts.TimeMajor():
        raise UnsupportedError("time_major=True is not supported (the converter makes batch-major)")
    act = ACTIVATIONS.get(opts.FusedActivationFunction(), "unknown")
    if act != "tanh":
        raise UnsupportedError(f"fused activation '{act}' (only tanh is supported)")
    in_q = r.qparams(ins[0], "LSTM input")
    out_q = r.qparams(outs[0], "LSTM output")
    h_q = r.qparams(ins[18], "LSTM output state")
    c_q = r.qparams(ins[19], "LSTM cell state")
    if in_q.dtype != "int8" or c_q.dtype != "int16":
        raise UnsupportedError("only int8 activations with an int16 cell state are supported")
    weights, bias, gates = {}, {}, {}
    for g, (wi, ri, bi) in LSTM_GATE_INPUTS.items():
        W, R = r.const(ins[wi], f"{g} input weights"), r.const(ins[ri], f"{g} recurrent weights")
        b = r.const(ins[bi], f"{g} bias")
        if W.dtype != np.int8 or R.dtype != np.int8 or b.dtype != np.int32:
            raise UnsupportedError("weights must be int8 and biases int32")
        ws, rs, bs = r.quant(ins[wi])[0], r.quant(ins[ri])[0], r.quant(ins[bi])[0]
        _check_scales(ws, rs, bs)
        if ws.size != 1 or rs.size != 1:
            raise UnsupportedError("per-channel LSTM weights are not supported (TFLM uses per-tensor)")
        weights[g] = {"W": W.copy(), "W_scale": float(np.float32(ws[0])), "R": R.copy(), "R_scale": float(np.float32(rs[0]))}
        bias[g] = b.copy()
        gates[g] = ir.GateWeights((W * ws[0]).astype(np.float32), (R * rs[0]).astype(np.float32),
                                  (b * (bs[0] if bs.size else 0.0)).astype(np.float32),
                                  np.zeros(W.shape[0], np.float32))
    H, In = weights["i"]["W"].shape[0], weights["i"]["W"].shape[1]
    fixed = {"input": in_q, "output": h_q, "output_tensor": out_q, "cell_scale": float(np.float32(r.quant(ins[19])[0][0])),
             "cell_clip": float(opts.CellClip()), "weights": weights, "bias": bias}
    return ir.RecurrentLayer(name, "lstm", In, H, "forward", [ir.DirectionParams(gates)], fixed_quant=fixed)


def _fully_connected(r: _Reader, op, ins, outs, name) -> list:
    opts = _options(r, op, "FullyConnectedOptions")
    act = ACTIVATIONS.get(opts.FusedActivationFunction(), "unknown")
    if act not in ("none", "relu", "relu6"):
        raise UnsupportedError(f"fused activation '{act}' is not supported")
    in_q, out_q = r.qparams(ins[0], "FC input"), r.qparams(outs[0], "FC output")
    W = r.const(ins[1], "FC weights")
    if W.dtype != np.int8 or W.ndim != 2:
        raise UnsupportedError("FC weights must be 2-D int8")
    ws = r.quant(ins[1])[0]
    _check_scales(ws)
    if ws.size not in (1, W.shape[0]):
        raise RnncError("FC weight scales do not match the output channels")
    b = r.const(ins[2], "FC bias") if len(ins) > 2 and ins[2] >= 0 else None
    if b is not None and (b.dtype != np.int32 or b.shape != (W.shape[0],)):
        raise UnsupportedError("FC bias must be int32 with one value per output")
    wsc = ws.astype(np.float32)
    bias_scale = r.quant(ins[2])[0] if b is not None else np.zeros(1)
    wf = (W * (wsc[:, None] if ws.size > 1 else wsc[0])).astype(np.float32)
    bf = (b * (bias_scale if bias_scale.size > 1 else bias_scale[0])).astype(np.float32) if b is not None \
        else np.zeros(W.shape[0], np.float32)
    fixed = {"input": in_q, "output": out_q, "weight": W.copy(),
             "weight_scale": [float(v) for v in wsc] if ws.size > 1 else float(wsc[0]),
             "bias": None if b is None else b.copy(), "activation": act}
    layers = [ir.DenseLayer(name, wf, bf, fixed_quant=fixed)]
    if act != "none":
        # float semantics of the fused clamp; the int8 dense layer applies it itself
        layers.append(ir.ActivationLayer(f"{name}_{act}", act, W.shape[0],
                                         fixed_quant={"fused": True, "input": out_q, "output": out_q}))
    return layers


def _check_scales(*scales: np.ndarray) -> None:
    for s in scales:
        if s.size == 0 or not np.all(np.isfinite(s)) or np.any(s <= 0) or np.any(s > 1e6):
            raise RnncError("a weight or bias scale is missing, not positive or not finite")


def _options(r: _Reader, op, cls_name: str):
    cls = getattr(r.tflite, cls_name)
    table = op.BuiltinOptions()
    if table is None:
        raise RnncError(f"missing {cls_name}")
    opts = cls()
    opts.Init(table.Bytes, table.Pos)
    return opts
