"""The 'litert' numerics flavour (rnnc compile --numerics litert): models that compute what full
TFLite (ai-edge-litert, with its default XNNPACK delegate) computes, bit for bit.

References: gemmlowp's logistic/tanh checksums over all 65536 int16 inputs (computed by gemmlowp
itself, compiled from its source), the committed LiteRT outputs of the converter-made fixtures,
and the live LiteRT interpreter on new inputs and on files rnnc exports.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from codegen import fixedpoint_gemmlowp as gl
from codegen.api import compile_ir, compile_model, run_compiled, verify_compiled
from codegen.errors import UnsupportedError
from codegen.qmodel import QModel
from codegen.simulate import run_model
from codegen.tflite_export import export_qmodel

from models import dense, model, recurrent

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "tflite"
#: LiteRT computes garbage for cell scales below 2^-15 (the other two fixtures): see MANIFEST.json
VALID = ["lstm_t8_f4_h16", "lstm_t20_f10_h64_dense", "lstm_sat_t30_f8_h48_dense"]
ALL_INT16 = np.arange(-32768, 32768, dtype=np.int64)

#: gemmlowp's own outputs over all int16 inputs: (sum, sum of squares, values at -32768, -1, 1, 4096, 32767)
GEMMLOWP = {"logistic": (1073692684, 30787876151668, [11, 16383, 16384, 23952, 32756]),
            0: (-24964, 16775729100272, [-24964, 8, -8, 4076, 24964]),
            1: (-31596, 36449383658160, [-31596, 4, -4, 8032, 31596]),
            2: (-32744, 52785650136288, [-32744, 0, 0, 15136, 32744]),
            3: (-32767, 61570720630829, [-32767, -8, 8, 24964, 32767]),
            4: (-32767, 65967576794295, [-32767, -24, 24, 31596, 32767]),
            5: (-32767, 68166019530667, [-32767, -36, 36, 32744, 32767]),
            6: (-32767, 69265241038837, [-32767, -64, 64, 32767, 32767])}
PROBES = np.array([-32768, -1, 1, 4096, 32767])


@pytest.mark.parametrize("fn", list(GEMMLOWP))
def test_simulator_activations_equal_gemmlowp(fn):
    y = gl.logistic_q3(ALL_INT16) if fn == "logistic" else gl.tanh_q(ALL_INT16, fn)
    s, s2, at = GEMMLOWP[fn]
    assert (int(y.sum()), int((y * y).sum())) == (s, s2)
    probes = gl.logistic_q3(PROBES) if fn == "logistic" else gl.tanh_q(PROBES, fn)
    assert [int(v) for v in probes] == at


def test_c_activations_equal_the_simulator_on_every_input(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler")
    src = tmp_path / "gl.c"
    src.write_text('#include <stdio.h>\n#include "rnnc_gemmlowp_s16.h"\nint main(void) {\n'
                   '    int32_t x, ib; int16_t v;\n'
                   '    for (ib = -1; ib <= 6; ib++) for (x = -32768; x <= 32767; x++) {\n'
                   '        v = (int16_t)(ib < 0 ? rnnc_gl_logistic_s16(x) : rnnc_gl_tanh_s16(x, ib));\n'
                   '        fwrite(&v, 2, 1, stdout);\n    }\n    return 0;\n}\n')
    exe = tmp_path / "gl"
    res = subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1",
                          "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                          "-I", str(ROOT / "templates" / "kernels"), str(src), "-o", str(exe)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    got = np.frombuffer(subprocess.run([str(exe)], capture_output=True, check=True).stdout, "<i2").reshape(8, -1)
    np.testing.assert_array_equal(got[0], gl.logistic_q3(ALL_INT16))
    for ib in range(7):
        np.testing.assert_array_equal(got[ib + 1], gl.tanh_q(ALL_INT16, ib))


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    root = tmp_path_factory.mktemp("litert")
    for stem in VALID:
        compile_model(str(FIXTURES / f"{stem}.tflite"), str(root / stem), numerics="litert")
    return root


@pytest.mark.parametrize("stem", VALID)
def test_simulator_and_c_equal_litert_goldens(stem, compiled):
    x = np.load(FIXTURES / f"{stem}.input.npy")
    golden = np.load(FIXTURES / f"{stem}.litert.npy")
    qm = QModel.load(compiled / stem)
    assert qm.flavour == "litert"
    np.testing.assert_array_equal(run_model(qm, x), golden)
    np.testing.assert_array_equal(run_compiled(str(compiled / stem), x), golden)
    assert not np.array_equal(golden, np.load(FIXTURES / f"{stem}.tflm.npy"))   # the flavours differ here


def _litert(data: bytes):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        pytest.skip("ai-edge-litert is NOT installed: the live LiteRT comparison is skipped")
    it = Interpreter(model_content=data, num_threads=1)
    it.allocate_tensors()
    return it


def litert_sequences(data: bytes, x: np.ndarray) -> np.ndarray:
    it = _litert(data)
    inp, out = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    ys = []
    for row in x:
        it.reset_all_variables()
        it.set_tensor(inp, row[None])
        it.invoke()
        ys.append(it.get_tensor(out)[0].copy())
    return np.stack(ys)


@pytest.mark.parametrize("stem", VALID)
def test_live_litert_on_new_inputs(stem, compiled):
    ref = np.load(FIXTURES / f"{stem}.input.npy")
    x = np.random.default_rng(5).integers(-128, 128, (4,) + ref.shape[1:]).astype(np.int8)
    want = litert_sequences((FIXTURES / f"{stem}.tflite").read_bytes(), x)
    np.testing.assert_array_equal(run_model(QModel.load(compiled / stem), x), want)


@pytest.mark.parametrize("seed", [0, 1])
def test_rnnc_quantized_model_exported_runs_identically_in_litert(seed, tmp_path):
    """A float model quantized by rnnc with --numerics litert, exported as .tflite: LiteRT
    (XNNPACK for the dense layers) computes exactly the simulator's numbers, and the C equals both."""
    calib = np.random.default_rng(seed).standard_normal((6, 12, 5)).astype(np.float32)
    m = model([recurrent("lstm", 5, 16, seed=seed), recurrent("lstm", 16, 12, seed=seed + 7, name="lstm1"),
               dense(12, 4)], 5, name=f"lr{seed}")
    qm = compile_ir(m, str(tmp_path), calib=calib, numerics="litert")
    x = np.random.default_rng(seed + 10).integers(-128, 128, (4, 9, 5)).astype(np.int8)
    want = litert_sequences(export_qmodel(qm, 9), x)
    np.testing.assert_array_equal(run_model(qm, x), want)
    np.testing.assert_array_equal(run_compiled(str(tmp_path), x), want)


