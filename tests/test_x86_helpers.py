"""The x86 vector helpers against their scalar originals, lane for lane:
- requantization: rnnc_mbqm_x16 and the prepared form rnnc_rq_x16 (AVX-512), rnnc_mbqm_x8
  (AVX2) vs rnnc_mbqm for every shift TFLite allows, multipliers across [0, 2^31) (normalized
  ones, exact powers of two, the largest) and int32 values of every size, the extremes included;
- the LUT activations: rnnc_sigmoid_x16 / rnnc_tanh_x16 and their AVX2 forms vs the scalar
  kernels for every int16 input, tanh with every input shift from -8 to 8.
The model tests check these helpers only at the scales and values their models reach; this
checks all of them. Each level runs natively where the CPU has it; AVX2 also under user-mode
QEMU (qemu-x86_64 -cpu max), which does not execute AVX-512: a level this machine cannot run
skips, naming it."""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

import pytest

from codegen.api import compile_model
from codegen.toolchain.host import find_cc
from codegen.toolchain.kernel_path import cpu_flags, x86_levels
from codegen.toolchain.runners import SANITIZERS, sanitize_default

FIX = Path(__file__).parent / "fixtures" / "tflite"

pytestmark = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                                reason="NOT AN x86-64 MACHINE: the x86 vector helpers are NOT tested here")

#: level -> (compiler flags, lanes, the helpers' suffix)
LEVELS = {
    "avx512-vnni": (["-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vnni"], 16),
    "avx2": (["-mavx2", "-mfma"], 8),
}

CHECK = r"""
#include <stdint.h>
#include <stdio.h>
#include "k/rnnc_requantize.h"
#include "k/rnnc_requantize_x8.h"
#include "k/rnnc_requantize_x16.h"
#include "k/rnnc_lut_x8.h"
#include "k/rnnc_lut_x16.h"
#include "k/rnnc_sigmoid_s16.c"
#include "k/rnnc_sigmoid_table.c"
#include "k/rnnc_tanh_s16.c"

#if LANES == 16
typedef __m512i vec_t;
#define LOAD(p) _mm512_loadu_si512((const void *)(p))
#define STORE(p, v) _mm512_storeu_si512((void *)(p), v)
#define MBQM(v, m, s) rnnc_mbqm_x16(v, m, s)
#define SIGMOID(v) rnnc_sigmoid_x16(v)
#define TANH(v, s) rnnc_tanh_x16(v, s)
#else
typedef __m256i vec_t;
#define LOAD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define STORE(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), v)
#define MBQM(v, m, s) rnnc_mbqm_x8(v, m, s)
#define SIGMOID(v) rnnc_sigmoid_x8(v)
#define TANH(v, s) rnnc_tanh_x8(v, s)
#endif

static uint32_t state = 2463534242u;
static uint32_t next(void)
{
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

static int32_t multiplier_for(uint32_t r)
{
    switch (r & 7u) {
    case 0: return 0x40000000;                        /* an exact power of two */
    case 1: return 0x7FFFFFFF;
    case 2: return (int32_t)(next() & 0x7FFFFFFFu);   /* not normalized, zero included */
    default: return (int32_t)(0x40000000u + (next() & 0x3FFFFFFFu));
    }
}

int main(void)
{
    static const int32_t extremes[] = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX, 1 << 30};
    int32_t shift, n, lane;
    long mismatches = 0;
    for (shift = -31; shift <= 30; shift++) {
        for (n = 0; n < 4096; n++) {
            const int32_t multiplier = multiplier_for(next());
            int32_t v[LANES], out[LANES], prepared[LANES];
            for (lane = 0; lane < LANES; lane++) {
                const uint32_t r = next();
                /* the extremes, accumulator-sized values, small values and full-range values */
                v[lane] = (r & 3u) == 0 ? extremes[(r >> 2) & 7u]
                        : (r & 3u) == 1 ? (int32_t)(r >> 8) - (1 << 23)
                        : (r & 3u) == 2 ? (int32_t)(r >> 20) - 2048 : (int32_t)next();
            }
            STORE(out, MBQM(LOAD(v), multiplier, shift));
#if LANES == 16
            {
                const rnnc_rq_x16_t q = rnnc_rq_x16_prepare(multiplier, shift);
                STORE(prepared, rnnc_rq_x16(&q, LOAD(v)));
            }
#endif
            for (lane = 0; lane < LANES; lane++) {
                const int32_t want = rnnc_mbqm(v[lane], multiplier, shift);
#if LANES != 16
                prepared[lane] = want;
#endif
                if (out[lane] != want || prepared[lane] != want) {
                    if (mismatches++ < 5) {
                        printf("mbqm(%ld, %ld, %d) = %ld, vector %ld, prepared %ld\n", (long)v[lane],
                               (long)multiplier, (int)shift, (long)want, (long)out[lane], (long)prepared[lane]);
                    }
                }
            }
        }
    }
    /* the array kernels run their scalar loop when given a single value */
    for (n = INT16_MIN; n <= INT16_MAX; n += LANES) {
        int16_t x[LANES], ref[LANES];
        int32_t wide[LANES], out[LANES], ils;
        for (lane = 0; lane < LANES; lane++) {
            x[lane] = (int16_t)(n + lane);
            wide[lane] = x[lane];
            rnnc_sigmoid_s16(x + lane, ref + lane, 1);
        }
        STORE(out, SIGMOID(LOAD(wide)));
        for (lane = 0; lane < LANES; lane++) {
            if (out[lane] != ref[lane] && mismatches++ < 5) {
                printf("sigmoid(%d) = %d, vector %ld\n", x[lane], ref[lane], (long)out[lane]);
            }
        }
        for (ils = -8; ils <= 8; ils++) {
            for (lane = 0; lane < LANES; lane++) {
                rnnc_tanh_s16(x + lane, ref + lane, 1, ils);
            }
            STORE(out, TANH(LOAD(wide), ils));
            for (lane = 0; lane < LANES; lane++) {
                if (out[lane] != ref[lane] && mismatches++ < 5) {
                    printf("tanh(%d, shift %d) = %d, vector %ld\n", x[lane], (int)ils, ref[lane], (long)out[lane]);
                }
            }
        }
    }
    printf("%ld mismatches\n", mismatches);
    return mismatches == 0 ? 0 : 1;
}
"""


