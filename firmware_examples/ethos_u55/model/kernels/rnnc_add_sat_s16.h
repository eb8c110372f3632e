/*
 * rnnc_add_sat_s16.h - int16 saturating addition of two vectors, the sum of a gate's input and
 * recurrent terms in the integer LSTM/GRU/RNN steps (header only): Helium VQADD, DSP QADD16,
 * NEON SQADD, x86 VPADDSW, portable C for the rest.
 */
#ifndef RNNC_ADD_SAT_S16_H
#define RNNC_ADD_SAT_S16_H

#include <stdint.h>

#include "rnnc_common.h"
#include "rnnc_requantize.h"

#if RNNC_USE_MVE
#include <arm_mve.h>
#elif RNNC_USE_NEON
#include <arm_neon.h>
#elif RNNC_USE_AVX2
#include <immintrin.h>
#elif RNNC_USE_DSP
#include <arm_acle.h>
#include <string.h>
#endif

/* gates[k] += rec[k] for k < n, saturating to int16 */
static inline void rnnc_add_sat_s16(int16_t *gates, const int16_t *rec, int32_t n)
{
    int32_t k = 0;
#if RNNC_USE_MVE
    /* VQADD.S16: eight saturating additions per instruction */
    for (; k + 8 <= n; k += 8) {
        vst1q_s16(gates + k, vqaddq_s16(vld1q_s16(gates + k), vld1q_s16(rec + k)));
    }
#elif RNNC_USE_NEON
    /* SQADD: eight saturating additions per instruction */
    for (; k + 8 <= n; k += 8) {
        vst1q_s16(gates + k, vqaddq_s16(vld1q_s16(gates + k), vld1q_s16(rec + k)));
    }
#elif RNNC_USE_AVX512 || RNNC_USE_AVX2
    /* VPADDSW: sixteen saturating additions per instruction */
    for (; k + 16 <= n; k += 16) {
        _mm256_storeu_si256((__m256i *)(gates + k), _mm256_adds_epi16(_mm256_loadu_si256((const __m256i *)(gates + k)),
                                                                      _mm256_loadu_si256((const __m256i *)(rec + k))));
    }
#elif RNNC_USE_DSP
    /* QADD16: two saturating int16 additions in one instruction */
    for (; k + 2 <= n; k += 2) {
        int32_t a, b;
        memcpy(&a, gates + k, 4);
        memcpy(&b, rec + k, 4);
        a = __qadd16(a, b);
        memcpy(gates + k, &a, 4);
    }
#endif
    for (; k < n; k++) {
        gates[k] = (int16_t)rnnc_sat((int32_t)gates[k] + rec[k], INT16_MIN, INT16_MAX);
    }
}

#endif /* RNNC_ADD_SAT_S16_H */
