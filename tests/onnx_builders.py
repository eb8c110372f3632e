"""Small ONNX models built with onnx.helper for frontend tests (float32, opset 17)."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def rnn_model(op="LSTM", In=4, H=6, direction="forward", layout=0, seed=0, clip=None,
              activations=None, alphas=None, betas=None, seq_lens=None, init_h=None, init_c=None,
              peepholes=False, lbr=0, batch=3, T=5, head=None, y_h=False):
    rng = np.random.default_rng(seed)
    D = 2 if direction == "bidirectional" else 1
    G = GATES[op]
    inits = [numpy_helper.from_array((rng.standard_normal((D, G * H, In)) * 0.5).astype(np.float32), "W"),
             numpy_helper.from_array((rng.standard_normal((D, G * H, H)) * 0.5).astype(np.float32), "R"),
             numpy_helper.from_array((rng.standard_normal((D, 2 * G * H)) * 0.2).astype(np.float32), "B")]
    names = ["X", "W", "R", "B"]
    if seq_lens is not None:
        inits.append(numpy_helper.from_array(np.asarray(seq_lens, np.int32), "L"))
    names.append("L" if seq_lens is not None else "")
    for nm, v in (("H0", init_h), ("C0", init_c)):
        if v is not None:
            inits.append(numpy_helper.from_array(np.asarray(v, np.float32), nm))
    names.append("H0" if init_h is not None else "")
    if op == "LSTM":
        names.append("C0" if init_c is not None else "")
        if peepholes:
            inits.append(numpy_helper.from_array((rng.standard_normal((D, 3 * H)) * 0.3).astype(np.float32), "P"))
        names.append("P" if peepholes else "")
    while names and names[-1] == "":
        names.pop()
    attrs = {"hidden_size": H, "direction": direction, "layout": layout}
    if clip is not None:
        attrs["clip"] = clip
    if activations:
        attrs["activations"] = activations
    if alphas:
        attrs["activation_alpha"] = alphas
    if betas:
        attrs["activation_beta"] = betas
    if op == "GRU":
        attrs["linear_before_reset"] = lbr
    outs = ["Y", "Y_h"] if y_h else ["Y"]
    nodes = [helper.make_node(op, names, outs, **attrs)]
    xshape = [T, batch, In] if layout == 0 else [batch, T, In]
    if y_h:
        final = "Y_h"
    else:
        # (T, D, B, H) -> (T, B, D*H), or (B, T, D, H) -> (B, T, D*H)
        perm = [0, 2, 1, 3] if layout == 0 else [0, 1, 2, 3]
        nodes.append(helper.make_node("Transpose", ["Y"], ["Yt"], perm=perm))
        inits.append(numpy_helper.from_array(np.array([0, 0, -1], np.int64), "shape"))
        nodes.append(helper.make_node("Reshape", ["Yt", "shape"], ["Yr"]))
        final = "Yr"
    if head:
        inits.append(numpy_helper.from_array((rng.standard_normal((D * H, head)) * 0.5).astype(np.float32), "Wd"))
        inits.append(numpy_helper.from_array((rng.standard_normal(head) * 0.1).astype(np.float32), "bd"))
        nodes += [helper.make_node("MatMul", [final, "Wd"], ["mm"]), helper.make_node("Add", ["mm", "bd"], ["lin"]),
                  helper.make_node("Tanh", ["lin"], ["out"])]
        final = "out"
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, xshape)],
                              [helper.make_tensor_value_info(final, TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def save(model, path):
    onnx.save(model, str(path))
    return str(path)
