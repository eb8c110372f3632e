/*
 * rnnc_fc_b16x4_x86.h - the x86 block loops of rnnc_fc_s8_s16_b16x4.c (header only; empty
 * unless an x86 path is built): AVX-512 VNNI, AVX-VNNI and AVX2 accumulate 16-row blocks of
 * the packed weights; the kernel's driver adds the bias and requantizes.
 */
#ifndef RNNC_FC_B16X4_X86_H
#define RNNC_FC_B16X4_X86_H

#include "rnnc_common.h"
#include "rnnc_fc_b16x4_group.h"

#if RNNC_USE_AVX2 /* every x86 path */
#include <immintrin.h>
#endif

#if RNNC_USE_AVX512VNNI
#include "rnnc_requantize_x16.h"

#define RNNC_FC_X16_BLOCKS 8 /* blocks per pass: 8 independent VPDPBUSD chains hide its latency */

/* The weights of group kg in every block of a pass times the broadcast input word xb. */
#define RNNC_FC_VNNI8(xb, w, stride)                                                             \
    do {                                                                                         \
        a0 = _mm512_dpbusd_epi32(a0, xb, _mm512_loadu_si512(w));                                 \
        a1 = _mm512_dpbusd_epi32(a1, xb, _mm512_loadu_si512((w) + (stride)));                    \
        a2 = _mm512_dpbusd_epi32(a2, xb, _mm512_loadu_si512((w) + 2 * (stride)));                \
        a3 = _mm512_dpbusd_epi32(a3, xb, _mm512_loadu_si512((w) + 3 * (stride)));                \
        a4 = _mm512_dpbusd_epi32(a4, xb, _mm512_loadu_si512((w) + 4 * (stride)));                \
        a5 = _mm512_dpbusd_epi32(a5, xb, _mm512_loadu_si512((w) + 5 * (stride)));                \
        a6 = _mm512_dpbusd_epi32(a6, xb, _mm512_loadu_si512((w) + 6 * (stride)));                \
        a7 = _mm512_dpbusd_epi32(a7, xb, _mm512_loadu_si512((w) + 7 * (stride)));                \
    } while (0)

/* Eight consecutive 16-row blocks over all input groups: the full groups straight from the
   input (one 4-byte load, flipped to x + 128), then the partial last group. The accumulators
   are locals so that they stay in registers at -O2 (an indexed array would live on the stack). */
