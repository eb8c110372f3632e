"""Which layers --kernels cmsis-nn hands to CMSIS-NN, and that each CMSIS-NN function it calls
is bit-exact with the simulator's 'cmsis-nn' flavour.

Dense layers: arm_fully_connected_s8 (one multiplier), arm_fully_connected_per_channel_s8 and
arm_fully_connected_s16; layers CMSIS-NN cannot compute exactly (per-channel int16, int32
partial sums that could overflow) keep rnnc's kernels, and the compiler says so.
The decision tests run everywhere; the build-and-compare tests need CMSIS_NN_PATH and a C
toolchain, and skip loudly without them.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from codegen import ir
from codegen.api import compile_ir, verify_compiled
from codegen.kernel_variants import layer_backend, use_kernel_variant
from codegen.quantize import quantize_model

from models import dense, model, recurrent

CMSIS_NN = os.environ.get("CMSIS_NN_PATH", "")
needs_cmsis_nn = pytest.mark.skipif(not CMSIS_NN, reason="CMSIS_NN_PATH NOT SET: CMSIS-NN backend tests skipped "
                                                         "(point it at a CMSIS-NN checkout to run them)")
needs_qemu = pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
                                reason="arm-none-eabi-gcc or qemu-system-arm NOT INSTALLED: Cortex-M test skipped")


def _per_tensor_dense(In: int, Out: int, name: str = "head") -> ir.DenseLayer:
    """Every row has the same largest |w|, so rnnc's per-row weight scales are all equal and
    the layer quantizes to one multiplier (CMSIS-NN's per-tensor functions)."""
    layer = dense(In, Out, name=name)
    w = np.clip(layer.weight, -0.5, 0.5)
    w[:, 0] = 0.6
    return ir.DenseLayer(name, w.astype(np.float32), layer.bias)


def _wide_lstm(In: int = 600, H: int = 4) -> ir.RecurrentLayer:
    """Weights of one magnitude over 600 inputs and a large bias: CMSIS-NN's Helium path starts
    the int32 partial sum from the bias and adds 512 columns of up to 32768 * 127 each."""
    layer = recurrent("lstm", In, H, name="wide")
    for d in layer.dirs:
        for g in d.gates.values():
            g.W[...] = np.where(g.W >= 0, 0.05, -0.05)
            g.Wb[...] = 8.0
    return layer


def _calib(In: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((4, 6, In)).astype(np.float32)


def _backends(m: ir.Model, scheme: str) -> dict[str, str | None]:
    qm = quantize_model(m, scheme, _calib(m.input_size))
    use_kernel_variant(qm, "cmsis-nn")
    return {q.name: (layer_backend(qm, q) or q.attrs.get("kernels_note")) for q in qm.layers}


def test_per_tensor_and_per_channel_dense_go_to_cmsis_nn():
    m = model([recurrent("lstm", 5, 10, name="lstm0"), _per_tensor_dense(10, 3, "pt"),
               dense(3, 4, name="pc")], 5)
    got = _backends(m, "int8")
    assert got == {"lstm0": "cmsis-nn", "pt": "cmsis-nn", "pc": "cmsis-nn"}


def test_int16_dense_per_channel_and_wide_lstm_keep_rnnc_kernels():
    m = model([_wide_lstm(), _per_tensor_dense(4, 3, "pt"), dense(3, 4, name="pc")], 600)
    got = _backends(m, "int16x8")
    assert got["pt"] == "cmsis-nn"
    assert "no per-channel int16 fully connected" in got["pc"]
    assert "int32 partial sums" in got["wide"]


def test_layers_cmsis_nn_lacks_are_named_in_the_compile_summary(tmp_path):
    m = model([recurrent("gru", 5, 6, name="gru0"), _per_tensor_dense(6, 3, "pt")], 5)
    out = tmp_path / "m"
    qm = compile_ir(m, str(out), scheme="int8", calib=_calib(5), kernels="cmsis-nn")
    assert qm.layers[0].attrs["kernels_note"] == "cmsis-nn does not implement gru layers (int8)"
    res = subprocess.run([sys.executable, "-m", "codegen", "inspect", str(out)], capture_output=True,
                         text=True, check=True)
    assert "layer 'gru0' keeps rnnc's kernels: cmsis-nn does not implement gru layers" in res.stdout
    assert "cmsis-nn" in res.stdout.split("layer 'gru0'")[0]   # the kernels column names the library


CASES = {
    "int8": lambda: model([recurrent("lstm", 5, 10, name="lstm0"), _per_tensor_dense(10, 3, "pt"),
                           dense(3, 4, name="pc")], 5),
    "int16x8": lambda: model([recurrent("lstm", 5, 10, name="lstm0"), _per_tensor_dense(10, 3, "pt"),
                              dense(3, 4, name="pc")], 5),
    "int16x8-declined": lambda: model([_wide_lstm(), _per_tensor_dense(4, 3, "pt")], 600),
}


def _verify(tmp_path, case: str, target: str) -> None:
    m = CASES[case]()
    scheme = case.split("-")[0]
    compile_ir(m, str(tmp_path), scheme=scheme, target=target, calib=_calib(m.input_size), kernels="cmsis-nn")
    x = _calib(m.input_size, seed=1) * 1.5
    if case == "int16x8-declined":
        # full-scale inputs with the signs of the input gate's first row: the accumulator
        # CMSIS-NN's Helium path would wrap (checked: handed to CMSIS-NN, this fails on M55)
        x[:, :] = 4.0 * np.sign(m.layers[0].dirs[0].gates["i"].W[0])
    res = verify_compiled(str(tmp_path), x)
    assert res.ok, f"{case} on {target} --kernels cmsis-nn: {res.summary()}"


@needs_cmsis_nn
@pytest.mark.parametrize("case", sorted(CASES))
def test_cmsis_nn_dense_bit_exact_on_host(tmp_path, case):
    _verify(tmp_path, case, "host")


@needs_cmsis_nn
@needs_qemu
@pytest.mark.parametrize("target", ["cortex-m3", "cortex-m4", "cortex-m55"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_cmsis_nn_dense_bit_exact_on_cortex_m(tmp_path, case, target):
    _verify(tmp_path, case, target)
