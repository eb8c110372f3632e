/*
 * rnnc_sigmoid_s16.c - int16 logistic of the LSTM/GRU gates: Helium or NEON four lanes,
 * AVX2 eight lanes at a time (rnnc_lut_mve.h, rnnc_lut_neon.h, rnnc_lut_x8.h), portable C for the
 * rest or everywhere else.
 */
#include "rnnc_dispatch_x86.h"
#include "rnnc_lut_mve.h"
#include "rnnc_lut_neon.h"
#include "rnnc_lut_x8.h"
#include "rnnc_requantize_x8.h"
#include "rnnc_sigmoid_s16.h"
#include "rnnc_sigmoid_table.h"

void RNNC_ISA_FN(rnnc_sigmoid_s16)(const int16_t *in, int16_t *out, int32_t n)
{
    int32_t k = 0;
#if RNNC_USE_MVE
    for (; k + 4 <= n; k += 4) {
        vstrhq_s32(out + k, rnnc_sigmoid_mve(vldrhq_s32(in + k)));
    }
#elif RNNC_USE_NEON
    for (; k + 4 <= n; k += 4) {
        rnnc_neon_store_s16(out + k, rnnc_sigmoid_neon(rnnc_neon_load_s16(in + k)));
    }
#elif RNNC_USE_AVX2
    for (; k + 8 <= n; k += 8) {
        rnnc_x8_store_s16(out + k, rnnc_sigmoid_x8(rnnc_x8_load_s16(in + k)));
    }
#endif
    for (; k < n; k++) {
        const int32_t v = (int32_t)in[k] * 3; /* Q3.12 -> table index units (1/24) << 9 */
        const uint32_t a = (uint32_t)(v < 0 ? -v : v);
        const uint32_t uh = a >> 9;
        uint32_t r;
        if (uh >= 255u) {
            r = 0x7FFFu << 10;
        } else {
            const uint32_t ua = rnnc_sigmoid_table_u16[uh];
            const uint32_t ub = rnnc_sigmoid_table_u16[uh + 1];
            r = (ua << 9) + (a & 0x1FFu) * (ub - ua);
        }
        {
            /* sigmoid(-x) = 1 - sigmoid(x): select without a branch (the sign is data) */
            const uint32_t neg = 0u - (uint32_t)(v < 0);
            r = ((r + (1u << 9)) & ~neg) | (((1u << 25) - r + (1u << 9) - 1u) & neg);
        }
        out[k] = (int16_t)(r >> 10);
    }
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_sigmoid_s16, (const int16_t *in, int16_t *out, int32_t n), (in, out, n))
#endif