static inline void rnnc_fc_pass_vnni(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4, __m512i acc[8])
{
    const int32_t full = in_size / 4, stride = k4 * 64;
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
    int32_t kg;
    for (kg = 0; kg < full; kg++, w += 64) {
        int32_t word;
        memcpy(&word, in + kg * 4, 4);
        {
            const __m512i xb = _mm512_xor_si512(_mm512_set1_epi32(word), flip);
            RNNC_FC_VNNI8(xb, w, stride);
        }
    }
    if (full < k4) {
        const __m512i xb = _mm512_set1_epi32((int32_t)rnnc_fc_group_u8(in, in_size, full));
        RNNC_FC_VNNI8(xb, w, stride);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = a4;
    acc[5] = a5;
    acc[6] = a6;
    acc[7] = a7;
}
#undef RNNC_FC_VNNI8

/* one 16-row block (the last blocks of a layer): even and odd groups in two chains, added at
   the end (int32 addition is associative, so the sum is the same) */
static inline __m512i rnnc_fc_block1_vnni(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4,
                                          __m512i acc)
{
    const int32_t full = in_size / 4;
    __m512i odd = _mm512_setzero_si512();
    int32_t kg;
    for (kg = 0; kg + 2 <= k4; kg += 2, w += 128) {
        acc = _mm512_dpbusd_epi32(acc, _mm512_set1_epi32((int32_t)rnnc_fc_word_u8(in, in_size, kg, full)),
                                  _mm512_loadu_si512(w));
        odd = _mm512_dpbusd_epi32(odd, _mm512_set1_epi32((int32_t)rnnc_fc_word_u8(in, in_size, kg + 1, full)),
                                  _mm512_loadu_si512(w + 64));
    }
    if (kg < k4) {
        acc = _mm512_dpbusd_epi32(acc, _mm512_set1_epi32((int32_t)rnnc_fc_word_u8(in, in_size, kg, full)),
                                  _mm512_loadu_si512(w));
    }
    return _mm512_add_epi32(acc, odd);
}
#elif RNNC_USE_AVX2
#include "rnnc_requantize_x8.h"

#if RNNC_USE_AVXVNNI
#define RNNC_FC_X8_BLOCKS 4 /* blocks per pass: 8 accumulators */

/* acc[2b] += rows 0-7 and acc[2b+1] += rows 8-15 of block b (VPDPBUSD ymm: 8 rows x 4 inputs) */
static inline void rnnc_fc_pass_x8(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4, __m256i acc[8])
{
    const int32_t full = in_size / 4, stride = k4 * 64;
    __m256i a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
    int32_t kg;
    for (kg = 0; kg < k4; kg++, w += 64) {
        const __m256i xb = _mm256_set1_epi32((int32_t)rnnc_fc_word_u8(in, in_size, kg, full));
        a0 = _mm256_dpbusd_avx_epi32(a0, xb, _mm256_loadu_si256((const __m256i *)w));
        a1 = _mm256_dpbusd_avx_epi32(a1, xb, _mm256_loadu_si256((const __m256i *)(w + 32)));
        a2 = _mm256_dpbusd_avx_epi32(a2, xb, _mm256_loadu_si256((const __m256i *)(w + stride)));
        a3 = _mm256_dpbusd_avx_epi32(a3, xb, _mm256_loadu_si256((const __m256i *)(w + stride + 32)));
        a4 = _mm256_dpbusd_avx_epi32(a4, xb, _mm256_loadu_si256((const __m256i *)(w + 2 * stride)));
        a5 = _mm256_dpbusd_avx_epi32(a5, xb, _mm256_loadu_si256((const __m256i *)(w + 2 * stride + 32)));
        a6 = _mm256_dpbusd_avx_epi32(a6, xb, _mm256_loadu_si256((const __m256i *)(w + 3 * stride)));
        a7 = _mm256_dpbusd_avx_epi32(a7, xb, _mm256_loadu_si256((const __m256i *)(w + 3 * stride + 32)));
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = a4;
    acc[5] = a5;
    acc[6] = a6;
    acc[7] = a7;
}

/* one block: acc[0] rows 0-7, acc[1] rows 8-15 */
static inline void rnnc_fc_block_x8(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4, __m256i acc[2])
{
    const int32_t full = in_size / 4;
    __m256i a0 = acc[0], a1 = acc[1];
    int32_t kg;
    for (kg = 0; kg < k4; kg++, w += 64) {
        const __m256i xb = _mm256_set1_epi32((int32_t)rnnc_fc_word_u8(in, in_size, kg, full));
        a0 = _mm256_dpbusd_avx_epi32(a0, xb, _mm256_loadu_si256((const __m256i *)w));
        a1 = _mm256_dpbusd_avx_epi32(a1, xb, _mm256_loadu_si256((const __m256i *)(w + 32)));
    }
    acc[0] = a0;
    acc[1] = a1;
}
#else
#define RNNC_FC_X8_BLOCKS 2 /* blocks per pass: 8 pair-sum accumulators */

/* 4 rows x 4 inputs: the weights widened to int16, one VPMADDWD with the offset inputs gives
   each row's two pair sums (exact: |2 * 255 * 128| < 2^31) */
static inline __m256i rnnc_fc_quad_x8(const int8_t *w, __m256i x16)
{
    return _mm256_madd_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)w)), x16);
}

/* rows 4c..4c+3's pair sums of p[c] -> 8 rows in order: hadd gives (0 1 4 5 | 2 3 6 7) of
   two quads, one 64-bit permute orders them */
static inline __m256i rnnc_fc_rows8_x8(__m256i q0, __m256i q1)
{
    return _mm256_permute4x64_epi64(_mm256_hadd_epi32(q0, q1), 0xD8);
}

/* the offset inputs of group kg widened to int16, twice (4 inputs in each 64-bit quarter) */
static inline __m256i rnnc_fc_x16_x8(const int8_t *in, int32_t in_size, int32_t kg, int32_t full)
{
    return _mm256_cvtepu8_epi16(_mm_set1_epi32((int32_t)rnnc_fc_word_u8(in, in_size, kg, full)));
}

/* two blocks: acc[2b] += rows 0-7, acc[2b+1] += rows 8-15 of block b. Two input groups per
   iteration, their products added before the running sums: half the dependent additions. */
