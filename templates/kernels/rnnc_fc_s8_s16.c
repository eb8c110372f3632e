/*
 * rnnc_fc_s8_s16.c - int8 fully connected to int16.
 *
 * Two implementations of the same integer arithmetic, chosen by the compiler's target:
 * - x86 AVX-512 VNNI (built with -mavx512vnni -mavx512bw, e.g. -march=native on such CPUs):
 *   VPDPBUSD multiplies unsigned by signed bytes, so the weights are offset by +128
 *   (w ^ 0x80); the offset adds 128 * sum(x) to every row, subtracted once per call.
 *   Everything accumulates exactly in int32.
 * - portable C99 (every other target).
 * Both give bit-identical results.
 */
#include "rnnc_fc_s8_s16.h"
#include "rnnc_requantize.h"

#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512F__)
#include <immintrin.h>

#include "rnnc_requantize_x16.h"

/* Four row sums of (w ^ 0x80) . x, i.e. (w + 128) . x, reduced together: lane order r0..r3. */
static __m128i rnnc_dot4_vnni(const int8_t *w, int32_t stride, const int8_t *x, int32_t n)
{
    const __m512i k80 = _mm512_set1_epi8((char)0x80);
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    __m512i t01, t23, u;
    __m256i v;
    int32_t i;
    for (i = 0; i < n; i += 64) {
        const __mmask64 m = n - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (n - i)) - 1);
        const __m512i xv = _mm512_maskz_loadu_epi8(m, x + i); /* 0 beyond n: no contribution */
        a0 = _mm512_dpbusd_epi32(a0, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, w + i), k80), xv);
        a1 = _mm512_dpbusd_epi32(a1, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, w + stride + i), k80), xv);
        a2 = _mm512_dpbusd_epi32(a2, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, w + 2 * stride + i), k80), xv);
        a3 = _mm512_dpbusd_epi32(a3, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, w + 3 * stride + i), k80), xv);
    }
    /* transpose-add: every 128-bit lane ends with partial sums of r0, r1, r2, r3 */
    t01 = _mm512_add_epi32(_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1));
    t23 = _mm512_add_epi32(_mm512_unpacklo_epi32(a2, a3), _mm512_unpackhi_epi32(a2, a3));
    u = _mm512_add_epi32(_mm512_unpacklo_epi64(t01, t23), _mm512_unpackhi_epi64(t01, t23));
    v = _mm256_add_epi32(_mm512_castsi512_si256(u), _mm512_extracti64x4_epi64(u, 1));
    return _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

void rnnc_fc_s8_s16(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                    int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
    int32_t o, i, r, offset = 0;
    int32_t dots[4];
    for (i = 0; i < in_size; i++) {
        offset += 128 * (int32_t)in[i]; /* what the +128 on the weights added to every row */
    }
    for (o = 0; o + 16 <= out_size; o += 16) {
        const int8_t *w = weight + o * in_size;
        __m512i acc = _mm512_castsi128_si512(rnnc_dot4_vnni(w, in_size, in, in_size));
        acc = _mm512_inserti32x4(acc, rnnc_dot4_vnni(w + 4 * in_size, in_size, in, in_size), 1);
        acc = _mm512_inserti32x4(acc, rnnc_dot4_vnni(w + 8 * in_size, in_size, in, in_size), 2);
        acc = _mm512_inserti32x4(acc, rnnc_dot4_vnni(w + 12 * in_size, in_size, in, in_size), 3);
        acc = _mm512_add_epi32(_mm512_sub_epi32(acc, _mm512_set1_epi32(offset)), _mm512_loadu_si512(bias + o));
        _mm256_storeu_si256((__m256i *)(out + o), _mm512_cvtsepi32_epi16(rnnc_mbqm_x16(acc, multiplier, shift)));
    }
    for (; o + 4 <= out_size; o += 4) {
        _mm_storeu_si128((__m128i *)dots, rnnc_dot4_vnni(weight + o * in_size, in_size, in, in_size));
        for (r = 0; r < 4; r++) {
            out[o + r] = (int16_t)rnnc_sat(rnnc_mbqm(bias[o + r] + dots[r] - offset, multiplier, shift),
                                           INT16_MIN, INT16_MAX);
        }
    }
    for (; o < out_size; o++) {
        const int8_t *row = weight + o * in_size;
        int32_t acc = bias[o];
        for (i = 0; i < in_size; i++) {
            acc += (int32_t)row[i] * (int32_t)in[i];
        }
        out[o] = (int16_t)rnnc_sat(rnnc_mbqm(acc, multiplier, shift), INT16_MIN, INT16_MAX);
    }
}

#else /* portable C */

void rnnc_fc_s8_s16(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                    int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
    int32_t o, i;
    for (o = 0; o < out_size; o++) {
        const int8_t *row = weight + o * in_size;
        int32_t acc = bias[o];
        for (i = 0; i < in_size; i++) {
            acc += (int32_t)row[i] * (int32_t)in[i];
        }
        out[o] = (int16_t)rnnc_sat(rnnc_mbqm(acc, multiplier, shift), INT16_MIN, INT16_MAX);
    }
}

#endif
