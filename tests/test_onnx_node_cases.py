"""ONNX's own backend node test cases for LSTM / GRU / RNN, generated at test time by onnx's
case generators, compiled to float C and compared with the expected outputs (1e-5)."""
from __future__ import annotations

import warnings

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from codegen.api import compile_model, run_compiled, verify_compiled


def _cases():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from onnx.backend.test.case.node import collect_testcases
        cases = collect_testcases()
    seen = {}
    for c in cases:
        if c.name.startswith(("test_lstm", "test_gru", "test_rnn", "test_simple_rnn")) and c.name not in seen:
            seen[c.name] = c
    return [seen[k] for k in sorted(seen)]


CASES = _cases()


def _freeze(case, tmp_path):
    """Graph inputs other than X become initializers; keep one output (Y if present, else Y_h)."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    inputs, outputs = case.data_sets[0]
    g = model.graph
    feeds = dict(zip([i.name for i in g.input], inputs))
    x = feeds.pop("X")
    for name, arr in feeds.items():
        g.initializer.append(numpy_helper.from_array(np.asarray(arr), name))
    keep = [i for i in g.input if i.name == "X"]
    del g.input[:]
    g.input.extend(keep)
    out_names = [o.name for o in g.output]
    pick = "Y" if "Y" in out_names else "Y_h"
    expected = outputs[out_names.index(pick)]
    keep_out = [o for o in g.output if o.name == pick]
    del g.output[:]
    g.output.extend(keep_out)
    path = tmp_path / f"{case.name}.onnx"
    onnx.save(model, path)
    return path, x, expected


def _to_bt(y_onnx, axes: str):
    """Bring the ONNX output into rnnc's (batch, time, features) layout."""
    y = np.asarray(y_onnx)
    if axes in ("TDBF", "BTDF"):          # Y: merge directions into features
        if axes == "TDBF":
            y = y.transpose(2, 0, 1, 3)
        return y.reshape(y.shape[0], y.shape[1], -1)
    if axes in ("DBF", "BDF"):             # Y_h: one step
        if axes == "DBF":
            y = y.transpose(1, 0, 2)
        return y.reshape(y.shape[0], 1, -1)
    raise AssertionError(axes)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_node_case_through_generated_c(case, tmp_path):
    path, x, expected = _freeze(case, tmp_path)
    out = tmp_path / "out"
    qm = compile_model(str(path), str(out), scheme="float")
    from codegen.frontends import load_model
    meta = load_model(str(path)).metadata
    xin = np.asarray(x, np.float32)
    if meta["onnx_input_axes"].startswith("T"):
        xin = xin.transpose(1, 0, 2)
    y = run_compiled(str(out), xin)
    want = _to_bt(expected, meta["onnx_output_axes"])
    np.testing.assert_allclose(y, want, atol=1e-5, rtol=1e-5)
    assert verify_compiled(str(out), xin).ok


def test_all_eighteen_cases_are_generated():
    assert len(CASES) >= 18, [c.name for c in CASES]
