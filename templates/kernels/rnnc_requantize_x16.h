/*
 * rnnc_requantize_x16.h - rnnc_mbqm() on 16 int32 lanes with AVX-512 (header only; include it
 * only under the same #if as the AVX-512 code that uses it). Bit-identical to rnnc_mbqm().
 */
#ifndef RNNC_REQUANTIZE_X16_H
#define RNNC_REQUANTIZE_X16_H

#include "rnnc_common.h"

#if RNNC_USE_AVX512
#include <immintrin.h>
#include <stdint.h>

/* rnnc_mbqm() on 16 int32 lanes; arithmetic shifts are well defined for these intrinsics. */
static inline __m512i rnnc_mbqm_x16(__m512i x, int32_t multiplier, int32_t shift)
{
    const __m512i m = _mm512_set1_epi64(multiplier);
    const __m512i left = _mm512_set1_epi64(shift > 0 ? shift : 0);
    const int32_t right = shift > 0 ? 0 : -shift;
    const __m512i lo32 = _mm512_set1_epi64(INT32_MIN), hi32 = _mm512_set1_epi64(INT32_MAX);
    __m512i half[2], h, mask, rem, thr;
    int32_t k;
    for (k = 0; k < 2; k++) {
        /* even lanes (k = 0) and odd lanes (k = 1) in the low half of each 64-bit lane, where
           VPMULDQ reads them as signed; a left shift needs them sign-extended and saturated */
        __m512i v = k == 0 ? x : _mm512_srli_epi64(x, 32);
        if (shift > 0) {
            v = k == 0 ? _mm512_srai_epi64(_mm512_slli_epi64(x, 32), 32) : _mm512_srai_epi64(x, 32);
            v = _mm512_min_epi64(_mm512_max_epi64(_mm512_sllv_epi64(v, left), lo32), hi32);
        }
        /* SRDHM: trunc((ab + nudge) / 2^31) equals floor((ab + 2^30) / 2^31) for either sign */
        half[k] = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(v, m), _mm512_set1_epi64((int64_t)1 << 30)), 31);
    }
    h = _mm512_mask_blend_epi32(0xAAAA, half[0], _mm512_slli_epi64(half[1], 32));
    if (right == 0) {
        return h;
    }
    mask = _mm512_set1_epi32((int32_t)(((int64_t)1 << right) - 1));
    rem = _mm512_and_si512(h, mask);
    thr = _mm512_add_epi32(_mm512_srai_epi32(mask, 1), _mm512_srli_epi32(h, 31));
    h = _mm512_srav_epi32(h, _mm512_set1_epi32(right));
    return _mm512_mask_add_epi32(h, _mm512_cmpgt_epi32_mask(rem, thr), h, _mm512_set1_epi32(1));
}

/* rnnc_mbqm() on 16 lanes, each with its own multiplier and shift (the rows' own scales) */
static inline __m512i rnnc_mbqm_rows_x16(__m512i x, __m512i multiplier, __m512i shift)
{
    const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF);
    const __m512i left = _mm512_max_epi32(shift, _mm512_setzero_si512());
    const __m512i right = _mm512_max_epi32(_mm512_sub_epi32(_mm512_setzero_si512(), shift), _mm512_setzero_si512());
    const __m512i lo32 = _mm512_set1_epi64(INT32_MIN), hi32 = _mm512_set1_epi64(INT32_MAX);
    __m512i half[2], h, mask, rem, thr;
    int32_t k;
    for (k = 0; k < 2; k++) {
        /* even lanes (k = 0) and odd lanes (k = 1): the value sign-extended to 64 bits, its left
           shift and multiplier in the low half of each 64-bit lane */
        __m512i v = k == 0 ? _mm512_srai_epi64(_mm512_slli_epi64(x, 32), 32) : _mm512_srai_epi64(x, 32);
        const __m512i l = k == 0 ? _mm512_and_si512(left, low32) : _mm512_srli_epi64(left, 32);
        const __m512i m = k == 0 ? multiplier : _mm512_srli_epi64(multiplier, 32);
        v = _mm512_min_epi64(_mm512_max_epi64(_mm512_sllv_epi64(v, l), lo32), hi32);
        /* SRDHM as in rnnc_mbqm_x16 */
        half[k] = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(v, m), _mm512_set1_epi64((int64_t)1 << 30)), 31);
    }
    h = _mm512_mask_blend_epi32(0xAAAA, half[0], _mm512_slli_epi64(half[1], 32));
    /* rounding right shift, half away from zero, per lane */
    mask = _mm512_sub_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), right), _mm512_set1_epi32(1));
    rem = _mm512_and_si512(h, mask);
    thr = _mm512_add_epi32(_mm512_srai_epi32(mask, 1), _mm512_srli_epi32(h, 31));
    h = _mm512_srav_epi32(h, right);
    return _mm512_mask_add_epi32(h, _mm512_cmpgt_epi32_mask(rem, thr), h, _mm512_set1_epi32(1));
}

/* lanes clamped into [lo, hi] */
static inline __m512i rnnc_clamp_x16(__m512i v, int32_t lo, int32_t hi)
{
    return _mm512_min_epi32(_mm512_max_epi32(v, _mm512_set1_epi32(lo)), _mm512_set1_epi32(hi));
}

/* 16 int32 lanes stored as int8 / int16 (the values are already clamped to that range) */
static inline void rnnc_x16_store_s8(int8_t *p, __m512i v)
{
    _mm_storeu_si128((__m128i *)p, _mm512_cvtepi32_epi8(v));
}

static inline void rnnc_x16_store_s16(int16_t *p, __m512i v)
{
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtepi32_epi16(v));
}

#endif

#endif /* RNNC_REQUANTIZE_X16_H */
