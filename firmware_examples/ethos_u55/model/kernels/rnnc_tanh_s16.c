/*
 * rnnc_tanh_s16.c - int16 tanh via the sigmoid table, tanh(x) = 2 sigmoid(2x) - 1: Helium or
 * NEON four lanes, AVX2 eight lanes at a time (rnnc_lut_mve.h, rnnc_lut_neon.h, rnnc_lut_x8.h),
 * portable C for the rest or everywhere else.
 */
#include "rnnc_dispatch_x86.h"
#include "rnnc_lut_mve.h"
#include "rnnc_lut_neon.h"
#include "rnnc_lut_x8.h"
#include "rnnc_requantize_x8.h"
#include "rnnc_requantize.h"
#include "rnnc_sigmoid_table.h"
#include "rnnc_tanh_s16.h"

void RNNC_ISA_FN(rnnc_tanh_s16)(const int16_t *in, int16_t *out, int32_t n, int32_t input_left_shift)
{
    int32_t k = 0;
#if RNNC_USE_MVE
    for (; k + 4 <= n; k += 4) {
        vstrhq_s32(out + k, rnnc_tanh_mve(vldrhq_s32(in + k), input_left_shift));
    }
#elif RNNC_USE_NEON
    for (; k + 4 <= n; k += 4) {
        rnnc_neon_store_s16(out + k, rnnc_tanh_neon(rnnc_neon_load_s16(in + k), input_left_shift));
    }
#elif RNNC_USE_AVX2
    for (; k + 8 <= n; k += 8) {
        rnnc_x8_store_s16(out + k, rnnc_tanh_x8(rnnc_x8_load_s16(in + k), input_left_shift));
    }
#endif
    for (; k < n; k++) {
        int32_t v;
        uint32_t a, uh;
        int32_t r;
        if (input_left_shift >= 0) {
            v = (int32_t)in[k] * (3 << input_left_shift);
        } else {
            /* floor((3x + round) / 2^s) */
            const int32_t s = -input_left_shift;
            v = (int32_t)rnnc_floor_shift((int32_t)in[k] * 3 + (1 << (s - 1)), s);
        }
        a = (uint32_t)(v < 0 ? -v : v);
        uh = a >> 8;
        if (uh >= 255u) {
            r = (int32_t)(0xFFFFu << 8);
        } else {
            const uint32_t ua = rnnc_sigmoid_table_u16[uh];
            const uint32_t ub = rnnc_sigmoid_table_u16[uh + 1];
            r = (int32_t)((ua << 8) + (a & 0xFFu) * (ub - ua));
        }
        {
            /* tanh(-x) = -tanh(x): select without a branch (the sign is data) */
            const int32_t neg = -(int32_t)(v < 0);
            r = ((r - (1 << 23) + (1 << 7)) & ~neg) | ((-r + (1 << 23) + (1 << 7) - 1) & neg);
        }
        out[k] = (int16_t)rnnc_floor_shift(r, 8);
    }
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_tanh_s16, (const int16_t *in, int16_t *out, int32_t n, int32_t input_left_shift), (in, out, n, input_left_shift))
#endif
