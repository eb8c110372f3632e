"""Write an IR model as an ONNX file that rnnc (and onnxruntime) read back as the same model.

Quantization-aware training (codegen/train) trains the IR model's weights and hands them to
the compiler through this file: the layers become the standard operators (LSTM, GRU, RNN with
their W/R/B packing, MatMul + Add, the element-wise activations, Gather of the last step), so
the trained model is an ordinary ONNX model that any tool reads. Input `x` is (batch, time,
features) like PyTorch's batch_first; the recurrent operators run in ONNX's (time, batch,
features) layout between two Transposes. Weights keep their float32 values bit for bit.

>>> from codegen import ir
>>> import numpy as np, onnx
>>> dense = ir.DenseLayer("fc", np.ones((2, 3), np.float32), np.zeros(2, np.float32))
>>> m = to_onnx(ir.Model("m", "m.onnx", "", 3, [dense]))
>>> [n.op_type for n in m.graph.node]
['MatMul', 'Add']
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from . import ir
from .errors import UnsupportedError

#: ONNX packs gates in this order inside W, R and B (frontends/onnx_rnn.py reads the same)
ONNX_GATE_ORDER = {"lstm": ("i", "o", "f", "c"), "gru": ("z", "r", "h"), "rnn": ("h",)}
ONNX_OP = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
ACTIVATION_OPS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softmax": "Softmax",
                  "leakyrelu": "LeakyRelu"}
OPSET = 17


class _Writer:
    def __init__(self, model: ir.Model):
        self.model = model
        self.nodes, self.inits = [], []
        self.cur, self.time_first = "x", False
        self.count = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, stem: str, value: np.ndarray) -> str:
        from onnx import numpy_helper
        n = self.name(stem)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value), n))
        return n

    def node(self, op: str, inputs: list[str], **attrs) -> str:
        from onnx import helper
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        self.cur = out
        return out

    def layout(self, time_first: bool) -> None:
        if self.time_first != time_first:
            self.node("Transpose", [self.cur], perm=[1, 0, 2])
            self.time_first = time_first


def _refuse(layer, why: str):
    raise UnsupportedError(f"cannot write layer '{layer.name}' ({layer.kind}) as ONNX: {why}")


def _recurrent(w: _Writer, layer: ir.RecurrentLayer) -> None:
    if layer.direction != "forward":
        _refuse(layer, f"direction '{layer.direction}' (training supports forward layers)")
    dp = layer.dirs[0]
    if dp.peepholes:
        _refuse(layer, "peepholes")
    if any(v is not None and np.any(v != 0) for v in (dp.initial_h, dp.initial_c)):
        _refuse(layer, "a non-zero initial state")
    acts = layer.activations_for(0)
    if any(a.alpha is not None or a.beta is not None for a in acts):
        _refuse(layer, "activations with alpha/beta")
    order = ONNX_GATE_ORDER[layer.kind]
    gates = [dp.gates[g] for g in order]
    W = np.concatenate([g.W for g in gates])[None].astype(np.float32)
    R = np.concatenate([g.R for g in gates])[None].astype(np.float32)
    B = np.concatenate([g.Wb for g in gates] + [g.Rb for g in gates])[None].astype(np.float32)
    attrs = {"hidden_size": layer.hidden_size}
    default = ir.DEFAULT_ACTIVATIONS[layer.kind]
    if tuple(a.name for a in acts) != default:
        attrs["activations"] = [_onnx_activation(a.name) for a in acts]
    if layer.clip is not None:
        attrs["clip"] = float(layer.clip)
    if layer.kind == "gru" and layer.linear_before_reset:
        attrs["linear_before_reset"] = 1
    w.layout(time_first=True)
    y = w.node(ONNX_OP[layer.kind], [w.cur, w.const("W", W), w.const("R", R), w.const("B", B)], **attrs)
    w.node("Squeeze", [y, w.const("axes", np.array([1], np.int64))])


def _onnx_activation(name: str) -> str:
    return {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}.get(name.lower(), name)


def _dense(w: _Writer, layer: ir.DenseLayer) -> None:
    if layer.fixed_quant is not None:
        _refuse(layer, "it carries its own int8 quantization")
    y = w.node("MatMul", [w.cur, w.const("weight", np.asarray(layer.weight, np.float32).T)])
    w.node("Add", [y, w.const("bias", np.asarray(layer.bias, np.float32))])


def _activation(w: _Writer, layer: ir.ActivationLayer) -> None:
    op = ACTIVATION_OPS.get(layer.function)
    if op is None:
        _refuse(layer, f"activation '{layer.function}'")
    attrs = {"axis": -1} if op == "Softmax" else {}
    if op == "LeakyRelu" and layer.alpha is not None:
        attrs["alpha"] = float(layer.alpha)
    w.node(op, [w.cur], **attrs)


def _last_step(w: _Writer, layer: ir.LastStepLayer) -> None:
    if layer.reverse_width:
        _refuse(layer, "the final state of a reverse direction")
    w.node("Gather", [w.cur, w.const("last", np.array([-1], np.int64))], axis=0 if w.time_first else 1)


WRITERS = {"lstm": _recurrent, "gru": _recurrent, "rnn": _recurrent, "dense": _dense,
           "activation": _activation, "last_step": _last_step}


def to_onnx(model: ir.Model):
    """The ONNX ModelProto of an IR model (float weights; refuses what it cannot write)."""
    from onnx import TensorProto, helper
    if model.input_kind != "float":
        raise UnsupportedError(f"cannot write {model.source} as ONNX: only float (not token id) inputs")
    w = _Writer(model)
    for layer in model.layers:
        fn = WRITERS.get(layer.kind)
        if fn is None:
            _refuse(layer, "no ONNX form for this layer kind")
        fn(w, layer)
    w.layout(time_first=False)
    if not w.nodes:
        raise UnsupportedError(f"cannot write {model.source} as ONNX: it has no layers")
    w.nodes[-1].output[0] = "y"         # the last node's output is the graph's
    graph = helper.make_graph(
        w.nodes, model.name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "T", model.input_size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", "T_out", model.output_size])], w.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8,
                             producer_name="rnnc")


def save_onnx(model: ir.Model, path: str | Path) -> Path:
    import onnx
    path = Path(path)
    proto = to_onnx(model)
    onnx.checker.check_model(proto)
    tmp = path.with_name(path.name + ".tmp")
    onnx.save(proto, str(tmp))
    tmp.replace(path)
    return path
