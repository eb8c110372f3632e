/*
 * rnnc_requantize_x8.h - rnnc_mbqm() (rnnc_requantize.h) on 8 int32 lanes with AVX2 (header
 * only; empty unless the AVX2 kernels are built). Bit-identical to the scalar helper: AVX2 has
 * no 64-bit arithmetic shift, but the doubling high multiply only needs bits 31..62 of each
 * 64-bit product, which a logical shift gives as well.
 */
#ifndef RNNC_REQUANTIZE_X8_H
#define RNNC_REQUANTIZE_X8_H

#include "rnnc_common.h"

#if RNNC_USE_AVX2
#include <immintrin.h>
#include <stdint.h>

/* x * 2^left saturated to int32 in every lane (0 <= left <= 30), as rnnc_sat_shift_left */
static inline __m256i rnnc_sat_shift_left_x8(__m256i x, int32_t left)
{
    const __m256i hi = _mm256_set1_epi32(INT32_MAX >> left);
    const __m256i lo = _mm256_set1_epi32(INT32_MIN >> left);
    const __m256i over = _mm256_cmpgt_epi32(x, hi), under = _mm256_cmpgt_epi32(lo, x);
    __m256i v = _mm256_sll_epi32(_mm256_min_epi32(_mm256_max_epi32(x, lo), hi), _mm_cvtsi32_si128(left));
    v = _mm256_blendv_epi8(v, _mm256_set1_epi32(INT32_MAX), over);
    return _mm256_blendv_epi8(v, _mm256_set1_epi32(INT32_MIN), under);
}

/* floor((x * m + 2^30) / 2^31) of the even lanes (low halves of the 64-bit lanes) */
static inline __m256i rnnc_srdhm_even_x8(__m256i x, __m256i m)
{
    const __m256i p = _mm256_add_epi64(_mm256_mul_epi32(x, m), _mm256_set1_epi64x((int64_t)1 << 30));
    return _mm256_srli_epi64(p, 31); /* bits 31..62: the int32 result in the low half */
}

/* rnnc_mbqm() on 8 lanes */
static inline __m256i rnnc_mbqm_x8(__m256i x, int32_t multiplier, int32_t shift)
{
    const __m256i m = _mm256_set1_epi64x(multiplier);
    const int32_t right = shift > 0 ? 0 : -shift;
    __m256i xs, even, odd, h, mask, rem, thr;
    xs = shift > 0 ? rnnc_sat_shift_left_x8(x, shift) : x;
    even = rnnc_srdhm_even_x8(xs, m);
    odd = rnnc_srdhm_even_x8(_mm256_srli_epi64(xs, 32), m);
    h = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    if (right == 0) {
        return h;
    }
    /* rounding divide by 2^right, halves away from zero */
    mask = _mm256_set1_epi32((int32_t)(((int64_t)1 << right) - 1));
    rem = _mm256_and_si256(h, mask);
    thr = _mm256_add_epi32(_mm256_srai_epi32(mask, 1), _mm256_srli_epi32(h, 31));
    h = _mm256_sra_epi32(h, _mm_cvtsi32_si128(right));
    return _mm256_sub_epi32(h, _mm256_cmpgt_epi32(rem, thr)); /* a true compare is -1 */
}

/* lanes clamped into [lo, hi] */
static inline __m256i rnnc_clamp_x8(__m256i v, int32_t lo, int32_t hi)
{
    return _mm256_min_epi32(_mm256_max_epi32(v, _mm256_set1_epi32(lo)), _mm256_set1_epi32(hi));
}

/* 8 int32 lanes (already within range) stored as int8 / int16 */
static inline void rnnc_x8_store_s8(int8_t *p, __m256i v)
{
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i *)p, _mm_packs_epi16(w, w));
}

static inline void rnnc_x8_store_s16(int16_t *p, __m256i v)
{
    _mm_storeu_si128((__m128i *)p, _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1)));
}

/* 8 int16 / int8 values widened to int32 lanes */
static inline __m256i rnnc_x8_load_s16(const int16_t *p)
{
    return _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)p));
}

static inline __m256i rnnc_x8_load_s8(const int8_t *p)
{
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p));
}
#endif

#endif /* RNNC_REQUANTIZE_X8_H */
