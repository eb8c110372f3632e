"""Fuzz the ONNX frontend with 10,000 mutated models: half byte-level (bit flips, truncation,
insertions: the protobuf parser's side), half structure-level (attributes, shapes, wiring,
op types, weights changed in valid protobufs: the lowering's side). Each must load or raise
RnncError naming the file; a model that loads must also simulate (or raise RnncError).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from codegen.errors import RnncError
from codegen.frontends import load_model
from codegen.quantize import quantize_model
from codegen.simulate import run_model

from fuzz_util import mutations
from onnx_glue_models import GLUE_MODELS, rnn_node_model

FIXTURES = Path(__file__).parent / "fixtures" / "onnx"
N_BYTES, N_STRUCT = 5_000, 5_000
BUDGET_S = 120        # ~20 s on one core today; the bound catches a hang or a blow-up

OPS = ["LSTM", "GRU", "RNN", "Gemm", "MatMul", "Add", "Transpose", "Squeeze", "Unsqueeze", "Reshape",
       "Slice", "Concat", "Gather", "Identity", "Dropout", "Cast", "Flatten", "Relu", "Softmax",
       "Shape", "ConstantOfShape", "Expand", "Tile", "Range", "Loop", "If", "Erf", "Where", "Split"]
EXTREMES = [0, 1, -1, 2, 3, -2, 7, 1 << 31, -(1 << 31), 1 << 62, 255]


def _seeds() -> list[onnx.ModelProto]:
    seeds = [f() for f in GLUE_MODELS.values()]
    seeds += [onnx.load(str(p)) for p in sorted(FIXTURES.glob("*.onnx"))]
    seeds += [rnn_node_model("LSTM", "bidirectional", 0, clip=1.0, acts=True, seq_lens=[5, 2, 4],
                             init=True, peep=True, output="Y_h"),
              rnn_node_model("GRU", "reverse", 1, lbr=1, init=True),
              rnn_node_model("RNN", "bidirectional", 0, acts=True, output="Y")]
    return seeds


def _mutate_attribute(rng, node) -> None:
    if not node.attribute:
        node.attribute.append(helper.make_attribute("axis", int(rng.choice(EXTREMES))))
        return
    a = node.attribute[int(rng.integers(len(node.attribute)))]
    if a.type == onnx.AttributeProto.INT:
        a.i = int(rng.choice(EXTREMES))
    elif a.type == onnx.AttributeProto.FLOAT:
        a.f = float(rng.choice([0.0, -1.0, 1e30, np.nan, np.inf, 0.5]))
    elif a.type == onnx.AttributeProto.INTS:
        vals = list(a.ints) or [0]
        vals[int(rng.integers(len(vals)))] = int(rng.choice(EXTREMES))
        del a.ints[:]
        a.ints.extend(vals if rng.random() < 0.8 else vals[:-1])
    elif a.type == onnx.AttributeProto.STRING:
        a.s = rng.choice([b"reverse", b"bidirectional", b"forward", b"", b"\xff\xfe"])
    elif a.type == onnx.AttributeProto.STRINGS:
        del a.strings[int(rng.integers(len(a.strings))):]
        a.strings.append(rng.choice([b"Relu", b"Gelu", b"HardSigmoid", b"\x00"]))
    else:
        node.attribute.remove(a)


def _mutate_tensor(rng, t) -> None:
    try:
        arr = numpy_helper.to_array(t).copy()
    except Exception:   # already broken by an earlier mutation
        return
    choice = int(rng.integers(4))
    if choice == 0 and arr.size:
        arr.reshape(-1)[int(rng.integers(arr.size))] = rng.choice([np.nan, 1e38, -1, 0, 5, 2 ** 31 - 1]) \
            if arr.dtype.kind == "f" else rng.choice([-1, 0, 5, 2 ** 31 - 1, -(2 ** 31)])
    elif choice == 1 and arr.ndim:
        arr = np.take(arr, np.arange(max(arr.shape[0] - 1, 0)), axis=0)     # one row fewer
    elif choice == 2:
        arr = arr.reshape(-1) if rng.random() < 0.5 else arr[None]
    else:
        t.dims[:] = [int(rng.choice([0, 1, 3, 1 << 40])) for _ in range(len(t.dims) or 1)]
        return
    t.CopyFrom(numpy_helper.from_array(arr, t.name))


def _mutate(rng, model: onnx.ModelProto) -> None:
    g = model.graph
    values = [i.name for i in g.input] + [i.name for i in g.initializer] + [o for n in g.node for o in n.output]
    kind = int(rng.integers(8))
    node = g.node[int(rng.integers(len(g.node)))] if len(g.node) else None
    if kind == 0 and node is not None:
        _mutate_attribute(rng, node)
    elif kind == 1 and len(g.initializer):
        _mutate_tensor(rng, g.initializer[int(rng.integers(len(g.initializer)))])
    elif kind == 2 and node is not None and len(node.input):
        node.input[int(rng.integers(len(node.input)))] = str(rng.choice(values + [""]))
    elif kind == 3 and node is not None:
        node.op_type = str(rng.choice(OPS))
    elif kind == 4 and len(g.node) > 1:
        g.node.remove(node)
    elif kind == 5 and len(g.node) > 1:
        i, j = (int(v) for v in rng.integers(len(g.node), size=2))
        a, b = onnx.NodeProto(), onnx.NodeProto()
        a.CopyFrom(g.node[i])
        b.CopyFrom(g.node[j])
        g.node[i].CopyFrom(b)
        g.node[j].CopyFrom(a)
    elif kind == 6:
        tt = g.input[0].type.tensor_type
        if rng.random() < 0.3:
            tt.elem_type = int(rng.choice([TensorProto.INT64, TensorProto.STRING, TensorProto.FLOAT16, 0]))
        elif len(tt.shape.dim):
            tt.shape.dim[int(rng.integers(len(tt.shape.dim)))].dim_value = int(rng.choice([0, 1, 5, 1 << 40]))
        else:
            tt.shape.dim.add().dim_value = 3
    else:
        model.opset_import[0].version = int(rng.choice([1, 7, 9, 11, 13, 14, 17, 99]))


def _structural(seeds, count, rng):
    for k in range(count):
        model = onnx.ModelProto()
        model.CopyFrom(seeds[k % len(seeds)])
        for _ in range(int(rng.integers(1, 4))):
            _mutate(rng, model)
        yield model.SerializeToString()


def _check_one(path: Path, data: bytes, outcomes: dict) -> None:
    path.write_bytes(data)
    try:
        m = load_model(str(path))
        x = np.ones((2, 3, 1 if m.input_kind == "tokens" else m.input_size),
                    np.int32 if m.input_kind == "tokens" else np.float32)
        with np.errstate(all="ignore"):   # mutated weights may overflow; that is not the test
            run_model(quantize_model(m, "float"), x)
        outcomes["ok"] += 1
    except RnncError as e:
        assert str(path) in str(e) or e.file is None, e
        outcomes["error"] += 1


@pytest.mark.parametrize("mode", ["bytes", "structure"])
def test_fuzz_onnx_frontend(mode, tmp_path):
    seeds = _seeds()
    rng = np.random.default_rng(2024)
    if mode == "bytes":
        stream = mutations([s.SerializeToString() for s in seeds], N_BYTES, seed=11)
    else:
        stream = _structural(seeds, N_STRUCT, rng)
    path = tmp_path / "fuzz.onnx"
    outcomes = {"ok": 0, "error": 0}
    start = time.monotonic()
    for k, data in enumerate(stream):
        try:
            _check_one(path, data, outcomes)
        except (RnncError, AssertionError):
            raise
        except Exception as e:  # the failure being looked for: keep the file to reproduce it
            (tmp_path / f"crash{k}.onnx").write_bytes(data)
            raise AssertionError(f"{mode} mutation {k} raised {type(e).__name__}: {e}") from e
        assert time.monotonic() - start < BUDGET_S, f"slower than {BUDGET_S}s after {k} files"
    assert outcomes["ok"] + outcomes["error"] == (N_BYTES if mode == "bytes" else N_STRUCT)
    assert outcomes["ok"] > 100 and outcomes["error"] > 1000, outcomes
