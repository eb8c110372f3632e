"""ONNX models with the glue exporters put around RNNs, built with onnx.helper (frontend tests
and fuzz seeds): stacked layers, shape arithmetic, heads, embedding, last step, Y_h, directions.

Each glue builder returns a ModelProto whose single input is "x" and output "y";
rnn_node_model builds one RNN node with any combination of attributes (input "X").
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
INT64_MAX = np.iinfo(np.int64).max


class Builder:
    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, base: str) -> str:
        self.count += 1
        return f"{base}_{self.count}"

    def const(self, value, dtype=np.float32) -> str:
        n = self.name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype), n))
        return n

    def rand(self, *shape, scale=0.5) -> str:
        return self.const(self.rng.standard_normal(shape) * scale)

    def op(self, op_type: str, inputs, outputs=1, **attrs):
        outs = [self.name(op_type.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=self.name(f"/{op_type}"), **attrs))
        return outs[0] if outputs == 1 else outs

    def rnn(self, op_type, x, In, H, direction="forward", layout=0, **attrs):
        """Returns (Y, Y_h) names; Y_c exists for LSTM and is left unused."""
        D, G = (2 if direction == "bidirectional" else 1), GATES[op_type]
        ins = [x, self.rand(D, G * H, In), self.rand(D, G * H, H), self.rand(D, 2 * G * H, scale=0.2)]
        ins += attrs.pop("extra_inputs", [])
        n_out = 3 if op_type == "LSTM" else 2
        if layout:   # the attribute exists from opset 14 on
            attrs["layout"] = layout
        outs = self.op(op_type, ins, n_out, hidden_size=H, direction=direction, **attrs)
        return outs[0], outs[1]

    def model(self, x_type, x_shape, y: str, opset: int = 17) -> onnx.ModelProto:
        self.nodes.append(helper.make_node("Identity", [y], ["y"], name="/output"))
        graph = helper.make_graph(self.nodes, "glue", [helper.make_tensor_value_info("x", x_type, x_shape)],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], self.inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def _shape_of(b: Builder, x: str, indices, tail) -> str:
    """Concat(Unsqueeze(Gather(Shape(x), i))..., tail): PyTorch's shape arithmetic."""
    s = b.op("Shape", [x])
    parts = [b.op("Unsqueeze", [b.op("Gather", [s, b.const(i, np.int64)], axis=0), b.const([0], np.int64)])
             for i in indices]
    return b.op("Concat", parts + [b.const(tail, np.int64)], axis=0)


def stacked_time_major() -> onnx.ModelProto:
    """(T, B, 4) -> bidirectional LSTM -> merge directions via computed shape -> GRU with a
    ConstantOfShape zero state -> Squeeze -> MatMul + Add -> Relu."""
    b = Builder(1)
    y, _ = b.rnn("LSTM", "x", 4, 5, "bidirectional")
    yt = b.op("Transpose", [y], perm=[0, 2, 1, 3])
    merged = b.op("Reshape", [yt, _shape_of(b, "x", [0, 1], [-1])])
    s = b.op("Shape", ["x"])
    batch = b.op("Unsqueeze", [b.op("Gather", [s, b.const(1, np.int64)], axis=0), b.const([0], np.int64)])
    h0 = b.op("ConstantOfShape", [b.op("Concat", [b.const([1], np.int64), batch, b.const([6], np.int64)], axis=0)],
              value=numpy_helper.from_array(np.zeros(1, np.float32)))
    y2, _ = b.rnn("GRU", merged, 10, 6, extra_inputs=["", h0])
    sq = b.op("Squeeze", [y2, b.const([1], np.int64)])
    out = b.op("Relu", [b.op("Add", [b.op("MatMul", [sq, b.rand(6, 3)]), b.rand(3, scale=0.1)])])
    return b.model(TensorProto.FLOAT, ["T", "B", 4], out)


def batch_first_last_gemm() -> onnx.ModelProto:
    """(B, T, 3) -> Transpose -> LSTM -> Squeeze -> Gather(-1) on time -> Gemm -> Softmax."""
    b = Builder(2)
    y, _ = b.rnn("LSTM", b.op("Transpose", ["x"], perm=[1, 0, 2]), 3, 8)
    last = b.op("Gather", [b.op("Squeeze", [y, b.const([1], np.int64)]), b.const(-1, np.int64)], axis=0)
    out = b.op("Softmax", [b.op("Gemm", [last, b.rand(4, 8), b.rand(4, scale=0.1)], transB=1)], axis=-1)
    return b.model(TensorProto.FLOAT, ["B", "T", 3], out)


