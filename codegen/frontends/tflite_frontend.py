"""TFLite frontend for the int8 models the official converter makes from (legacy) Keras LSTMs.

The graph must be one chain on the input sequence:
  [QUANTIZE] (UNIDIRECTIONAL_SEQUENCE_LSTM | FULLY_CONNECTED | RESHAPE)* [DEQUANTIZE]
RESHAPE is glue that may only merge or split the batch and time axes ((1,T,H) <-> (T,H)).
Anything else is refused by operator index and name.

The model's own quantization is kept exactly in each layer's `fixed_quant` (format in
lower_lstm / lower_fully_connected below); the weights are also dequantized so the float
schemes work. The file is parsed by our own bounds-checked reader (tflite_reader), so any
bytes give a model or an RnncError naming the file.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .. import ir
from ..errors import RnncError, UnsupportedError
from ..ir import QuantParams
from .tflite_reader import FLOAT32, INT8, INT16, INT32, INT64, TYPE_NAMES, Operator, Tensor, TFLiteFile

MAX_FILE_BYTES = 1 << 30
#: Tests set this to False so that any exception our explicit checks missed surfaces.
CATCH_UNEXPECTED = True

DEQUANTIZE, FULLY_CONNECTED, RESHAPE, LSTM, QUANTIZE = 6, 9, 22, 44, 114
FC_OPTIONS, LSTM_OPTIONS = 8, 71          # BuiltinOptions union types
FUSED = {0: "none", 1: "relu", 2: "relu_n1_to_1", 3: "relu6", 4: "tanh", 5: "sign_bit"}
ACT_DTYPES = {INT8: "int8", INT16: "int16"}
BIAS_TYPES = {"int8": (INT32,), "int16": (INT32, INT64)}
ZP_RANGE = {"int8": (-128, 127), "int16": (0, 0)}   # TFLite's int16 activations are symmetric
# LSTM operand numbers (input weights, recurrent weights, bias) per gate, as in TFLite's lstm_shared.h.
GATE_INPUTS = {"i": (1, 5, 12), "f": (2, 6, 13), "c": (3, 7, 14), "o": (4, 8, 15)}
STATE_H, STATE_C = 18, 19
SUPPORTED = "UNIDIRECTIONAL_SEQUENCE_LSTM, FULLY_CONNECTED, RESHAPE, QUANTIZE, DEQUANTIZE"


def load_tflite(path: str) -> ir.Model:
    """Read a .tflite file into the IR, or raise RnncError naming the file."""
    data = _read_file(path)
    try:
        return _Lowering(TFLiteFile(data), str(path), data).run()
    except RnncError as e:
        raise e.with_context(file=str(path)) from None
    except Exception as e:  # a defect the explicit checks missed: still one clear line
        if not CATCH_UNEXPECTED:
            raise
        raise RnncError(f"corrupt TFLite file ({type(e).__name__}: {e})"[:300], file=str(path)) from None


def _read_file(path: str) -> bytes:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise RnncError("file is larger than 1 GiB", file=str(path))
        return p.read_bytes()
    except OSError as e:
        raise RnncError(f"cannot read the file ({e.strerror})", file=str(path)) from None


#: what the converter makes of a Keras 3 LSTM
KERAS3_WHILE = ("a WHILE loop: the TFLite converter writes LSTMs of Keras 3 as loops over time, not as the fused "
                "UNIDIRECTIONAL_SEQUENCE_LSTM rnnc reads; convert the model with Keras 2 (pip install tf_keras, "
                "set TF_USE_LEGACY_KERAS=1 before importing TensorFlow), which gives the fused op, or export it "
                "to ONNX")


class _Lowering:
    """Walks the operator chain from the model input, collecting IR layers."""

    def __init__(self, f: TFLiteFile, path: str, data: bytes):
        self.f, self.path, self.data = f, path, data
        self.layers: list = []
        self.stage = "int"            # 'float in' before QUANTIZE, 'float out' after DEQUANTIZE
        self.in_q: QuantParams | None = None
        self.out_q: QuantParams | None = None
        self.state_io: list[ir.StateTensor] = []

    def run(self) -> ir.Model:
        f = self.f
        if len(f.inputs) != 1 or len(f.outputs) != 1:
            raise UnsupportedError(f"the model must have one input and one output "
                                   f"(has {len(f.inputs)} and {len(f.outputs)})")
        x = f.tensor(f.inputs[0])
        self.T, features = _input_shape(x)
        self.current = x.index
        if x.type == FLOAT32:
            self.stage = "float in"
        else:
            self.in_q = self.out_q = act_q(x, "the model input")
        for k in range(len(f.operators)):
            try:
                op = f.operator(k)
            except RnncError as e:
                raise e.with_context(where=f"operator {k}") from None
            try:
                self._step(op)
            except RnncError as e:
                raise e.with_context(where=op.where) from None
        if self.current != f.outputs[0]:
            raise UnsupportedError("the model output is not the end of the operator chain")
        if not self.layers:
            raise UnsupportedError("the model has no UNIDIRECTIONAL_SEQUENCE_LSTM or FULLY_CONNECTED layer")
        return self._model(features, x.type)

    def _step(self, op: Operator) -> None:
        handler = {QUANTIZE: self._quantize, DEQUANTIZE: self._dequantize, RESHAPE: self._reshape,
                   LSTM: self._lstm, FULLY_CONNECTED: self._fc}.get(op.code)
        if handler is None and op.name == "WHILE":
            raise UnsupportedError(KERAS3_WHILE)
        if handler is None:
            raise UnsupportedError(f"not supported (rnnc reads {SUPPORTED})")
        if not op.inputs or op.inputs[0] != self.current or len(op.outputs) != 1:
            raise UnsupportedError("not part of the single chain of layers on the input sequence")
        x, y = self.f.tensor(op.inputs[0]), self.f.tensor(op.outputs[0])
        if op.code in (LSTM, FULLY_CONNECTED):
            if self.stage != "int":
                raise UnsupportedError("float activations are not supported (rnnc reads full-integer models)")
            self.layers.extend(handler(op, x, y))
            self.out_q = act_q(y, "the output")
        else:
            handler(op, x, y)
        self.current = y.index

    def _quantize(self, op: Operator, x: Tensor, y: Tensor) -> None:
        if self.stage != "float in" or y.type not in ACT_DTYPES:
            raise UnsupportedError("only a QUANTIZE of the float model input is supported")
        _same_shape(x, y)
        self.in_q = self.out_q = act_q(y, "the quantized input")
        self.stage = "int"

    def _dequantize(self, op: Operator, x: Tensor, y: Tensor) -> None:
        if self.stage != "int" or y.type != FLOAT32 or not self.layers:
            raise UnsupportedError("only a DEQUANTIZE of the model output is supported")
        _same_shape(x, y)
        self.stage = "float out"

    def _reshape(self, op: Operator, x: Tensor, y: Tensor) -> None:
        try:
            same = rows_shape(x, self.T, "") == rows_shape(y, self.T, "") and x.type == y.type
        except UnsupportedError:
            same = False
        if not same:
            raise UnsupportedError(f"RESHAPE {list(x.shape)} -> {list(y.shape)}: only merging or splitting "
                                   "the batch and time axes is supported")
        if self.stage == "int" and act_q(x, "the input") != act_q(y, "the output"):
            raise UnsupportedError("RESHAPE changes the quantization")

    def _lstm(self, op: Operator, x: Tensor, y: Tensor) -> list:
        layer = lower_lstm(self.f, op, x, y, self.T, f"lstm{len(self.layers)}")
        self.state_io += _state_tensors(self.f, op, layer, {t.name for t in self.state_io})
        return [layer]

    def _fc(self, op: Operator, x: Tensor, y: Tensor) -> list:
        return lower_fully_connected(self.f, op, x, y, self.T, len(self.layers))

    def _model(self, features: int, in_type: int) -> ir.Model:
        stem = "".join(ch if ch.isalnum() else "_" for ch in Path(self.path).stem.lower())[:24].strip("_")
        stem = stem or "model"
        if not stem[0].isalpha():
            stem = "m" + stem
        m = ir.Model(name=stem, source=self.path, sha256=hashlib.sha256(self.data).hexdigest(),
                     input_size=features, layers=self.layers, fixed_input_quant=self.in_q,
                     fixed_output_quant=self.out_q, time_steps=self.T,
                     metadata={"format": "tflite",
                               "input_dtype": "float32" if in_type == FLOAT32 else self.in_q.dtype,
                               "output_dtype": "float32" if self.stage == "float out" else self.out_q.dtype})
        m.state_io = self.state_io
        with np.errstate(all="ignore"):
            m.validate()
        return m


def _input_shape(x: Tensor) -> tuple[int, int]:
    """(T, features) of the model input, which must be (1, T, F) or (T, F)."""
    s = x.shape
    if len(s) not in (2, 3) or (len(s) == 3 and s[0] != 1) or min(s) < 1:
        raise UnsupportedError(f"the model input must be (1, T, features) or (T, features), got {list(s)}")
    if x.type not in (FLOAT32, INT8, INT16):
        raise UnsupportedError(f"the model input has type {x.type_name} (int8 or float32 expected)")
    return s[-2], s[-1]


def rows_shape(t: Tensor, T: int, what: str) -> int:
    """Features of a per-time-step tensor shaped (1, T, n) or (T, n); refuse anything else."""
    s = t.shape
    if len(s) == 3 and s[0] == 1 and s[1] == T and s[2] > 0:
        return s[2]
    if len(s) == 2 and s[0] == T and s[1] > 0:
        return s[1]
    raise UnsupportedError(f"{what} ({t.describe()}) has shape {list(s)}; "
                           f"expected (1, {T}, n) or ({T}, n)")


def _same_shape(x: Tensor, y: Tensor) -> None:
    if x.shape != y.shape:
        raise UnsupportedError(f"shape changes from {list(x.shape)} to {list(y.shape)}")


def valid_scales(s: np.ndarray) -> bool:
    # normal positive float32 values only: zero, denormal, NaN or Inf scales are corrupt
    return s.size > 0 and bool(np.all(np.isfinite(s)) and np.all(s >= np.finfo(np.float32).tiny))


def act_q(t: Tensor, what: str) -> QuantParams:
    """Per-tensor quantization of an activation tensor (int8, or symmetric int16)."""
    dtype = ACT_DTYPES.get(t.type)
    if dtype is None:
        raise UnsupportedError(f"{what} ({t.describe()}) has type {t.type_name}; "
                               "rnnc reads full-integer (int8) models")
    if t.scales.size != 1 or t.zero_points.size != 1 or not valid_scales(t.scales):
        raise RnncError(f"{what} ({t.describe()}) needs one valid scale and zero point")
    zp = int(t.zero_points[0])
    lo, hi = ZP_RANGE[dtype]
    if not lo <= zp <= hi:
        raise RnncError(f"{what} ({t.describe()}): zero point {zp} out of range for {dtype}")
    return QuantParams(float(t.scales[0]), zp, dtype)


# ---- layers ------------------------------------------------------------------------------

def lower_lstm(f: TFLiteFile, op: Operator, x: Tensor, y: Tensor, T: int, name: str) -> ir.RecurrentLayer:
    """UNIDIRECTIONAL_SEQUENCE_LSTM -> RecurrentLayer with fixed_quant:
    input, output (QuantParams of input and hidden state = output), cell_scale, cell_clip,
    proj_clip (floats), weights {g: {W int8 (H,In), W_scale, R int8 (H,H), R_scale}},
    bias {g: int32 (H,)} (int64 possible for int16 activations), bias_scale {g: float},
    activation ('tanh'), time_major (False); gates g in i, f, c, o."""
    ins = _lstm_operands(op)
    opts = _lstm_options(f, op)
    if len(x.shape) != 3:
        raise UnsupportedError(f"the LSTM input must be (1, T, features), got {list(x.shape)}")
    n_in, H = rows_shape(x, T, "the LSTM input"), rows_shape(y, T, "the LSTM output")
    in_q, out_q = act_q(x, "the LSTM input"), act_q(y, "the LSTM output")
    h_q = act_q(_state(f, ins, STATE_H, H), "the LSTM output state")
    if h_q != out_q:
        raise UnsupportedError("the LSTM output and its output state tensor are quantized differently")
    if in_q.dtype != out_q.dtype:
        raise UnsupportedError(f"LSTM input {in_q.dtype} and output {out_q.dtype} types differ")
    weights, bias, bias_scale, gates = {}, {}, {}, {}
    for g, (wi, ri, bi) in GATE_INPUTS.items():
        W, ws = _weights(f, ins[wi], (H, n_in), f"gate {g} input weights", per_channel=False)
        R, rs = _weights(f, ins[ri], (H, H), f"gate {g} recurrent weights", per_channel=False)
        b, bs = _bias(f, ins[bi], H, in_q, ws, f"gate {g} bias")
        weights[g] = {"W": W, "W_scale": float(ws[0]), "R": R, "R_scale": float(rs[0])}
        bias[g], bias_scale[g] = b, bs
        gates[g] = ir.GateWeights(_deq(W, ws[0]), _deq(R, rs[0]), _deq_bias(b, in_q, ws[0]),
                                  np.zeros(H, np.float32))
    fixed = {"input": in_q, "output": out_q, "cell_scale": _cell_scale(_state(f, ins, STATE_C, H)),
             "weights": weights, "bias": bias, "bias_scale": bias_scale, **opts}
    return ir.RecurrentLayer(name, "lstm", n_in, H, "forward", [ir.DirectionParams(gates)],
                             activations=tuple(ir.ActivationSpec(a) for a in ("sigmoid", "tanh", "tanh")),
                             fixed_quant=fixed)


def _state_tensors(f: TFLiteFile, op: Operator, layer: ir.RecurrentLayer, taken: set) -> list[ir.StateTensor]:
    """The LSTM's output and cell state are variable tensors: TFLM keeps them between
    invocations as the C keeps <prefix>_state_t. They are the model's state, in and out, by
    their tensor names (made unique), as the model stores them: (batch, hidden) integers."""
    out = []
    for k, role in ((STATE_H, "h"), (STATE_C, "c")):
        t = f.tensor(op.inputs[k])
        name = t.name or f"{layer.name}.{role}"
        if name in taken:
            name = f"{name}.{layer.name}.{role}"
        taken.add(name)
        dtype = "int16" if role == "c" else layer.fixed_quant["output"].dtype
        out += [ir.StateTensor(name, io, role, [layer.name], layer.hidden_size, "BH", dtype) for io in ("in", "out")]
    return out


def _lstm_operands(op: Operator) -> list[int]:
    ins = list(op.inputs)
    if len(ins) not in (20, 24):
        raise RnncError(f"expected 24 inputs, found {len(ins)}")
    ins += [-1] * (24 - len(ins))
    if ins[1] < 0:
        raise UnsupportedError("CIFG (coupled input and forget gate, no input gate) is not supported")
    if any(ins[i] >= 0 for i in (9, 10, 11)):
        raise UnsupportedError("peephole connections are not supported")
    if ins[16] >= 0 or ins[17] >= 0:
        raise UnsupportedError("projection is not supported")
    if any(ins[i] >= 0 for i in (20, 21, 22, 23)):
        raise UnsupportedError("layer normalization is not supported")
    return ins


def _lstm_options(f: TFLiteFile, op: Operator) -> dict:
    o = f.options(op, LSTM_OPTIONS, "UnidirectionalSequenceLSTMOptions")
    act = FUSED.get(o.scalar(0, "<b", 0), "unknown")
    cell_clip, proj_clip = float(o.scalar(1, "<f", 0.0)), float(o.scalar(2, "<f", 0.0))
    if act != "tanh":
        raise UnsupportedError(f"fused activation '{act}' is not supported (only tanh)")
    if not (np.isfinite(cell_clip) and np.isfinite(proj_clip) and cell_clip >= 0 and proj_clip >= 0):
        raise RnncError(f"invalid cell_clip {cell_clip} or proj_clip {proj_clip}")
    if o.scalar(3, "<B", 0):
        raise UnsupportedError("time_major=True is not supported (the converter makes batch-major LSTMs)")
    if o.scalar(5, "<B", 0):
        raise UnsupportedError("diagonal recurrent weights are not supported")
    return {"cell_clip": cell_clip, "proj_clip": proj_clip, "activation": act, "time_major": False}


def _state(f: TFLiteFile, ins: list[int], k: int, H: int) -> Tensor:
    what = "output state" if k == STATE_H else "cell state"
    if ins[k] < 0:
        raise RnncError(f"the LSTM {what} operand is missing")
    t = f.tensor(ins[k])
    if not t.shape or t.shape[-1] != H:
        raise RnncError(f"the LSTM {what} ({t.describe()}) has shape {list(t.shape)}, expected (1, {H})")
    return t


def _cell_scale(t: Tensor) -> float:
    if t.type != INT16 or t.scales.size != 1 or not valid_scales(t.scales) or \
            t.zero_points.size != 1 or t.zero_points[0] != 0:
        raise UnsupportedError(f"the LSTM cell state ({t.describe()}) must be int16, symmetric, per-tensor")
    return float(t.scales[0])


def lower_fully_connected(f: TFLiteFile, op: Operator, x: Tensor, y: Tensor, T: int, index: int) -> list:
    """FULLY_CONNECTED -> DenseLayer (+ ActivationLayer 'relu' for a fused RELU) with fixed_quant:
    input, output (QuantParams), weight int8 (out, in), weight_scale (float, or float64 ndarray
    (out,) per channel), bias int32 (out,) or None (int64 possible for int16), activation."""
    o = f.options(op, FC_OPTIONS, "FullyConnectedOptions")
    act = FUSED.get(o.scalar(0, "<b", 0), "unknown")
    if act not in ("none", "relu"):
        raise UnsupportedError(f"fused activation '{act}' is not supported (none and relu are)")
    if o.scalar(1, "<b", 0) != 0:
        raise UnsupportedError("shuffled FULLY_CONNECTED weights are not supported")
    if len(op.inputs) not in (2, 3):
        raise RnncError(f"expected 2 or 3 inputs, found {len(op.inputs)}")
    n_in, n_out = rows_shape(x, T, "the input"), rows_shape(y, T, "the output")
    in_q, out_q = act_q(x, "the input"), act_q(y, "the output")
    if in_q.dtype != out_q.dtype:
        raise UnsupportedError(f"input {in_q.dtype} and output {out_q.dtype} types differ")
    W, ws = _weights(f, op.inputs[1], (n_out, n_in), "weights", per_channel=True)
    has_bias = len(op.inputs) == 3 and op.inputs[2] >= 0
    b = _bias(f, op.inputs[2], n_out, in_q, ws, "bias")[0] if has_bias else None
    fixed = {"input": in_q, "output": out_q, "weight": W,
             "weight_scale": float(ws[0]) if ws.size == 1 else ws.astype(np.float64),
             "bias": b, "activation": act}
    wf = _deq(W, ws[:, None] if ws.size > 1 else ws[0])
    bf = np.zeros(n_out, np.float32) if b is None else _deq_bias(b, in_q, ws)
    layers = [ir.DenseLayer(f"dense{index}", wf, bf, fixed_quant=fixed)]
    if act == "relu":
        # float semantics of the fused clamp; the int8 dense layer clamps itself
        layers.append(ir.ActivationLayer(f"relu{index + 1}", "relu", n_out,
                                         fixed_quant={"fused": True, "input": out_q, "output": out_q}))
    return layers


def _weights(f: TFLiteFile, idx: int, shape: tuple[int, int], what: str, per_channel: bool):
    """Constant int8 symmetric weights of the given shape and their float32 scale(s)."""
    if idx < 0:
        raise RnncError(f"the {what} operand is missing")
    t = f.tensor(idx)
    if t.type != INT8:
        raise UnsupportedError(f"{what} ({t.describe()}) have type {t.type_name} (int8 expected)")
    if t.shape != shape:
        raise RnncError(f"{what} ({t.describe()}) have shape {list(t.shape)}, expected {list(shape)}")
    s, zp = t.scales, t.zero_points
    if s.size > 1 and not per_channel:
        raise UnsupportedError(f"per-channel LSTM weights ({what}) are not supported "
                               "(TFLite Micro's LSTM is per-tensor)")
    if s.size not in (1, shape[0]) or (s.size > 1 and t.quant_dim != 0) or not valid_scales(s):
        raise RnncError(f"{what} ({t.describe()}) need one valid scale or one per output channel")
    if zp.size not in (0, s.size) or np.any(zp != 0):
        raise UnsupportedError(f"{what} ({t.describe()}) must be symmetric (zero point 0)")
    return f.constant(t, what), s.astype(np.float32)


def _bias(f: TFLiteFile, idx: int, n: int, in_q: QuantParams, ws: np.ndarray, what: str):
    """Constant bias (n,) and its scale as given (s_in * s_w when the file has none)."""
    if idx < 0:
        raise RnncError(f"the {what} operand is missing")
    t = f.tensor(idx)
    types = BIAS_TYPES[in_q.dtype]
    if t.type not in types or t.shape != (n,):
        raise UnsupportedError(f"{what} ({t.describe()}) must be {'/'.join(TYPE_NAMES[k] for k in types)} "
                               f"of shape ({n},), got {t.type_name} {list(t.shape)}")
    b = f.constant(t, what)
    scale = float(t.scales[0]) if t.scales.size == 1 and valid_scales(t.scales) else \
        float(np.float32(in_q.scale) * ws[0])
    return b, scale


def _deq(q: np.ndarray, scale) -> np.ndarray:
    with np.errstate(all="ignore"):   # absurd scales overflow to Inf, which validate() refuses
        return q.astype(np.float32) * np.asarray(scale, np.float32)


def _deq_bias(b: np.ndarray, in_q: QuantParams, ws) -> np.ndarray:
    # the kernels add the raw bias to sum(W*(x-zp)), i.e. at scale s_in*s_w whatever the file says
    with np.errstate(all="ignore"):
        return (b.astype(np.float64) * (np.float32(in_q.scale) * np.asarray(ws, np.float32))).astype(np.float32)
