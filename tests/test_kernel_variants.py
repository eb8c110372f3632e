"""Every test model of the core compiler on all five emulated Cortex-M cores, with every kernel
variant the core offers (portable, DSP, Helium, CMSIS-NN): generated C bit-exact with the
simulator, and with TFLite Micro's outputs where the model came from the TFLite converter.

rnnc's own variants differ only in rnnc_common.h's RNNC_KERNELS, so each model is compiled once
per core and built once per variant with -DRNNC_KERNELS=...; the CMSIS-NN variant is a separate
compile (other emitters, other numerics flavour) and needs a checkout in CMSIS_NN_PATH.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from codegen.api import compile_ir, compile_model, run_compiled, verify_compiled
from codegen.errors import RnncError
from codegen.kernel_variants import target_variants
from codegen.toolchain.targets import load_target

from models import dense, model, recurrent

TARGETS = ["cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55"]
TFL = Path(__file__).parent / "fixtures" / "tflite"
ONNX = Path(__file__).parent / "fixtures" / "onnx"
MISSING = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]
CMSIS_NN = os.environ.get("CMSIS_NN_PATH", "")

pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"{' and '.join(MISSING)} NOT INSTALLED: Cortex-M kernel variant tests skipped "
                          "(make setup installs them when run as root)")

TFLM_STEMS = ["lstm2_t12_f6_h32", "lstm_sat_t30_f8_h48_dense", "lstm_t20_f10_h64_dense",
              "lstm_t50_f16_h256_dense", "lstm_t8_f4_h16"]
TORCH = ["torch_bilstm2", "torch_gru_last", "torch_embed_lstm"]
MODELS = ([f"tflm:{s}" for s in TFLM_STEMS] + [f"torch:{n}:{s}" for n in TORCH for s in ("int8", "int16x8")]
          + ["mix:int8", "mix:int16x8"])


def _torch_input(name: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if name == "torch_embed_lstm":
        return rng.integers(0, 40, (3, 9, 1)).astype(np.int32)
    return rng.standard_normal((3, 9, 5 if name == "torch_gru_last" else 6)).astype(np.float32)


def _mix_model():
    """The core issue's integer mix: GRU, bidirectional RNN, reverse LSTM, dense head."""
    layers = [recurrent("gru", 5, 12, name="gru0"), recurrent("rnn", 12, 9, "bidirectional", name="rnn1"),
              recurrent("lstm", 18, 10, "reverse", lbr=False, name="lstm2"), dense(10, 3, name="dense3")]
    return model(layers, 5)


def compile_case(case: str, out: Path, target: str, kernels: str = "auto") -> np.ndarray:
    """Compile one catalogue model for a target; returns the input to verify it on."""
    kind, name, *rest = case.split(":")
    if kind == "tflm":
        compile_model(str(TFL / f"{name}.tflite"), str(out), target=target, kernels=kernels)
        return np.load(TFL / f"{name}.input.npy")
    if kind == "torch":
        compile_model(str(ONNX / f"{name}.onnx"), str(out), scheme=rest[0], target=target, kernels=kernels,
                      calib=_torch_input(name, 1))
        return _torch_input(name, 2)
    rng = np.random.default_rng(3)
    calib = rng.standard_normal((6, 8, 5)).astype(np.float32)
    compile_ir(_mix_model(), str(out), scheme=name, target=target, calib=calib, kernels=kernels)
    return (calib[:3] * 2).astype(np.float32)


OWN_VARIANTS = {"portable": "RNNC_KERNELS_PORTABLE", "dsp": "RNNC_KERNELS_DSP", "mve": "RNNC_KERNELS_MVE"}


@pytest.mark.parametrize("case", MODELS)
@pytest.mark.parametrize("target", TARGETS)
def test_every_own_kernel_variant_bit_exact(tmp_path, target, case):
    variants = [v for v in target_variants(load_target(target)) if v in OWN_VARIANTS]
    assert "portable" in variants
    # a Helium core lays int8 weights out by rows under --kernels auto/mve and in 16x4 blocks
    # under --kernels dsp/portable: each layout with every variant that can read it
    builds = [("auto", variants)] + ([("dsp", ["portable", "dsp"])] if "mve" in variants else [])
    golden = np.load(TFL / f"{case.split(':')[1]}.tflm.npy") if case.startswith("tflm:") else None
    for kernels, built in builds:
        out = tmp_path / kernels
        x = compile_case(case, out, target, kernels)
        for v in built:
            flag = [f"-DRNNC_KERNELS={OWN_VARIANTS[v]}"]
            res = verify_compiled(str(out), x, extra_cflags=flag)
            assert res.ok, f"{target} --kernels {kernels}, built as {v}: {res.summary()}"
            if golden is not None:
                np.testing.assert_array_equal(run_compiled(str(out), x, extra_cflags=flag), golden,
                                              err_msg=f"{target} {kernels}/{v} differs from TFLite Micro")