def embedding_gru() -> onnx.ModelProto:
    """int64 ids (B, T) -> Gather(table) -> Transpose -> GRU (lbr=1) -> MatMul + Add -> LeakyRelu."""
    b = Builder(3)
    emb = b.op("Gather", [b.rand(20, 5), "x"], axis=0)
    y, _ = b.rnn("GRU", b.op("Transpose", [emb], perm=[1, 0, 2]), 5, 7, linear_before_reset=1)
    seq = b.op("Transpose", [b.op("Squeeze", [y, b.const([1], np.int64)])], perm=[1, 0, 2])
    out = b.op("LeakyRelu", [b.op("Add", [b.op("MatMul", [seq, b.rand(7, 4)]), b.rand(4)])], alpha=0.1)
    return b.model(TensorProto.INT64, ["B", "T"], out)


def layout1_slice_last() -> onnx.ModelProto:
    """(B, T, 4) -> LSTM layout=1 -> Reshape [0, 0, -1] -> Slice [-1:] -> Flatten -> Gemm -> Sigmoid."""
    b = Builder(4)
    y, _ = b.rnn("LSTM", "x", 4, 6, layout=1)
    r = b.op("Reshape", [y, b.const([0, 0, -1], np.int64)])
    last = b.op("Slice", [r, b.const([-1], np.int64), b.const([INT64_MAX], np.int64), b.const([1], np.int64)])
    out = b.op("Sigmoid", [b.op("Gemm", [b.op("Flatten", [last], axis=1), b.rand(6, 3)])])
    return b.model(TensorProto.FLOAT, ["B", 7, 4], out)


def bidirectional_final_state() -> onnx.ModelProto:
    """(T, B, 4) -> bidirectional RNN -> Y_h (2, B, H) -> Transpose -> Reshape (B, 2H) -> Gemm -> Tanh."""
    b = Builder(5)
    _, yh = b.rnn("RNN", "x", 4, 5, "bidirectional")
    flat = b.op("Reshape", [b.op("Transpose", [yh], perm=[1, 0, 2]), _shape_of(b, "x", [1], [-1])])
    out = b.op("Tanh", [b.op("Gemm", [flat, b.rand(10, 3), b.rand(1, 3)])])
    return b.model(TensorProto.FLOAT, ["T", "B", 4], out)


def passthrough_ops() -> onnx.ModelProto:
    """Identity, Dropout, Cast and Unsqueeze/Squeeze around a GRU; output (T, B, F)."""
    b = Builder(6)
    x = b.op("Cast", [b.op("Dropout", [b.op("Identity", ["x"])])], to=TensorProto.FLOAT)
    y, _ = b.rnn("GRU", x, 4, 5, "reverse")
    u = b.op("Unsqueeze", [b.op("Squeeze", [y, b.const([1], np.int64)]), b.const([0], np.int64)])
    out = b.op("MatMul", [b.op("Squeeze", [u, b.const([0], np.int64)]), b.rand(5, 2)])
    return b.model(TensorProto.FLOAT, [6, "B", 4], out)


def concat_directions() -> onnx.ModelProto:
    """(T, B, 4) -> bidirectional GRU -> Y[:, 0], Y[:, 1] -> Concat on features -> Transpose -> MatMul."""
    b = Builder(7)
    y, _ = b.rnn("GRU", "x", 4, 5, "bidirectional")
    fw = b.op("Gather", [y, b.const(0, np.int64)], axis=1)
    bw = b.op("Gather", [y, b.const(1, np.int64)], axis=1)
    cat = b.op("Transpose", [b.op("Concat", [fw, bw], axis=-1)], perm=[1, 0, 2])
    return b.model(TensorProto.FLOAT, ["T", "B", 4], b.op("MatMul", [cat, b.rand(10, 3)]))


