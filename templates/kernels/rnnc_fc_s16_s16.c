/*
 * rnnc_fc_s16_s16.c - int16 x int8 fully connected to int16 (rnnc_fc_s16_s16.h), the gate
 * terms of the int16x8 recurrent layers: int64 accumulators, TFLM's int64 requantization.
 * Paths, chosen by the compiler's target or, on x86-64, at run time (rnnc_common.h):
 * - x86 AVX2: four rows at a time, weights widened to int16 (VPMOVSXBW) and multiplied in pairs
 *   with the inputs by VPMADDWD (|2 * 32768 * 128| = 2^23 per pair); the int32 lanes take at most
 *   RNNC_FC16_CHUNK pairs each before they are added into int64, so they cannot overflow;
 * - Arm64 NEON: the same with SMLAL (int16 x int16 -> int32 lanes), chunked likewise;
 * - Helium (Cortex-M55): four rows at a time, VMLALDAVA.S16 over 8 inputs per instruction
 *   straight into int64 (weights widened by the load, VLDRB.S16), the last partial vector
 *   predicated;
 * - Arm DSP extension (Cortex-M4/M7/M33): four rows at a time, SMLALD (two int16 products into
 *   int64) on the weights sign-extended in pairs (SXTB16) and the inputs paired to match;
 * - portable C99.
 * All give bit-identical results (integer sums; the order does not matter).
 */
#include "rnnc_common.h"
#include "rnnc_dispatch_x86.h"
#include "rnnc_dot4_s16_s8.h"
#include "rnnc_fc_s16_s16.h"
#include "rnnc_requantize.h"

/* inputs per int32 partial sum: a product is at most 2^22 in magnitude (-32768 * -128), each
   lane takes 2 products per 16 inputs (AVX2) or per 8 inputs (NEON), so 1024 inputs put at most
   2^29 (AVX2) or 2^30 (NEON) into a lane */
#define RNNC_FC16_CHUNK 1024

#if RNNC_USE_AVX2
#include <immintrin.h>

/* the int64 sum of 8 int32 lanes */
static inline int64_t rnnc_hsum_s32_x8(__m256i v)
{
    const __m256i wide = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(v)),
                                          _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1)));
    const __m128i two = _mm_add_epi64(_mm256_castsi256_si128(wide), _mm256_extracti128_si256(wide, 1));
    return _mm_cvtsi128_si64(two) + _mm_extract_epi64(two, 1);
}

/* acc[0..3] += rows w0..w3 (row stride n) . in over inputs [i0, i1), i1 - i0 a multiple of 16 */
static inline void rnnc_rows4_s16(const int16_t *in, const int8_t *w0, int32_t n, int32_t i0, int32_t i1,
                                  int64_t acc[4])
{
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    int32_t i;
    for (i = i0; i < i1; i += 16) {
        const __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(in + i));
        a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(w0 + i))), x));
        a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(w0 + n + i))), x));
        a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(w0 + 2 * n + i))), x));
        a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(w0 + 3 * n + i))), x));
    }
    acc[0] += rnnc_hsum_s32_x8(a0);
    acc[1] += rnnc_hsum_s32_x8(a1);
    acc[2] += rnnc_hsum_s32_x8(a2);
    acc[3] += rnnc_hsum_s32_x8(a3);
}
#define RNNC_FC16_STEP 16
#elif RNNC_USE_NEON
#include <arm_neon.h>

/* acc[0..3] += rows w0..w3 (row stride n) . in over inputs [i0, i1), i1 - i0 a multiple of 8 */
static inline void rnnc_rows4_s16(const int16_t *in, const int8_t *w0, int32_t n, int32_t i0, int32_t i1,
                                  int64_t acc[4])
{
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
    int32_t i;
    for (i = i0; i < i1; i += 8) {
        const int16x8_t x = vld1q_s16(in + i);
        const int16x8_t v0 = vmovl_s8(vld1_s8(w0 + i)), v1 = vmovl_s8(vld1_s8(w0 + n + i));
        const int16x8_t v2 = vmovl_s8(vld1_s8(w0 + 2 * n + i)), v3 = vmovl_s8(vld1_s8(w0 + 3 * n + i));
        a0 = vmlal_high_s16(vmlal_s16(a0, vget_low_s16(v0), vget_low_s16(x)), v0, x);
        a1 = vmlal_high_s16(vmlal_s16(a1, vget_low_s16(v1), vget_low_s16(x)), v1, x);
        a2 = vmlal_high_s16(vmlal_s16(a2, vget_low_s16(v2), vget_low_s16(x)), v2, x);
        a3 = vmlal_high_s16(vmlal_s16(a3, vget_low_s16(v3), vget_low_s16(x)), v3, x);
    }
    acc[0] += vaddlvq_s32(a0);
    acc[1] += vaddlvq_s32(a1);
    acc[2] += vaddlvq_s32(a2);
    acc[3] += vaddlvq_s32(a3);
}
#define RNNC_FC16_STEP 8
#elif RNNC_USE_MVE || RNNC_USE_DSP
#define rnnc_rows4_s16 rnnc_dot4_s16_s8
#define RNNC_FC16_STEP RNNC_DOT4_S16_STEP
#endif

static inline int16_t rnnc_fc16_out(int64_t acc, int32_t multiplier, int32_t shift)
{
    return (int16_t)rnnc_sat(rnnc_mbqm_s64(acc, multiplier, shift), INT16_MIN, INT16_MAX);
}

void RNNC_ISA_FN(rnnc_fc_s16_s16)(const int16_t *in, const int8_t *weight, const int64_t *bias, int16_t *out,
                                  int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
    int32_t o = 0, i;
#if RNNC_USE_AVX2 || RNNC_USE_NEON || RNNC_USE_MVE || RNNC_USE_DSP
    const int32_t whole = in_size - in_size % RNNC_FC16_STEP;
    for (; o + 4 <= out_size; o += 4) {
        const int8_t *w0 = weight + o * in_size;
        int64_t acc[4];
        int32_t r, i0;
        for (r = 0; r < 4; r++) {
            acc[r] = bias[o + r];
        }
        for (i0 = 0; i0 < whole; i0 += RNNC_FC16_CHUNK) {
            rnnc_rows4_s16(in, w0, in_size, i0, whole - i0 < RNNC_FC16_CHUNK ? whole : i0 + RNNC_FC16_CHUNK, acc);
        }
        for (r = 0; r < 4; r++) {
            for (i = whole; i < in_size; i++) {
                acc[r] += (int32_t)w0[r * in_size + i] * (int32_t)in[i];
            }
            out[o + r] = rnnc_fc16_out(acc[r], multiplier, shift);
        }
    }
#endif
    for (; o < out_size; o++) {
        const int8_t *row = weight + o * in_size;
        int64_t acc = bias[o];
        for (i = 0; i < in_size; i++) {
            acc += (int32_t)row[i] * (int32_t)in[i];
        }
        out[o] = rnnc_fc16_out(acc, multiplier, shift);
    }
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_fc_s16_s16,
                    (const int16_t *in, const int8_t *weight, const int64_t *bias, int16_t *out, int32_t in_size,
                     int32_t out_size, int32_t multiplier, int32_t shift),
                    (in, weight, bias, out, in_size, out_size, multiplier, shift))
#endif