def _how(level: str) -> list[str] | None:
    if level in x86_levels(cpu_flags() or set()):
        return []
    if level == "avx2" and shutil.which("qemu-x86_64"):
        return ["qemu-x86_64", "-cpu", "max"]
    return None


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_vector_helpers_equal_scalar(tmp_path, level):
    how = _how(level)
    if how is None:
        pytest.skip(f"THIS CPU CANNOT RUN THE x86 {level.upper()} PATH and user-mode QEMU does not emulate it "
                    f"(or qemu-user is not installed): its vector helpers are NOT tested here")
    flags, lanes = LEVELS[level]
    gen = tmp_path / "gen"
    compile_model(str(FIX / "lstm_t8_f4_h16.tflite"), str(gen))
    (tmp_path / "k").symlink_to(gen / "kernels")
    (tmp_path / "check.c").write_text(CHECK)
    exe = tmp_path / "check"
    sanitizers = SANITIZERS if not how and sanitize_default(None) else []   # AddressSanitizer does not run under QEMU
    subprocess.run([find_cc(), "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", *flags, *sanitizers,
                    "-DRNNC_X86_DISPATCH=0", f"-DLANES={lanes}", "-I", str(tmp_path), str(tmp_path / "check.c"),
                    "-o", str(exe)], check=True)
    run = subprocess.run([*how, str(exe)], capture_output=True, text=True, timeout=600,
                         env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0"})
    assert run.returncode == 0 and "runtime error" not in run.stderr, \
        f"an x86 {level} helper differs from its scalar original:\n{run.stdout}{run.stderr}"