@pytest.mark.skipif(not CMSIS_NN, reason="CMSIS_NN_PATH NOT SET: CMSIS-NN backend tests skipped "
                                         "(point it at a CMSIS-NN checkout to run them)")
@pytest.mark.parametrize("case", MODELS)
@pytest.mark.parametrize("target", TARGETS)
def test_cmsis_nn_backend_bit_exact(tmp_path, target, case):
    x = compile_case(case, tmp_path, target, kernels="cmsis-nn")
    res = verify_compiled(str(tmp_path), x)
    assert res.ok, f"{target} --kernels cmsis-nn: {res.summary()}"


@pytest.mark.skipif(not CMSIS_NN, reason="CMSIS_NN_PATH NOT SET: CMSIS-NN backend tests skipped "
                                         "(point it at a CMSIS-NN checkout to run them)")
def test_cmsis_nn_streaming_equals_whole_sequence(tmp_path):
    compile_case("tflm:lstm_t20_f10_h64_dense", tmp_path, "cortex-m4", kernels="cmsis-nn")
    x = np.load(TFL / "lstm_t20_f10_h64_dense.input.npy")
    whole = run_compiled(str(tmp_path), x)
    np.testing.assert_array_equal(run_compiled(str(tmp_path), x, api="step"), whole)
    np.testing.assert_array_equal(run_compiled(str(tmp_path), x, chunk=7), whole)


def test_kernel_variant_not_on_this_core_is_refused(tmp_path):
    with pytest.raises(RnncError, match="--kernels mve is not available on target cortex-m4"):
        compile_case("tflm:lstm_t8_f4_h16", tmp_path, "cortex-m4", kernels="mve")
    with pytest.raises(RnncError, match="--kernels neon is not available on target cortex-m4"):
        compile_case("tflm:lstm_t8_f4_h16", tmp_path, "cortex-m4", kernels="neon")
    with pytest.raises(RnncError, match="unknown --kernels 'sve'"):
        compile_case("tflm:lstm_t8_f4_h16", tmp_path, "cortex-m4", kernels="sve")


def test_forcing_a_variant_the_flags_lack_stops_the_build(tmp_path):
    compile_case("tflm:lstm_t8_f4_h16", tmp_path, "cortex-m4", kernels="auto")
    x = np.load(TFL / "lstm_t8_f4_h16.input.npy")
    with pytest.raises(RnncError, match="compiler flags do not enable it"):
        run_compiled(str(tmp_path), x, extra_cflags=["-DRNNC_KERNELS=RNNC_KERNELS_MVE"])


def test_generated_variant_is_the_one_asked_for(tmp_path):
    """The variant is a build flag (the Makefile and rnnc's own builds pass it); the kernel
    files are the same for every variant, so models compiled with different variants can
    share one copy of them."""
    compile_case("tflm:lstm_t8_f4_h16", tmp_path / "dsp", "cortex-m55", kernels="dsp")
    compile_case("tflm:lstm_t8_f4_h16", tmp_path / "portable", "cortex-m55", kernels="portable")
    assert "KERNELS_DEFINE = -DRNNC_KERNELS=RNNC_KERNELS_DSP" in (tmp_path / "dsp" / "Makefile").read_text()
    for f in (tmp_path / "dsp" / "kernels").iterdir():
        assert f.read_bytes() == (tmp_path / "portable" / "kernels" / f.name).read_bytes(), f.name


@pytest.mark.skipif(not CMSIS_NN, reason="CMSIS_NN_PATH NOT SET: CMSIS-NN backend tests skipped")
def test_cmsis_nn_output_without_checkout_is_a_clear_error(tmp_path, monkeypatch):
    compile_case("tflm:lstm_t8_f4_h16", tmp_path, "host", kernels="cmsis-nn")
    monkeypatch.delenv("CMSIS_NN_PATH")
    with pytest.raises(RnncError, match="set CMSIS_NN_PATH to a CMSIS-NN checkout"):
        run_compiled(str(tmp_path), np.load(TFL / "lstm_t8_f4_h16.input.npy"))


def test_each_variant_really_builds_its_own_path(tmp_path):
    """Instruction counts tell the variants apart: the -D switch reaches every kernel."""
    from codegen.qmodel import QModel
    from codegen.toolchain.insncount import instructions_per_step
    compile_case("tflm:lstm_t20_f10_h64_dense", tmp_path, "cortex-m55")
    qm, tgt = QModel.load(tmp_path), load_target("cortex-m55")
    counts = {v: instructions_per_step(tmp_path, tgt, qm, extra=[f"-DRNNC_KERNELS={m}"])
              for v, m in OWN_VARIANTS.items()}
    assert counts["mve"] < counts["dsp"] < counts["portable"], counts
