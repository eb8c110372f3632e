"""Two different models in one firmware (a keyword spotter beside a voice-activity detector):
compiled separately, with different schemes, kernel variants and weight layouts, linked into
one program with one copy of kernels/, each equal to its own simulator. Kernel symbols are
shared and must not depend on which model asked for them."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from codegen.api import compile_ir, compile_model, simulate_compiled
from codegen.qmodel import QModel
from codegen.simulate import check_input
from codegen.toolchain import build
from codegen.toolchain.runners import SANITIZERS, runner_for
from codegen.toolchain.targets import load_target, support_files

from models import dense, model, recurrent

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "japanese_vowels"
MISSING = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]
T = 6

MAIN = r"""
/* two models, one program: run each on its own rows, write both outputs to out.bin */
#include <stdint.h>

#include "kws.h"
#include "vad.h"
#include "inputs.h"

#ifdef RNNC_SEMIHOSTING
#include "rnnc_semihost.h"
static int write_all(const void *a, int32_t na, const void *b, int32_t nb)
{
    const int32_t f = rnnc_sh_open("out.bin", 5);
    int ok = f >= 0 && rnnc_sh_write(f, a, na) == 0 && rnnc_sh_write(f, b, nb) == 0;
    rnnc_sh_close(f);
    return ok;
}
#else
#include <stdio.h>
static int write_all(const void *a, int32_t na, const void *b, int32_t nb)
{
    FILE *f = fopen("out.bin", "wb");
    int ok = f != NULL && fwrite(a, 1, (size_t)na, f) == (size_t)na && fwrite(b, 1, (size_t)nb, f) == (size_t)nb;
    if (f != NULL) {
        fclose(f);
    }
    return ok;
}
#endif

static kws_output_t kws_y[ROWS * STEPS * KWS_OUTPUT_SIZE];
static vad_output_t vad_y[ROWS * STEPS * VAD_OUTPUT_SIZE];

