"""The Helium helpers against their scalar originals on the emulated Cortex-M55, lane for lane
on the core itself:
- requantization (rnnc_mbqm_mve, rnnc_requantize_mve.h) vs rnnc_mbqm: every shift TFLite
  allows, multipliers across [2^30, 2^31), a million pseudo-random int32 values plus the int32
  extremes;
- the LUT activations (rnnc_sigmoid_mve, rnnc_tanh_mve, rnnc_lut_mve.h) vs the scalar kernels:
  every int16 input, tanh with every input shift from -8 to 8."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codegen.api import compile_model
from codegen.errors import RnncError
from codegen.toolchain.runners import runner_for
from codegen.toolchain.targets import load_target, support_files

MISSING = [t for t in ("arm-none-eabi-gcc", "qemu-system-arm") if shutil.which(t) is None]
pytestmark = pytest.mark.skipif(bool(MISSING), reason=f"{' and '.join(MISSING)} NOT INSTALLED: Helium test skipped")

FIX = Path(__file__).parent / "fixtures" / "tflite"

CHECK = r"""
#include <stdint.h>
#include "k/rnnc_fc_s8_s16_rows.c"
#include "k/rnnc_sigmoid_s16.c"
#include "k/rnnc_sigmoid_table.c"
#include "k/rnnc_tanh_s16.c"

static uint32_t state = 2463534242u;
static uint32_t next(void)
{
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

int main(void)
{
    static const int32_t extremes[] = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX, 1 << 30};
    int32_t shift, n, lane, mismatches = 0;
    for (shift = -31; shift <= 30; shift++) {
        for (n = 0; n < 4096; n++) {
            const int32_t multiplier = (int32_t)(0x40000000u + (next() & 0x3FFFFFFFu));
            int32_t v[4];
            int32x4_t got;
            for (lane = 0; lane < 4; lane++) {
                const uint32_t r = next();
                /* mix full-range values, small values and the extremes */
                v[lane] = (r & 3u) == 0 ? extremes[(r >> 2) & 7u] : (r & 3u) == 1 ? (int32_t)(r >> 8) - (1 << 23) : (int32_t)next();
            }
            got = rnnc_mbqm_mve(vldrwq_s32(v), multiplier, shift);
            {
                int32_t out[4];
                vstrwq_s32(out, got);
                for (lane = 0; lane < 4; lane++) {
                    mismatches += out[lane] != rnnc_mbqm(v[lane], multiplier, shift);
                }
            }
        }
    }
    /* The array kernels run their scalar loop when given fewer than four values: that is the
       reference the four-lane helpers must equal. */
    for (n = INT16_MIN; n <= INT16_MAX; n += 4) {
        int16_t x[4], ref[4], out[4];
        int32_t ils;
        for (lane = 0; lane < 4; lane++) {
            x[lane] = (int16_t)(n + lane);
            rnnc_sigmoid_s16(x + lane, ref + lane, 1);
        }
        vstrhq_s32(out, rnnc_sigmoid_mve(vldrhq_s32(x)));
        for (lane = 0; lane < 4; lane++) {
            mismatches += out[lane] != ref[lane];
        }
        for (ils = -8; ils <= 8; ils++) {
            for (lane = 0; lane < 4; lane++) {
                rnnc_tanh_s16(x + lane, ref + lane, 1, ils);
            }
            vstrhq_s32(out, rnnc_tanh_mve(vldrhq_s32(x), ils));
            for (lane = 0; lane < 4; lane++) {
                mismatches += out[lane] != ref[lane];
            }
        }
    }
    return mismatches == 0 ? 0 : 1;
}
"""


def test_helium_helpers_equal_scalar_on_m55(tmp_path):
    gen = tmp_path / "gen"
    compile_model(str(FIX / "lstm_t8_f4_h16.tflite"), str(gen), target="cortex-m55")
    tgt = load_target("cortex-m55")
    files = {f"k/{p.name}": p.read_bytes() for p in (gen / "kernels").iterdir()}
    files.update({rel: text.encode() for rel, text in support_files(tgt).items()})
    files["check.c"] = CHECK.encode()
    runner = runner_for(tgt)
    elf = runner.build_program(tmp_path, files, ["check.c", "target/rnnc_startup.c", "target/rnnc_semihost.c"],
                               name="check.elf", include_dirs=[".", "target"])
    try:
        runner.run(elf, tmp_path)
    except RnncError as e:
        pytest.fail(f"a Helium helper differs from its scalar original: {e}")