def opset11_softmax() -> onnx.ModelProto:
    """Opset 11: Squeeze with an axes attribute, Softmax with an explicit last axis."""
    b = Builder(8)
    y, _ = b.rnn("LSTM", b.op("Transpose", ["x"], perm=[1, 0, 2]), 4, 6)
    seq = b.op("Transpose", [b.op("Squeeze", [y], axes=[1])], perm=[1, 0, 2])
    out = b.op("Softmax", [b.op("MatMul", [seq, b.rand(6, 5)])], axis=2)
    return b.model(TensorProto.FLOAT, ["B", "T", 4], out, opset=11)


def keras_style_final_state() -> onnx.ModelProto:
    """tf2onnx's Bidirectional(LSTM) classifier: Y_h -> Transpose -> Reshape [-1, 2H] -> MatMul + Add."""
    b = Builder(9)
    _, yh = b.rnn("LSTM", b.op("Transpose", ["x"], perm=[1, 0, 2]), 4, 5, "bidirectional")
    flat = b.op("Reshape", [b.op("Transpose", [yh], perm=[1, 0, 2]), b.const([-1, 10], np.int64)])
    out = b.op("Softmax", [b.op("Add", [b.op("MatMul", [flat, b.rand(10, 3)]), b.rand(3)])])
    return b.model(TensorProto.FLOAT, ["B", 8, 4], out)


# --- one RNN node with every attribute (the float simulator's combination tests) -----------

T, B, IN, H = 5, 3, 4, 6
#: activations per op: the default, and (forward, backward) sets that need alpha / beta
ACTS = {
    "LSTM": (["HardSigmoid", "LeakyRelu", "Softsign"], ["Sigmoid", "ScaledTanh", "Elu"]),
    "GRU": (["HardSigmoid", "Softplus"], ["Sigmoid", "ScaledTanh"]),
    "RNN": (["Relu"], ["Affine"]),
}
ALPHAS, BETAS = [0.3, 0.2, 1.5, 0.7, 0.9], [0.4, 0.6, 0.1]


def rnn_node_model(op, direction, layout, *, clip=None, acts=False, seq_lens=None, init=False,
                   peep=False, lbr=0, output="Y", seed=0):
    """One RNN node with random constant weights; the graph output is Y or Y_h as ONNX gives it."""
    rng = np.random.default_rng(seed)
    D, G = (2 if direction == "bidirectional" else 1), GATES[op]
    arrays = {"W": rng.standard_normal((D, G * H, IN)) * 0.5, "R": rng.standard_normal((D, G * H, H)) * 0.5,
              "B": rng.standard_normal((D, 2 * G * H)) * 0.2}
    names = ["X", "W", "R", "B", "L" if seq_lens is not None else ""]
    if seq_lens is not None:
        arrays["L"] = np.asarray(seq_lens, np.int32)
    if init:   # the same reset state for every batch row, different per direction
        state = lambda: np.broadcast_to(rng.standard_normal((D, 1, H)) * 0.5, (D, B, H))
        arrays["H0"] = state() if layout == 0 else state().transpose(1, 0, 2)
        if op == "LSTM":
            arrays["C0"] = state() if layout == 0 else state().transpose(1, 0, 2)
    names.append("H0" if init else "")
    if op == "LSTM":
        names.append("C0" if init else "")
        if peep:
            arrays["P"] = rng.standard_normal((D, 3 * H)) * 0.3
        names.append("P" if peep else "")
    attrs = {"hidden_size": H, "direction": direction, "layout": layout}
    if clip is not None:
        attrs["clip"] = clip
    if acts:
        attrs.update(activations=ACTS[op][0] + (ACTS[op][1] if D == 2 else []),
                     activation_alpha=ALPHAS, activation_beta=BETAS)
    if op == "GRU":
        attrs["linear_before_reset"] = lbr
    outs = ["Y", "Y_h"] if output == "Y_h" else ["Y"]
    node = helper.make_node(op, [n for n in names], outs, name=f"the_{op.lower()}", **attrs)
    while node.input and node.input[-1] == "":
        node.input.pop()
    inits = [numpy_helper.from_array(np.asarray(v, np.int32 if k == "L" else np.float32), k)
             for k, v in arrays.items()]
    x_shape = [T, B, IN] if layout == 0 else [B, T, IN]
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


GLUE_MODELS = {f.__name__: f for f in (stacked_time_major, batch_first_last_gemm, embedding_gru,
                                       layout1_slice_last, bidirectional_final_state, passthrough_ops,
                                       concat_directions, opset11_softmax, keras_style_final_state)}
