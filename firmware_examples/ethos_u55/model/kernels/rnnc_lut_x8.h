/*
 * rnnc_lut_x8.h - the int16 LUT sigmoid and tanh (rnnc_sigmoid_s16, rnnc_tanh_s16) on 8 lanes
 * with AVX2 (header only; empty unless the AVX2 kernels are built). One 32-bit load at byte
 * offset 2u fetches both interpolation points T[u] (low half) and T[u+1] (high half); the
 * eight loads are scalar rather than one VPGATHERDD, which is no slower on current cores and
 * which user-mode QEMU 7.2 (the tests' AVX2 emulator) gets wrong. Bit-identical to the
 * scalar C.
 */
#ifndef RNNC_LUT_X8_H
#define RNNC_LUT_X8_H

#include "rnnc_common.h"

#if RNNC_USE_AVX2
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "rnnc_sigmoid_table.h"

/* the table pairs (T[u] | T[u + 1] << 16) of eight indices */
static inline __m256i rnnc_lut_pairs_x8(__m256i idx)
{
    const unsigned char *t = (const unsigned char *)rnnc_sigmoid_table_u16;
    int32_t i[8];
    uint32_t p[8];
    int k;
    _mm256_storeu_si256((__m256i *)(void *)i, idx);
    for (k = 0; k < 8; k++) {
        memcpy(&p[k], t + 2 * i[k], 4);
    }
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

/* a = |v|, frac_bits 9 (sigmoid) or 8 (tanh): table interpolation, `saturated` where u >= 255 */
static inline __m256i rnnc_lut_interp_x8(__m256i a, int frac_bits, int32_t saturated)
{
    const __m256i u = _mm256_srl_epi32(a, _mm_cvtsi32_si128(frac_bits));
    const __m256i sat = _mm256_cmpgt_epi32(u, _mm256_set1_epi32(254));
    const __m256i idx = _mm256_min_epi32(u, _mm256_set1_epi32(254));
    const __m256i pair = rnnc_lut_pairs_x8(idx);
    const __m256i ua = _mm256_and_si256(pair, _mm256_set1_epi32(0xFFFF));
    const __m256i ub = _mm256_srli_epi32(pair, 16);
    const __m256i frac = _mm256_and_si256(a, _mm256_set1_epi32((1 << frac_bits) - 1));
    const __m256i base = _mm256_sll_epi32(ua, _mm_cvtsi32_si128(frac_bits));
    const __m256i r = _mm256_add_epi32(base, _mm256_mullo_epi32(frac, _mm256_sub_epi32(ub, ua)));
    return _mm256_blendv_epi8(r, _mm256_set1_epi32(saturated), sat);
}

/* sigmoid of Q3.12 lanes (int16 values in int32 lanes) -> Q0.15 */
static inline __m256i rnnc_sigmoid_x8(__m256i x)
{
    const __m256i v = _mm256_mullo_epi32(x, _mm256_set1_epi32(3));
    const __m256i neg = _mm256_cmpgt_epi32(_mm256_setzero_si256(), v);
    const __m256i r = rnnc_lut_interp_x8(_mm256_abs_epi32(v), 9, 0x7FFF << 10);
    const __m256i pos = _mm256_add_epi32(r, _mm256_set1_epi32(1 << 9));
    const __m256i negv = _mm256_sub_epi32(_mm256_set1_epi32((1 << 25) + (1 << 9) - 1), r);
    return _mm256_srli_epi32(_mm256_blendv_epi8(pos, negv, neg), 10);
}

/* tanh with TFLM's input shift L (see rnnc_tanh_s16.h) -> Q0.15 */
static inline __m256i rnnc_tanh_x8(__m256i x, int32_t input_left_shift)
{
    __m256i v, r, neg, pos, negv;
    if (input_left_shift >= 0) {
        v = _mm256_mullo_epi32(x, _mm256_set1_epi32(3 << input_left_shift));
    } else {
        const int32_t s = -input_left_shift;
        v = _mm256_sra_epi32(_mm256_add_epi32(_mm256_mullo_epi32(x, _mm256_set1_epi32(3)),
                                              _mm256_set1_epi32(1 << (s - 1))), _mm_cvtsi32_si128(s));
    }
    neg = _mm256_cmpgt_epi32(_mm256_setzero_si256(), v);
    r = rnnc_lut_interp_x8(_mm256_abs_epi32(v), 8, (int32_t)(0xFFFFu << 8));
    pos = _mm256_sub_epi32(r, _mm256_set1_epi32((1 << 23) - (1 << 7)));
    negv = _mm256_sub_epi32(_mm256_set1_epi32((1 << 23) + (1 << 7) - 1), r);
    return _mm256_srai_epi32(_mm256_blendv_epi8(pos, negv, neg), 8);
}
#endif

#endif /* RNNC_LUT_X8_H */