int main(void)
{
    static kws_state_t kws;
    static vad_state_t vad;
    int32_t r, t;
    for (r = 0; r < ROWS; r++) {
        kws_reset(&kws);
        vad_reset(&vad);
        for (t = 0; t < STEPS; t++) {   /* interleaved, as a firmware would call them */
            kws_step(&kws, kws_x + (r * STEPS + t) * KWS_INPUT_SIZE, kws_y + (r * STEPS + t) * KWS_OUTPUT_SIZE);
            vad_step(&vad, vad_x + (r * STEPS + t) * VAD_INPUT_SIZE, vad_y + (r * STEPS + t) * VAD_OUTPUT_SIZE);
        }
    }
    return write_all(kws_y, (int32_t)sizeof kws_y, vad_y, (int32_t)sizeof vad_y) ? 0 : 1;
}
"""

CTYPES = {np.int8: "int8_t", np.int16: "int16_t", np.float32: "float"}


def _c_array(name: str, x: np.ndarray) -> str:
    ctype = CTYPES[x.dtype.type]
    vals = ", ".join(f"{v:.9e}f" if ctype == "float" else str(int(v)) for v in x.ravel())
    return f"static const {ctype} {name}[{x.size}] = {{{vals}}};\n"


def _vad_model():
    """A GRU detector with a float head: int16x8 GRU, then a dense layer in float."""
    return model([recurrent("gru", 12, 10, seed=7, name="gru0"), dense(10, 2, seed=8, name="head1")], 12,
                 name="vad")


def _compile_pair(tmp_path: Path, target: str, kws_kernels: str, vad_kernels: str, vad_scheme: str):
    calib = np.load(EXAMPLE / "calib.npy")
    compile_model(str(EXAMPLE / "model.onnx"), str(tmp_path / "kws"), target=target, scheme="int8",
                  calib=calib, prefix="kws", kernels=kws_kernels)
    compile_ir(_vad_model(), str(tmp_path / "vad"), target=target, scheme=vad_scheme, calib=calib,
               layer_schemes={"head1": "float"}, prefix="vad", kernels=vad_kernels)
    return QModel.load(tmp_path / "kws"), QModel.load(tmp_path / "vad")


def _firmware_files(tmp_path: Path, target: dict, inputs: dict[str, np.ndarray]) -> tuple[dict, list]:
    """One tree: kws/ and vad/ model files, ONE kernels/ (identical files from both), main.c."""
    files: dict[str, bytes] = {}
    for name in ("kws", "vad"):
        qm = QModel.load(tmp_path / name)
        snap = build.snapshot(tmp_path / name, qm.files)
        for rel, data in snap.items():
            if rel.startswith("kernels/"):
                assert files.get(rel, data) == data, f"{rel} differs between the two models"
                files[rel] = data
            elif rel.startswith(name) and rel.endswith((".c", ".h")):
                files[f"{name}/{rel}"] = data
    files["inputs.h"] = ("".join(_c_array(k, v) for k, v in inputs.items())
                         + f"#define ROWS {next(iter(inputs.values())).shape[0]}\n#define STEPS {T}\n").encode()
    files["main.c"] = MAIN.encode()
    files.update({rel: text.encode() for rel, text in support_files(target).items()})
    c_files = sorted(r for r in files if r.endswith(".c") and not r.startswith("target/"))
    return files, c_files + sorted(r for r in files if r.startswith("target/") and r.endswith(".c"))


NEEDS_ARM = pytest.mark.skipif(bool(MISSING), reason=f"{' and '.join(MISSING)} NOT INSTALLED: "
                                                      "two-model Cortex-M test skipped")


@pytest.mark.parametrize("target,kws_kernels,vad_kernels,vad_scheme", [
    ("host", "auto", "portable", "int16x8"),
    pytest.param("cortex-m4", "dsp", "portable", "int16x8", marks=NEEDS_ARM),
    pytest.param("cortex-m55", "auto", "dsp", "int8", marks=NEEDS_ARM),   # rows and 16x4 layouts in one image
])
def test_two_models_link_into_one_program_and_both_verify(tmp_path, target, kws_kernels, vad_kernels, vad_scheme):
    kws, vad = _compile_pair(tmp_path, target, kws_kernels, vad_kernels, vad_scheme)
    rng = np.random.default_rng(0)
    x_f = np.load(EXAMPLE / "test_x.npy")[:3, :T]
    x_kws = check_input(kws, x_f)
    x_vad = check_input(vad, (x_f + rng.standard_normal(x_f.shape) * 0.1).astype(np.float32))
    tgt = load_target(target)
    runner = runner_for(tgt)
    files, c_files = _firmware_files(tmp_path, tgt, {"kws_x": x_kws, "vad_x": x_vad})
    flags = ["-DRNNC_SEMIHOSTING"] if runner.testbench_io == "semihosting" else list(SANITIZERS)
    program = runner.build_program(tmp_path, files, c_files, extra_flags=flags, name="firmware",
                                   include_dirs=[".", "kws", "vad", "target"])
    work = tmp_path / "run"
    work.mkdir()
    runner.run(program, work)
    raw = (work / "out.bin").read_bytes()
    want_kws = simulate_compiled(str(tmp_path / "kws"), x_kws)
    want_vad = simulate_compiled(str(tmp_path / "vad"), x_vad)
    got_kws = np.frombuffer(raw[:want_kws.nbytes], want_kws.dtype).reshape(want_kws.shape)
    got_vad = np.frombuffer(raw[want_kws.nbytes:], want_vad.dtype).reshape(want_vad.shape)
    np.testing.assert_array_equal(got_kws, want_kws)
    np.testing.assert_allclose(got_vad, want_vad, atol=1e-5, rtol=1e-4)
    # the two models' weights really are laid out differently on the Helium core
    if target == "cortex-m55":
        assert b"rnnc_fc_s8_s16_rows" in files["kws/kws_weights.h"]
        assert b"rnnc_fc_s8_s16_b16x4" in files["vad/vad_weights.h"]
