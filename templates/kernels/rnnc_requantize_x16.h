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

/* rnnc_mbqm() by one multiplier and shift, its constants prepared once (rnnc_rq_x16_prepare) and
 * applied to 16 lanes at a time (rnnc_rq_x16): a step that rescales every block of units by the
 * same few scales prepares them before its loop.
 *
 * A right shift r = -shift > 0 makes rnnc_mbqm two roundings: high = floor((x m + 2^30) / 2^31),
 * then high / 2^r half away from zero, which is floor((high + 2^(r-1) - [high < 0]) / 2^r).
 * Since floor((floor(z) + c) / 2^r) = floor((z + c) / 2^r) for an integer c, and high < 0
 * exactly where x m < -2^30, both are one rounding of the 64-bit product:
 *     (x m + 2^30 + 2^(30+r) - 2^31 [x m < -2^30]) >> (31 + r)
 * which cannot overflow (|x m| < 2^62). With no shift it is (x m + 2^30) >> 31. A left shift
 * s > 0 first saturates x * 2^s to int32 as rnnc_sat_shift_left does: x clamped to
 * [INT32_MIN >> s, INT32_MAX >> s], shifted, and its low s bits set where x was above (that is
 * INT32_MAX); then (xs m + 2^30) >> 31. Every result fits int32, so the even and odd 64-bit
 * products' low words make the 16 lanes. */
typedef struct {
    __m512i multiplier; /* m in every 64-bit lane */
    __m512i nudge;      /* 2^30 + 2^(30+r), or 2^30 */
    __m512i adjust;     /* 2^31 where r > 0, else 0: taken off where x m < -2^30 */
    __m128i total;      /* the final shift: 31 + r, or 31 */
    int32_t left;       /* s, or 0 */
} rnnc_rq_x16_t;

static inline rnnc_rq_x16_t rnnc_rq_x16_prepare(int32_t multiplier, int32_t shift)
{
    rnnc_rq_x16_t q;
    const int32_t right = shift > 0 ? 0 : -shift;
    q.multiplier = _mm512_set1_epi64(multiplier);
    q.nudge = _mm512_set1_epi64(((int64_t)1 << 30) + (right > 0 ? (int64_t)1 << (30 + right) : 0));
    q.adjust = _mm512_set1_epi64(right > 0 ? (int64_t)1 << 31 : 0);
    q.total = _mm_cvtsi32_si128(31 + right);
    q.left = shift > 0 ? shift : 0;
    return q;
}

/* the rounding of eight 64-bit products x m (see above) */
RNNC_VECTOR_INLINE __m512i rnnc_rq_round_x8(const rnnc_rq_x16_t *q, __m512i product)
{
    const __mmask8 negative_high = _mm512_cmplt_epi64_mask(product, _mm512_set1_epi64(-((int64_t)1 << 30)));
    const __m512i v = _mm512_add_epi64(product, q->nudge);
    return _mm512_sra_epi64(_mm512_mask_sub_epi64(v, negative_high, v, q->adjust), q->total);
}

/* rnnc_mbqm() of 16 lanes by a prepared multiplier and shift (see above) */
RNNC_VECTOR_INLINE __m512i rnnc_rq_x16(const rnnc_rq_x16_t *q, __m512i x)
{
    __m512i even, odd;
    if (q->left > 0) {
        const __m512i hi = _mm512_set1_epi32(INT32_MAX >> q->left);
        const __mmask16 above = _mm512_cmpgt_epi32_mask(x, hi);
        x = _mm512_min_epi32(_mm512_max_epi32(x, _mm512_set1_epi32(INT32_MIN >> q->left)), hi);
        x = _mm512_sll_epi32(x, _mm_cvtsi32_si128(q->left));
        x = _mm512_mask_or_epi32(x, above, x, _mm512_set1_epi32((int32_t)((1u << q->left) - 1u)));
    }
    /* VPMULDQ reads the low (even) 32-bit lane of each 64-bit lane as signed */
    even = rnnc_rq_round_x8(q, _mm512_mul_epi32(x, q->multiplier));
    odd = rnnc_rq_round_x8(q, _mm512_mul_epi32(_mm512_srli_epi64(x, 32), q->multiplier));
    /* odd lanes from the low words of the odd results */
    return _mm512_mask_shuffle_epi32(even, 0xAAAA, odd, _MM_PERM_CCAA);
}

/* rnnc_mbqm() on 16 int32 lanes */
static inline __m512i rnnc_mbqm_x16(__m512i x, int32_t multiplier, int32_t shift)
{
    const rnnc_rq_x16_t q = rnnc_rq_x16_prepare(multiplier, shift);
    return rnnc_rq_x16(&q, x);
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
