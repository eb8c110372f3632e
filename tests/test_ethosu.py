"""Ethos-U targets: the NPU glue (OUT/npu/) built on the host against our own declaration of the
driver interface and linked with a recording double (tests/ethosu_double/), plus the model's
Cortex-M55 C on QEMU.

The double checks what the driver checks (payload "COP1", sizes, 16-byte alignment, reserve /
invoke / release), records the payload and regions, saves the arena as the glue prepared it and
fills it as the NPU would leave it: the simulator's output and final state at the offsets of
Vela's memory plan, read here from Vela's output with the flatbuffer bindings (not rnnc's
reader). The NPU's own arithmetic cannot be run here (no hardware, no FVP).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from codegen import ir
from codegen.api import compile_ir, compile_model, verify_compiled
from codegen.errors import RnncError, UnsupportedError
from codegen.qmodel import NUMPY_TYPES, QModel
from codegen.simulate import run_model
from codegen.tflite_export import export_qmodel

from models import dense, model, recurrent

DOUBLE = Path(__file__).parent / "ethosu_double"
FIXTURE = Path(__file__).parent / "fixtures" / "tflite" / "lstm_t20_f10_h64_dense.tflite"
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-g", "-fsanitize=address,undefined",
          "-fno-sanitize-recover=all"]


def _vela():
    from codegen.toolchain import vela
    if vela.vela_version() is None:
        pytest.skip("Vela (ethos-u-vela, the npu extra) is NOT installed: Ethos-U targets untested")
    return vela


def vela_offsets(qm: QModel, accelerator: str, steps: int, layers=None):
    """(payload bytes, read-only bytes, arena size, fast scratch size, {tensor name: arena offset}) from Vela's
    output for the model or its layers (first, last), read with the `tflite` package."""
    import tflite
    vela = _vela()
    data = vela.estimate(export_qmodel(qm, steps, reverse_by_slices=True, carry_state=True, layers=layers),
                         accelerator).optimised
    m = tflite.Model.GetRootAsModel(data, 0)
    sg = m.Subgraphs(0)
    meta = next(m.Metadata(k) for k in range(m.MetadataLength()) if m.Metadata(k).Name() == b"OfflineMemoryAllocation")
    offs = np.frombuffer(m.Buffers(meta.Buffer()).DataAsNumpy().tobytes(), "<i4")[3:]
    names, variables = {}, {}
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        names.setdefault(t.Name().decode(), int(offs[i]))
        if t.IsVariable():
            variables[t.Name().decode()] = (int(offs[i]), int(np.prod(t.ShapeAsNumpy())) * (1 if t.Type() == 9 else 2))
    op = sg.Operators(0)
    buf = lambda t: m.Buffers(sg.Tensors(int(op.Inputs(t))).Buffer()).DataAsNumpy().tobytes()  # noqa: E731
    arena = int(np.prod(sg.Tensors(int(op.Inputs(2))).ShapeAsNumpy()))
    fast = arena if op.Inputs(3) == op.Inputs(2) else int(np.prod(sg.Tensors(int(op.Inputs(3))).ShapeAsNumpy()))
    names["input"] = int(offs[sg.Inputs(0)])
    names["output"] = names[sg.Tensors(int(sg.Outputs(0))).Name().decode()] = int(offs[sg.Outputs(0)])
    for k in range(1, sg.OutputsLength()):      # an unrolled GRU/RNN's final h
        names[sg.Tensors(int(sg.Outputs(k))).Name().decode()] = int(offs[sg.Outputs(k)])
    names["variables"] = variables
    return buf(0), buf(1), arena, fast, names


def struct_layout(qm: QModel):
    """[(field, offset, dtype, count)] of <prefix>_state_t with C's natural alignment, and its size."""
    out, pos, align = [], 0, 1
    for f in qm.state_fields:
        dt = np.dtype(NUMPY_TYPES[f["dtype"]])
        pos = -(-pos // dt.itemsize) * dt.itemsize
        out.append((f"l{f['layer']}_{f['role']}", pos, dt, f["count"], f))
        pos += dt.itemsize * f["count"]
        align = max(align, dt.itemsize)
    return out, -(-pos // align) * align


def build_double(out: Path, qm: QModel, tmp: Path) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler: the NPU glue cannot be built")
    p = qm.name
    exe = tmp / "double"
    defs = [f'-DMODEL_NPU_HEADER="{p}_npu.h"', f"-DMODEL_INPUT_T={p}_input_t", f"-DMODEL_OUTPUT_T={p}_output_t",
            f"-DMODEL_STATE_T={p}_state_t", f"-DMODEL_NPU_RUN={p}_npu_run", f"-DMODEL_NPU_STEPS={p.upper()}_NPU_STEPS",
            f"-DMODEL_NPU_OUTPUT_STEPS={p.upper()}_NPU_OUTPUT_STEPS", f"-DMODEL_INPUT_SIZE={p.upper()}_INPUT_SIZE",
            f"-DMODEL_OUTPUT_SIZE={p.upper()}_OUTPUT_SIZE"]
    # the model's own C too (its portable paths on this host, no x86 dispatch): a split model
    # runs some layers on the CPU between invocations
    model_c = [str(out / f"{p}.c"), *sorted(str(k) for k in (out / "kernels").glob("*.c"))]
    cmd = [cc, *CFLAGS, *defs, "-DRNNC_X86_DISPATCH=0", "-I", str(out), "-I", str(out / "npu"), "-I", str(DOUBLE),
           str(out / "npu" / f"{p}_npu.c"), *model_c, str(DOUBLE / "ethosu_double.c"), "-o", str(exe)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return exe


def check_glue(out: Path, accelerator: str, steps: int, tmp: Path, seed: int = 0,
               segments: list[tuple[int, int, bool]] | None = None) -> None:
    """Run <prefix>_npu_run once against the double. segments: the expected (first, last, on NPU)
    layer runs, default the whole model on the NPU. The double returns, for each NPU invocation,
    the simulator's output and final state of its layers; the CPU's layers run for real."""
    qm = QModel.load(out)
    segments = segments or [(0, len(qm.layers) - 1, True)]
    exe = build_double(out, qm, tmp)
    rng = np.random.default_rng(seed)
    in_dt = np.dtype(NUMPY_TYPES[qm.input_dtype])
    x = rng.integers(np.iinfo(in_dt).min, np.iinfo(in_dt).max + 1, (1, steps, qm.input_size)).astype(in_dt)
    layout, size = struct_layout(qm)
    state_bytes = bytearray(max(size, 64))    # a model without state still has a (dummy) struct
    states = {}
    for name, off, dt, n, f in layout:
        v = rng.integers(np.iinfo(dt).min // 2, np.iinfo(dt).max // 2, (1, n)).astype(dt)
        states.setdefault(f["layer"], {})[f["role"]] = v
        state_bytes[off:off + v.nbytes] = v.tobytes()
    start = {k: {r: a.copy() for r, a in v.items()} for k, v in states.items()}
    y, acts = run_model(qm, x, states=states, keep=True)    # what each part must compute; states now final
    tensor_of, final_of = {}, {}      # state field -> Vela's tensor read at the start, written at the end
    for name, _, _, _, f in layout:
        q = qm.layers[f["layer"]]
        if q.kind == "lstm":
            tensor_of[name] = final_of[name] = f"{q.name}_d0_{'output' if f['role'] == 'h' else 'cell'}_state"
        else:
            tensor_of[name], final_of[name] = f"{q.name}_d0_h_state", f"{q.name}_d0_h_final"
    invocations = []
    n = steps
    for first, last, on_npu in segments:
        if on_npu:
            seg_x = x if first == 0 else acts[first - 1]
            payload, read_only, arena, fast, offsets = vela_offsets(qm, accelerator, n, (first, last))
            mine = [e for e in layout if first <= e[4]["layer"] <= last]
            arena_out = bytearray(arena)
            arena_out[offsets["output"]:offsets["output"] + acts[last].nbytes] = acts[last].tobytes()
            for name, off, dt, cnt, f in mine:
                o = offsets[final_of[name]]
                arena_out[o:o + cnt * dt.itemsize] = states[f["layer"]][f["role"]].astype(dt).tobytes()
            k = len(invocations)
            (tmp / f"arena_out.{k}").write_bytes(bytes(arena_out))
            invocations.append((payload, read_only, arena, fast, offsets, mine, seg_x, first, last))
        n = acts[last].shape[1]
    (tmp / "input.bin").write_bytes(x.tobytes())
    (tmp / "state.bin").write_bytes(bytes(state_bytes))
    rec = tmp / "record.txt"
    res = subprocess.run([str(exe), str(tmp / "arena_in"), str(tmp / "arena_out"), str(tmp / "input.bin"),
                          str(tmp / "state.bin"), str(rec)], capture_output=True)
    assert res.returncode == 0, res.stderr.decode()
    record = rec.read_text().split("\n")
    assert len(record) == 5 * len(invocations) + 2 and record[-2] == "rc 0", record
    for k, (payload, read_only, arena, fast, offsets, mine, seg_x, first, last) in enumerate(invocations):
        fnv = 2166136261
        for b in payload:
            fnv = ((fnv ^ b) * 16777619) & 0xFFFFFFFF
        lines = record[5 * k:5 * k + 5]
        assert lines[0] == f"payload {len(payload)} {fnv:08x}"
        assert lines[1:5] == ["regions 3", f"region 0 {len(read_only)}", f"region 1 {arena}", f"region 2 {fast}"]
        seen = (tmp / f"arena_in.{k}").read_bytes()
        assert seen[offsets["input"]:offsets["input"] + seg_x.nbytes] == seg_x.tobytes()    # input placed
        for name, off, dt, cnt, f in mine:
            o = offsets[tensor_of[name]]
            assert seen[o:o + cnt * dt.itemsize] == start[f["layer"]][f["role"]].tobytes()  # state placed
        for name, (o, cnt) in offsets["variables"].items():
            if name not in tensor_of.values():       # a backward direction's state: reset every call
                layer = next(q for q in qm.layers if name.startswith(f"{q.name}_d"))
                fill = layer.attrs["zp_h"] & 0xFF if name.endswith("_output_state") else 0
                assert seen[o:o + cnt] == bytes([fill]) * cnt, name
    assert res.stdout == y.tobytes()                                                     # output taken
    final = (tmp / "state.bin").read_bytes()
    for name, off, dt, n, f in layout:
        assert final[off:off + n * dt.itemsize] == states[f["layer"]][f["role"]].astype(dt).tobytes()  # state back


@pytest.mark.parametrize("accelerator,steps", [("ethos-u55-128", 4), ("ethos-u65-256", 1), ("ethos-u85-256", 3)])
def test_glue_invokes_vela_stream_with_caller_state(accelerator, steps, tmp_path):
    _vela()
    out = tmp_path / "out"
    compile_model(str(FIXTURE), str(out), target=accelerator, npu_steps=steps)
    check_glue(out, accelerator, steps, tmp_path)


def test_two_layer_int16x8_model(tmp_path):
    _vela()
    calib = np.random.default_rng(3).standard_normal((6, 10, 5)).astype(np.float32)
    m = model([recurrent("lstm", 5, 12), recurrent("lstm", 12, 8, seed=4, name="lstm1"), dense(8, 3)], 5, name="two")
    out = tmp_path / "out"
    compile_ir(m, str(out), target="ethos-u55-256", scheme="int16x8", calib=calib, npu_steps=2)
    check_glue(out, "ethos-u55-256", 2, tmp_path)


def test_cpu_part_verifies_on_qemu_cortex_m55(tmp_path):
    _vela()
    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None:
        pytest.skip("arm-none-eabi-gcc / qemu-system-arm NOT installed: the Cortex-M55 part is not run")
    compile_model(str(FIXTURE), str(tmp_path), target="ethos-u55-128")
    res = verify_compiled(str(tmp_path), np.load(FIXTURE.with_suffix(".input.npy"))[:2])
    assert res.ok, res.summary()


@pytest.mark.parametrize("direction", ["bidirectional", "reverse"])
def test_backward_directions_run_on_the_u55(direction, tmp_path):
    """Ethos-U55 has no REVERSE_V2: the export reverses time by slices, all on the NPU; the
    backward direction's state is reset in the arena before every invocation."""
    _vela()
    calib = np.random.default_rng(3).standard_normal((6, 10, 5)).astype(np.float32)
    m = model([recurrent("lstm", 5, 8, direction=direction), dense(16 if direction == "bidirectional" else 8, 3)],
              5, name="bi")
    out = tmp_path / "out"
    compile_ir(m, str(out), target="ethos-u55-128", calib=calib, npu_steps=5)
    check_glue(out, "ethos-u55-128", 5, tmp_path)


def test_what_vela_leaves_on_the_cpu_runs_on_the_m55(tmp_path, monkeypatch):
    """A layer of which Vela cannot place an operator (here REVERSE_V2 on the U55, written on
    purpose) runs on the Cortex-M55 between the NPU's invocations, with Vela's reason."""
    _vela()
    import codegen.tflite_export as export
    real = export.export_qmodel
    monkeypatch.setattr(export, "export_qmodel", lambda qm, steps, reverse_by_slices=False, **options:
                        real(qm, steps, **options))
    calib = np.random.default_rng(3).standard_normal((6, 10, 5)).astype(np.float32)
    m = model([recurrent("lstm", 5, 8, direction="bidirectional"), dense(16, 3)], 5, name="bi")
    out = tmp_path / "out"
    compile_ir(m, str(out), target="ethos-u55-128", calib=calib, npu_steps=4)
    header = (out / "npu" / "bi_npu.h").read_text()
    assert "layers 0..0: Cortex-M55\n *       layer 0 (lstm, int8): Vela leaves REVERSE_V2" in header and "layers 1..1: NPU" in header
    check_glue(out, "ethos-u55-128", 4, tmp_path, segments=[(0, 0, False), (1, 1, True)])


@pytest.mark.parametrize("layer_schemes,segments", [
    ({"gru1": "int8"}, [(0, 0, True), (1, 1, False), (2, 2, True)]),     # no int8 GRU in TFLite Micro
    ({"gru1": "int4", "dense": "int4"}, [(0, 0, True), (1, 2, False)]),  # low-bit: rnnc's kernels only
])
def test_layers_without_tflite_operators_run_on_the_m55(layer_schemes, segments, tmp_path):
    """The NPU runs the layers TFLite operators express; the others run on the Cortex-M55 with
    rnnc's kernels in the same call, the state of every layer the caller's."""
    _vela()
    calib = np.random.default_rng(3).standard_normal((6, 10, 5)).astype(np.float32)
    m = model([recurrent("lstm", 5, 8), recurrent("gru", 8, 6, seed=5, name="gru1"), dense(6, 3)], 5, name="sp")
    out = tmp_path / "out"
    qm = compile_ir(m, str(out), target="ethos-u55-128", calib=calib, npu_steps=3, layer_schemes=layer_schemes)
    assert [p.split(":")[1].split()[0] for p in qm.npu_placement] == ["NPU" if n else "Cortex-M55" for *_, n in segments]
    check_glue(out, "ethos-u55-128", 3, tmp_path, segments=segments)
    if shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm"):   # the CPU's layers on the M55
        res = verify_compiled(str(out), np.random.default_rng(1).standard_normal((2, 6, 5)).astype(np.float32))
        assert res.ok, res.summary()


@pytest.mark.parametrize("accelerator", ["ethos-u55-128", "ethos-u55-256", "ethos-u65-256", "ethos-u85-256"])
def test_a_split_model_keeping_the_last_step(accelerator, tmp_path):
    """An int8 GRU on the M55 between an LSTM and a last-step + dense head on the NPU: the head's
    invocation takes the GRU's steps and returns one."""
    _vela()
    calib = np.random.default_rng(3).standard_normal((6, 10, 5)).astype(np.float32)
    m = model([recurrent("lstm", 5, 8), recurrent("gru", 8, 6, seed=5, name="gru1"), ir.LastStepLayer("last", 6),
               dense(6, 3)], 5, name="ls")
    out = tmp_path / "out"
    compile_ir(m, str(out), target=accelerator, calib=calib, npu_steps=4)
    check_glue(out, accelerator, 4, tmp_path, segments=[(0, 0, True), (1, 1, False), (2, 3, True)])


def test_a_default_exporter_gru_model_shares_npu_and_m55(tmp_path):
    """PyTorch's default exporter, a streaming 2-layer int8 GRU with a dense head and a sigmoid:
    the GRUs (no int8 GRU in TFLite) and rnnc's sigmoid on the M55, the dense layer on the NPU."""
    _vela()
    onnx_path = Path(__file__).parent / "fixtures" / "onnx_dynamo" / "stream_gru2.onnx"
    calib = np.random.default_rng(0).standard_normal((8, 12, 6)).astype(np.float32)
    out = tmp_path / "out"
    compile_model(str(onnx_path), str(out), target="ethos-u55-128", calib=calib, npu_steps=4)
    check_glue(out, "ethos-u55-128", 4, tmp_path, segments=[(0, 1, False), (2, 2, True), (3, 3, False)])


def test_refuses_a_model_with_nothing_for_the_npu(tmp_path):
    _vela()
    calib = np.random.default_rng(3).standard_normal((6, 10, 5)).astype(np.float32)
    m = model([recurrent("gru", 5, 8), dense(8, 3)], 5, name="g")
    with pytest.raises(UnsupportedError, match="no layer of the model can run on ethos-u55-128: layer 0 "
                                               r"\(gru, int8\): an int8 GRU cannot be written"):
        compile_ir(m, str(tmp_path), target="ethos-u55-128", calib=calib, layer_schemes={"dense": "int4"})


@pytest.mark.parametrize("layers,accelerator,steps", [
    (lambda: [recurrent("gru", 5, 8), dense(8, 3)], "ethos-u55-128", 3),
    (lambda: [recurrent("rnn", 5, 8)], "ethos-u55-128", 1),     # the final h is the output too
    (lambda: [recurrent("gru", 5, 8, lbr=True), recurrent("rnn", 8, 6, seed=2, name="rnn1")], "ethos-u65-256", 3),
    (lambda: [recurrent("lstm", 5, 8), recurrent("gru", 8, 6, seed=5, name="gru1"),
              recurrent("gru", 6, 4, seed=6, direction="bidirectional", name="gru2")], "ethos-u85-256", 3)])
def test_gru_rnn_state_crosses_invocations(layers, accelerator, steps, tmp_path):
    """An int16x8 GRU/RNN goes to the NPU unrolled: its h enters through a variable tensor and
    the last step's h leaves through an extra output, both copied from and to the caller's state."""
    _vela()
    calib = np.random.default_rng(3).standard_normal((6, 10, 5)).astype(np.float32)
    out = tmp_path / "out"
    compile_ir(model(layers(), 5, name="g"), str(out), target=accelerator, scheme="int16x8", calib=calib,
               npu_steps=steps)
    check_glue(out, accelerator, steps, tmp_path)


def test_npu_steps_needs_an_npu_target(tmp_path):
    with pytest.raises(RnncError, match="--npu-steps needs an NPU target"):
        compile_model(str(FIXTURE), str(tmp_path), target="cortex-m55", npu_steps=2)


def test_glue_is_deterministic(tmp_path):
    _vela()
    for k in ("a", "b"):
        compile_model(str(FIXTURE), str(tmp_path / k), target="ethos-u55-128")
    p = QModel.load(tmp_path / "a").name
    assert (tmp_path / "a" / "npu" / f"{p}_npu.c").read_bytes() == (tmp_path / "b" / "npu" / f"{p}_npu.c").read_bytes()
    assert os.path.getsize(tmp_path / "a" / "npu" / f"{p}_npu.h") > 0