static inline void rnnc_fc_pass_x8(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4, __m256i acc[4])
{
    const int32_t full = in_size / 4, stride = k4 * 64;
    __m256i p0 = _mm256_setzero_si256(), p1 = p0, p2 = p0, p3 = p0, p4 = p0, p5 = p0, p6 = p0, p7 = p0;
    int32_t kg;
    for (kg = 0; kg + 2 <= k4; kg += 2, w += 128) {
        const __m256i xa = rnnc_fc_x16_x8(in, in_size, kg, full), xb = rnnc_fc_x16_x8(in, in_size, kg + 1, full);
        const int8_t *v = w + stride;
        p0 = _mm256_add_epi32(p0, _mm256_add_epi32(rnnc_fc_quad_x8(w, xa), rnnc_fc_quad_x8(w + 64, xb)));
        p1 = _mm256_add_epi32(p1, _mm256_add_epi32(rnnc_fc_quad_x8(w + 16, xa), rnnc_fc_quad_x8(w + 80, xb)));
        p2 = _mm256_add_epi32(p2, _mm256_add_epi32(rnnc_fc_quad_x8(w + 32, xa), rnnc_fc_quad_x8(w + 96, xb)));
        p3 = _mm256_add_epi32(p3, _mm256_add_epi32(rnnc_fc_quad_x8(w + 48, xa), rnnc_fc_quad_x8(w + 112, xb)));
        p4 = _mm256_add_epi32(p4, _mm256_add_epi32(rnnc_fc_quad_x8(v, xa), rnnc_fc_quad_x8(v + 64, xb)));
        p5 = _mm256_add_epi32(p5, _mm256_add_epi32(rnnc_fc_quad_x8(v + 16, xa), rnnc_fc_quad_x8(v + 80, xb)));
        p6 = _mm256_add_epi32(p6, _mm256_add_epi32(rnnc_fc_quad_x8(v + 32, xa), rnnc_fc_quad_x8(v + 96, xb)));
        p7 = _mm256_add_epi32(p7, _mm256_add_epi32(rnnc_fc_quad_x8(v + 48, xa), rnnc_fc_quad_x8(v + 112, xb)));
    }
    if (kg < k4) {
        const __m256i xa = rnnc_fc_x16_x8(in, in_size, kg, full);
        const int8_t *v = w + stride;
        p0 = _mm256_add_epi32(p0, rnnc_fc_quad_x8(w, xa));
        p1 = _mm256_add_epi32(p1, rnnc_fc_quad_x8(w + 16, xa));
        p2 = _mm256_add_epi32(p2, rnnc_fc_quad_x8(w + 32, xa));
        p3 = _mm256_add_epi32(p3, rnnc_fc_quad_x8(w + 48, xa));
        p4 = _mm256_add_epi32(p4, rnnc_fc_quad_x8(v, xa));
        p5 = _mm256_add_epi32(p5, rnnc_fc_quad_x8(v + 16, xa));
        p6 = _mm256_add_epi32(p6, rnnc_fc_quad_x8(v + 32, xa));
        p7 = _mm256_add_epi32(p7, rnnc_fc_quad_x8(v + 48, xa));
    }
    acc[0] = _mm256_add_epi32(acc[0], rnnc_fc_rows8_x8(p0, p1));
    acc[1] = _mm256_add_epi32(acc[1], rnnc_fc_rows8_x8(p2, p3));
    acc[2] = _mm256_add_epi32(acc[2], rnnc_fc_rows8_x8(p4, p5));
    acc[3] = _mm256_add_epi32(acc[3], rnnc_fc_rows8_x8(p6, p7));
}

/* one block: acc[0] rows 0-7, acc[1] rows 8-15 */
static inline void rnnc_fc_block_x8(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4, __m256i acc[2])
{
    const int32_t full = in_size / 4;
    __m256i p0 = _mm256_setzero_si256(), p1 = p0, p2 = p0, p3 = p0;
    int32_t kg;
    for (kg = 0; kg < k4; kg++, w += 64) {
        const __m256i x16 = rnnc_fc_x16_x8(in, in_size, kg, full);
        p0 = _mm256_add_epi32(p0, rnnc_fc_quad_x8(w, x16));
        p1 = _mm256_add_epi32(p1, rnnc_fc_quad_x8(w + 16, x16));
        p2 = _mm256_add_epi32(p2, rnnc_fc_quad_x8(w + 32, x16));
        p3 = _mm256_add_epi32(p3, rnnc_fc_quad_x8(w + 48, x16));
    }
    acc[0] = _mm256_add_epi32(acc[0], rnnc_fc_rows8_x8(p0, p1));
    acc[1] = _mm256_add_epi32(acc[1], rnnc_fc_rows8_x8(p2, p3));
}
#endif
#endif

#endif /* RNNC_FC_B16X4_X86_H */
