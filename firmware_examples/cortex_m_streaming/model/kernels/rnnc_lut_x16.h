/*
 * rnnc_lut_x16.h - the int16 LUT sigmoid and tanh (rnnc_sigmoid_s16, rnnc_tanh_s16) on 16
 * lanes with AVX-512 (header only). Both interpolation points T[u] and T[u+1] of a lane come
 * from one lookup of word pairs (rnnc_lut_pairs_x16). Bit-identical to the scalar C.
 */
#ifndef RNNC_LUT_X16_H
#define RNNC_LUT_X16_H

#include "rnnc_common.h"

#if RNNC_USE_AVX512
#include <immintrin.h>
#include <stdint.h>

#include "rnnc_sigmoid_table.h"

/* T[u] (low word) and T[u + 1] (high word) of each lane, u in [0, 254]. The 256-entry table is
 * eight vectors of 32 words; VPERMT2W looks a word index up in two of them (64 entries), so each
 * lane's pair of indices goes through the four quarters at once and bits 6 and 7 of each index
 * pick its quarter. This replaced a 32-bit gather at byte offset 2u (the same pairs), which is
 * microcoded on AMD Zen 4 and slowed by the gather-data-sampling mitigation on Intel cores: an
 * int8 LSTM step at H = 256 measured about 6% faster on Zen 4. */
RNNC_VECTOR_INLINE __m512i rnnc_lut_pairs_x16(__m512i u)
{
    const __m512i *t = (const __m512i *)(const void *)rnnc_sigmoid_table_u16;
    const __m512i words = _mm512_add_epi32(_mm512_add_epi32(u, _mm512_slli_epi32(u, 16)), _mm512_set1_epi32(0x10000));
    const __m512i q0 = _mm512_permutex2var_epi16(_mm512_loadu_si512(t), words, _mm512_loadu_si512(t + 1));
    const __m512i q1 = _mm512_permutex2var_epi16(_mm512_loadu_si512(t + 2), words, _mm512_loadu_si512(t + 3));
    const __m512i q2 = _mm512_permutex2var_epi16(_mm512_loadu_si512(t + 4), words, _mm512_loadu_si512(t + 5));
    const __m512i q3 = _mm512_permutex2var_epi16(_mm512_loadu_si512(t + 6), words, _mm512_loadu_si512(t + 7));
    const __mmask32 bit6 = _mm512_test_epi16_mask(words, _mm512_set1_epi16(64));
    const __mmask32 bit7 = _mm512_test_epi16_mask(words, _mm512_set1_epi16(128));
    return _mm512_mask_blend_epi16(bit7, _mm512_mask_blend_epi16(bit6, q0, q1), _mm512_mask_blend_epi16(bit6, q2, q3));
}

/* a = |v|, frac_bits 9 (sigmoid) or 8 (tanh): table interpolation, saturated where u >= 255.
 * The sigmoid's a = |3x| of an int16 x is below 2^17, so its u = a >> 9 <= 192 never reaches
 * the saturation (its tests and clamp are left out). */
RNNC_VECTOR_INLINE __m512i rnnc_lut_interp_x16(__m512i a, int frac_bits, int32_t saturated)
{
    const __m512i u = frac_bits == 9 ? _mm512_srli_epi32(a, 9) : _mm512_srli_epi32(a, 8);
    const __mmask16 sat = frac_bits == 9 ? 0 : _mm512_cmpge_epi32_mask(u, _mm512_set1_epi32(255));
    const __m512i idx = frac_bits == 9 ? u : _mm512_min_epi32(u, _mm512_set1_epi32(254));
    const __m512i pair = rnnc_lut_pairs_x16(idx);
    const __m512i ua = _mm512_and_si512(pair, _mm512_set1_epi32(0xFFFF));
    const __m512i ub = _mm512_srli_epi32(pair, 16);
    const __m512i frac = _mm512_and_si512(a, _mm512_set1_epi32((1 << frac_bits) - 1));
    const __m512i base = frac_bits == 9 ? _mm512_slli_epi32(ua, 9) : _mm512_slli_epi32(ua, 8);
    const __m512i r = _mm512_add_epi32(base, _mm512_mullo_epi32(frac, _mm512_sub_epi32(ub, ua)));
    return frac_bits == 9 ? r : _mm512_mask_mov_epi32(r, sat, _mm512_set1_epi32(saturated));
}

/* sigmoid of Q3.12 lanes (int16 values in int32 lanes) -> Q0.15 */
RNNC_VECTOR_INLINE __m512i rnnc_sigmoid_x16(__m512i x)
{
    const __m512i v = _mm512_mullo_epi32(x, _mm512_set1_epi32(3));
    const __mmask16 neg = _mm512_cmplt_epi32_mask(v, _mm512_setzero_si512());
    __m512i r = rnnc_lut_interp_x16(_mm512_abs_epi32(v), 9, 0x7FFF << 10);
    r = _mm512_mask_sub_epi32(_mm512_add_epi32(r, _mm512_set1_epi32(1 << 9)), neg,
                              _mm512_set1_epi32((1 << 25) + (1 << 9) - 1), r);
    return _mm512_srli_epi32(r, 10);
}

/* tanh with TFLM's input shift L (see rnnc_tanh_s16.h) -> Q0.15 */
RNNC_VECTOR_INLINE __m512i rnnc_tanh_x16(__m512i x, int32_t input_left_shift)
{
    __m512i v, r;
    __mmask16 neg;
    if (input_left_shift >= 0) {
        v = _mm512_mullo_epi32(x, _mm512_set1_epi32(3 << input_left_shift));
    } else {
        const int32_t s = -input_left_shift;
        v = _mm512_srav_epi32(_mm512_add_epi32(_mm512_mullo_epi32(x, _mm512_set1_epi32(3)),
                                               _mm512_set1_epi32(1 << (s - 1))), _mm512_set1_epi32(s));
    }
    neg = _mm512_cmplt_epi32_mask(v, _mm512_setzero_si512());
    r = rnnc_lut_interp_x16(_mm512_abs_epi32(v), 8, (int32_t)(0xFFFFu << 8));
    r = _mm512_mask_sub_epi32(_mm512_sub_epi32(r, _mm512_set1_epi32((1 << 23) - (1 << 7))), neg,
                              _mm512_set1_epi32((1 << 23) + (1 << 7) - 1), r);
    return _mm512_srai_epi32(r, 8);
}
#endif

#endif /* RNNC_LUT_X16_H */