def test_cli_check_runs_litert_for_litert_models(compiled, tmp_path, capsys):
    from codegen.cli import main
    pytest.importorskip("ai_edge_litert.interpreter", reason="ai-edge-litert is NOT installed: LiteRT check skipped")
    stem = "lstm_t8_f4_h16"
    assert main(["export-tflite", str(compiled / stem), "-o", str(tmp_path / "m.tflite"), "--steps", "8",
                 "--check", "4"]) == 0
    assert "LiteRT vs the simulator on 4 random sequences: every element equal" in capsys.readouterr().out


def test_litert_flavour_on_cortex_m4(compiled, tmp_path):
    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None:
        pytest.skip("arm-none-eabi-gcc / qemu-system-arm NOT installed: the Cortex-M4 LiteRT build is not run")
    stem = "lstm_t20_f10_h64_dense"
    compile_model(str(FIXTURES / f"{stem}.tflite"), str(tmp_path), target="cortex-m4", numerics="litert")
    x = np.load(FIXTURES / f"{stem}.input.npy")[:2]
    res = verify_compiled(str(tmp_path), x)
    assert res.ok, res.summary()
    np.testing.assert_array_equal(run_compiled(str(tmp_path), x), np.load(FIXTURES / f"{stem}.litert.npy")[:2])


def test_refusals(tmp_path):
    calib = np.random.default_rng(0).standard_normal((6, 12, 5)).astype(np.float32)
    m = model([recurrent("lstm", 5, 8), dense(8, 2)], 5)
    with pytest.raises(UnsupportedError, match="LiteRT numerics are defined for int8 LSTMs only"):
        compile_ir(m, str(tmp_path / "a"), scheme="int16x8", calib=calib, numerics="litert")
    with pytest.raises(UnsupportedError, match="outside 2\\^-15..2\\^-9"):
        compile_model(str(FIXTURES / "lstm_t50_f16_h256_dense.tflite"), str(tmp_path / "b"), numerics="litert")
    with pytest.raises(UnsupportedError, match="unknown numerics"):
        compile_ir(m, str(tmp_path / "c"), calib=calib, numerics="tflite")
