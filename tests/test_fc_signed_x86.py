"""The x86 AVX2 level's gate FC: host outputs whose int8 gate weights all lie in [-127, 127]
also name rnnc_fc_s8_s16_b16x4_signed and plain biases, which the steps call on the AVX2 level
without VNNI (kernels/rnnc_gate_fc_s8.h; tests/test_simd_kernels.py runs that level on every
model). A weight of -128 (possible in a TFLite file from elsewhere) is outside what that
kernel's VPMADDUBSW path computes exactly, so such a layer keeps the +128-offset kernel on
every level, and an Arm64 output keeps it too: checked here bit for bit with the simulator."""
from __future__ import annotations

import platform
import shutil

import numpy as np
import pytest

from codegen import api
from codegen.api import compile_ir
from codegen.toolchain.kernel_path import cpu_flags, x86_levels
from codegen.verification import verify_compiled

from models import dense, model, recurrent

X86 = platform.machine() in ("x86_64", "AMD64")


def _weights_text(out) -> str:
    return "".join(h.read_text() for h in out.glob("*_weights.h"))


def _compile(out, kind, target="host", kernels="auto", minus_128=False, monkeypatch=None):
    H, In = {"lstm": (37, 70), "gru": (64, 3), "rnn": (130, 19)}[kind]
    layer = recurrent(kind, In, H, "bidirectional", seed=H)
    m = model([layer, dense(layer.output_size, 5)], In)
    calib = np.random.default_rng(H).standard_normal((8, 9, In)).astype(np.float32)
    if minus_128:
        quantize = api.quantize_model

        def with_minus_128(*args, **kw):
            qm = quantize(*args, **kw)
            q = qm.layers[0]
            q.arrays["r1"].reshape(-1)[5] = -128     # one recurrent weight of the backward direction
            return qm
        monkeypatch.setattr(api, "quantize_model", with_minus_128)
    compile_ir(m, str(out), scheme="int8", calib=calib, target=target, kernels=kernels)
    return (calib[:4] * 3).astype(np.float32)


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_host_output_names_the_signed_fc(tmp_path, kind):
    _compile(tmp_path / "auto", kind)
    text = _weights_text(tmp_path / "auto")
    assert ".signed_fc = rnnc_fc_s8_s16_b16x4_signed," in text
    assert ".gate_fc = rnnc_fc_s8_s16_b16x4," in text
    # the plain biases are the offset ones less -128 * rowsum, which the simulator never reads:
    # the AVX2-level runs in tests/test_simd_kernels.py compare their results bit for bit
    _compile(tmp_path / "portable", kind, kernels="portable")
    assert ".signed_fc" not in _weights_text(tmp_path / "portable")


def _levels() -> list[str]:
    """The x86 levels this machine runs natively or under user-mode QEMU (AVX2 only)."""
    have = x86_levels(cpu_flags() or set()) if X86 else []
    return [lv for lv in ("portable", "avx2", "avx-vnni", "avx512-vnni")
            if lv in have or (lv == "avx2" and X86 and shutil.which("qemu-x86_64"))]


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_weight_minus_128_keeps_offset_kernel(tmp_path, monkeypatch, kind):
    x = _compile(tmp_path, kind, minus_128=True, monkeypatch=monkeypatch)
    text = _weights_text(tmp_path)
    assert ".gate_fc = rnnc_fc_s8_s16_b16x4," in text and ".signed_fc" not in text
    if not X86:
        res = verify_compiled(str(tmp_path), x)
        assert res.ok, res.summary()
        return
    for level in _levels():
        monkeypatch.setenv("RNNC_X86_PATH", level)
        if level not in x86_levels(cpu_flags() or set()):
            monkeypatch.setenv("RNNC_HOST_EMULATOR", "qemu-x86_64 -cpu max")
            monkeypatch.setenv("RNNC_SANITIZE", "0")
        res = verify_compiled(str(tmp_path), x)
        assert res.ok, f"{level}: {res.summary()}"
        assert res.kernel_path == f"x86 {level} (run-time)"
        monkeypatch.delenv("RNNC_HOST_EMULATOR", raising=False)
        monkeypatch.delenv("RNNC_SANITIZE", raising=False)


def test_weight_minus_128_keeps_offset_kernel_on_arm64(tmp_path, monkeypatch):
    _compile(tmp_path / "a", "lstm", target="aarch64")
    assert ".gate_fc = rnnc_fc_s8_s16_b16x4_signed," in _weights_text(tmp_path / "a")
    _compile(tmp_path / "b", "lstm", target="aarch64", minus_128=True, monkeypatch=monkeypatch)
    assert ".gate_fc = rnnc_fc_s8_s16_b16x4," in _weights_text(tmp_path / "b")
