/*
 * rnnc_fc_s8_s16_b16x4.c - int8 fully connected to int16 on 16x4-packed weights
 * (rnnc_fc_s8_s16_b16x4.h). One function, its paths inside it, chosen by the compiler's
 * target or, on x86-64, at run time (rnnc_common.h):
 * - x86 AVX-512 VNNI:
 *   one VPDPBUSD per 16 rows x 4 inputs, each lane accumulating one row exactly in int32;
 *   the input is the unsigned operand (x ^ 0x80 = x + 128), compensated in the bias.
 * - x86 AVX-VNNI (256-bit VPDPBUSD, e.g. Alder Lake, Zen 4 without -mavx512*): the same on
 *   two 8-row halves of a block.
 * - x86 AVX2 without VNNI: the bytes widened to int16 (VPMOVSXBW for the weights, VPMOVZXBW
 *   for the offset inputs) and multiplied in pairs by VPMADDWD, which cannot saturate
 *   (|255 * 127 * 2| < 2^31), then the pairs of each row summed once per block.
 * - Arm64 SDOT (Armv8.2-A dot product, e.g. -march=armv8.2-a+dotprod): one SDOT per 4 rows x
 *   4 inputs, the offset inputs split into two signed halves (see rnnc_fc_block_neon);
 * - Arm64 NEON without SDOT: the bytes widened to int16 and multiplied-accumulated by SMLAL;
 *   requantization four lanes at a time (rnnc_requantize_neon.h);
 * - Arm DSP extension (Cortex-M4/M7/M33/M55): the 4 bytes of a row's group are sign-extended
 *   in pairs (SXTB16), the 4 offset inputs zero-extended in pairs (UXTB16, once per group), and
 *   two SMLADs accumulate the four products exactly in int32.
 * - portable C99 (every other target).
 * All give bit-identical results.
 */
#include "rnnc_common.h"
#include "rnnc_dispatch_x86.h"
#include "rnnc_fc_s8_s16_b16x4.h"
#include "rnnc_requantize.h"

/* the 4 inputs of group kg, each + 128, as one little-endian word of bytes
   (inputs beyond in_size contribute 0: their packed weights are 0 too) */
static inline uint32_t rnnc_fc_group_u8(const int8_t *in, int32_t in_size, int32_t kg)
{
    uint32_t word = 0;
    int32_t j;
    if (kg * 4 + 4 <= in_size) { /* a full group: four bytes, each flipped to x + 128 */
        for (j = 0; j < 4; j++) {
            word |= (uint32_t)((uint8_t)in[kg * 4 + j] ^ 0x80u) << (8 * j);
        }
        return word;
    }
    for (j = 0; j < 4; j++) {
        const int32_t i = kg * 4 + j;
        const uint32_t q = i < in_size ? (uint32_t)((int32_t)in[i] + 128) : 0u;
        word |= q << (8 * j);
    }
    return word;
}

#if RNNC_USE_AVX2 /* every x86 path */
#include <immintrin.h>
#include <string.h>

/* the 4 offset inputs of group kg as one word of bytes (full groups need no bounds check) */
static inline uint32_t rnnc_fc_word_x86(const int8_t *in, int32_t in_size, int32_t kg, int32_t full)
{
    uint32_t word;
    if (kg < full) {
        memcpy(&word, in + kg * 4, 4);
        return word ^ 0x80808080u; /* x + 128 in every byte */
    }
    return rnnc_fc_group_u8(in, in_size, kg);
}
#endif

#if RNNC_USE_AVX512VNNI
#include "rnnc_requantize_x16.h"

/* Four consecutive 16-row blocks over all input groups. The accumulators are locals so that
   they stay in registers at -O2 (an indexed array would live on the stack). */
static inline void rnnc_fc_blocks4_vnni(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4,
                                        __m512i acc[4])
{
    const int32_t full = in_size / 4, stride = k4 * 64;
    __m512i a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t kg;
    for (kg = 0; kg < k4; kg++, w += 64) {
        const __m512i xb = _mm512_set1_epi32((int32_t)rnnc_fc_word_x86(in, in_size, kg, full));
        a0 = _mm512_dpbusd_epi32(a0, xb, _mm512_loadu_si512(w));
        a1 = _mm512_dpbusd_epi32(a1, xb, _mm512_loadu_si512(w + stride));
        a2 = _mm512_dpbusd_epi32(a2, xb, _mm512_loadu_si512(w + 2 * stride));
        a3 = _mm512_dpbusd_epi32(a3, xb, _mm512_loadu_si512(w + 3 * stride));
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* one 16-row block */
static inline __m512i rnnc_fc_block1_vnni(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4,
                                          __m512i acc)
{
    const int32_t full = in_size / 4;
    int32_t kg;
    for (kg = 0; kg < k4; kg++, w += 64) {
        acc = _mm512_dpbusd_epi32(acc, _mm512_set1_epi32((int32_t)rnnc_fc_word_x86(in, in_size, kg, full)),
                                  _mm512_loadu_si512(w));
    }
    return acc;
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
        const __m256i xb = _mm256_set1_epi32((int32_t)rnnc_fc_word_x86(in, in_size, kg, full));
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
        const __m256i xb = _mm256_set1_epi32((int32_t)rnnc_fc_word_x86(in, in_size, kg, full));
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
    return _mm256_cvtepu8_epi16(_mm_set1_epi32((int32_t)rnnc_fc_word_x86(in, in_size, kg, full)));
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

/* 8 rows out of one accumulator: requantized, saturated to int16, the first n stored */
static inline void rnnc_fc_store_x8(int16_t *out, __m256i acc, int32_t n, int32_t multiplier, int32_t shift)
{
    const __m256i v = rnnc_mbqm_x8(acc, multiplier, shift);
    const __m128i packed = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    if (n >= 8) {
        _mm_storeu_si128((__m128i *)out, packed);
    } else if (n > 0) {
        int16_t tmp[8];
        _mm_storeu_si128((__m128i *)tmp, packed);
        memcpy(out, tmp, (size_t)n * sizeof(int16_t));
    }
}

/* the bias of 8 rows, zero beyond `rows` */
static inline __m256i rnnc_fc_bias_x8(const int32_t *bias, int32_t rows)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(rows), lane);
    return rows >= 8 ? _mm256_loadu_si256((const __m256i *)bias) : rows > 0 ? _mm256_maskload_epi32(bias, mask)
                                                                              : _mm256_setzero_si256();
}
#elif RNNC_USE_NEON
#include <arm_neon.h>
#include <string.h>

#include "rnnc_requantize_neon.h"

/* the 4 offset inputs of group kg as one word of bytes (full groups need no bounds check) */
static inline uint32_t rnnc_fc_word_neon(const int8_t *in, int32_t in_size, int32_t kg, int32_t full)
{
    uint32_t word;
    if (kg < full) {
        memcpy(&word, in + kg * 4, 4);
        return word ^ 0x80808080u; /* x + 128 in every byte */
    }
    return rnnc_fc_group_u8(in, in_size, kg);
}

#if RNNC_USE_SDOT
/* One 16-row block, acc[c] += rows 4c..4c+3. SDOT multiplies signed bytes, so the offset
   inputs q = x + 128 (0..255) go in as q >> 1 and q & 1 (both valid signed bytes):
   sum w q = 2 sum w (q >> 1) + sum w (q & 1), exact in int32. Each 16 weight bytes are four
   rows' groups: one SDOT gives the four rows' 4-input dot products. */
static inline void rnnc_fc_block_neon(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4,
                                      int32x4_t acc[4])
{
    const int32_t full = in_size / 4;
    int32x4_t h0 = vdupq_n_s32(0), h1 = h0, h2 = h0, h3 = h0, l0 = h0, l1 = h0, l2 = h0, l3 = h0;
    int32_t kg;
    for (kg = 0; kg < k4; kg++, w += 64) {
        const uint32_t word = rnnc_fc_word_neon(in, in_size, kg, full);
        const int8x16_t hi = vreinterpretq_s8_u32(vdupq_n_u32((word >> 1) & 0x7F7F7F7Fu));
        const int8x16_t lo = vreinterpretq_s8_u32(vdupq_n_u32(word & 0x01010101u));
        const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48);
        h0 = vdotq_s32(h0, w0, hi);
        h1 = vdotq_s32(h1, w1, hi);
        h2 = vdotq_s32(h2, w2, hi);
        h3 = vdotq_s32(h3, w3, hi);
        l0 = vdotq_s32(l0, w0, lo);
        l1 = vdotq_s32(l1, w1, lo);
        l2 = vdotq_s32(l2, w2, lo);
        l3 = vdotq_s32(l3, w3, lo);
    }
    acc[0] = vaddq_s32(acc[0], vaddq_s32(vshlq_n_s32(h0, 1), l0));
    acc[1] = vaddq_s32(acc[1], vaddq_s32(vshlq_n_s32(h1, 1), l1));
    acc[2] = vaddq_s32(acc[2], vaddq_s32(vshlq_n_s32(h2, 1), l2));
    acc[3] = vaddq_s32(acc[3], vaddq_s32(vshlq_n_s32(h3, 1), l3));
}
#else
/* rows r and r+1 of one 16-byte vector (4 rows x 4 inputs), widened to int16, times the 4
   offset inputs (twice in q16): SMLAL / SMLAL2 add each row's 4 products into its lanes */
#define RNNC_FC_ROWS2_NEON(w16, a, b)                                                      \
    do {                                                                                   \
        (a) = vmlal_s16((a), vget_low_s16(w16), vget_low_s16(q16));                        \
        (b) = vmlal_high_s16((b), (w16), q16);                                             \
    } while (0)

/* One 16-row block, acc[c] += rows 4c..4c+3: the bytes widened to int16 (exact products
   |127 * 255| < 2^15 fit SMLAL's int32 lanes), one accumulator per row, summed at the end */
static inline void rnnc_fc_block_neon(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4,
                                      int32x4_t acc[4])
{
    const int32_t full = in_size / 4;
    int32x4_t r[16];
    int32_t kg, c;
    for (c = 0; c < 16; c++) {
        r[c] = vdupq_n_s32(0);
    }
    for (kg = 0; kg < k4; kg++, w += 64) {
        const int16x8_t q16 = vreinterpretq_s16_u16(vmovl_u8(vreinterpret_u8_u32(
            vdup_n_u32(rnnc_fc_word_neon(in, in_size, kg, full)))));
        for (c = 0; c < 4; c++) {
            const int8x16_t wv = vld1q_s8(w + 16 * c);
            const int16x8_t lo = vmovl_s8(vget_low_s8(wv)), hi = vmovl_high_s8(wv);
            RNNC_FC_ROWS2_NEON(lo, r[4 * c], r[4 * c + 1]);
            RNNC_FC_ROWS2_NEON(hi, r[4 * c + 2], r[4 * c + 3]);
        }
    }
    for (c = 0; c < 4; c++) { /* pairwise sums: rows 4c..4c+3 in one vector */
        acc[c] = vaddq_s32(acc[c], vpaddq_s32(vpaddq_s32(r[4 * c], r[4 * c + 1]), vpaddq_s32(r[4 * c + 2], r[4 * c + 3])));
    }
}
#endif
#elif RNNC_USE_DSP
#include <arm_acle.h>
#include <string.h>

/* SXTB16/UXTB16 of the odd bytes: the rotate is part of the instruction, which gcc does not
   fold from a separate ror, so it is written out where GNU inline assembly exists */
#if defined(__GNUC__)
static inline uint32_t rnnc_sxtb16_ror8(uint32_t v)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
static inline uint32_t rnnc_uxtb16_ror8(uint32_t v)
{
    uint32_t r;
    __asm__("uxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
#else
static inline uint32_t rnnc_sxtb16_ror8(uint32_t v)
{
    return __sxtb16((v >> 8) | (v << 24));
}
static inline uint32_t rnnc_uxtb16_ror8(uint32_t v)
{
    return __uxtb16((v >> 8) | (v << 24));
}
#endif

/* acc += the 4 products of one row's group: bytes 0,2 and 1,3 in two SMLADs */
static inline int32_t rnnc_fc_mac4(const int8_t *w, uint32_t x02, uint32_t x13, int32_t acc)
{
    uint32_t wv;
    memcpy(&wv, w, 4);
    acc = __smlad(__sxtb16(wv), x02, acc);
    return __smlad(rnnc_sxtb16_ror8(wv), x13, acc);
}

/* one group (4 inputs) into four rows' accumulators */
#define RNNC_FC_GROUP_DSP(in, w)                                   \
    do {                                                           \
        uint32_t word_, x02_, x13_;                                \
        memcpy(&word_, (in), 4);                                   \
        word_ ^= 0x80808080u; /* x + 128 in every byte */          \
        x02_ = __uxtb16(word_);                                    \
        x13_ = rnnc_uxtb16_ror8(word_);                            \
        a0 = rnnc_fc_mac4((w), x02_, x13_, a0);                    \
        a1 = rnnc_fc_mac4((w) + 4, x02_, x13_, a1);                \
        a2 = rnnc_fc_mac4((w) + 8, x02_, x13_, a2);                \
        a3 = rnnc_fc_mac4((w) + 12, x02_, x13_, a3);               \
    } while (0)

/* four rows over groups [0, groups) of whole inputs: w points at the rows' first group.
   Kept out of line so the four accumulators and the two input pairs own the registers
   (unrolling further makes gcc hoist the loads and spill them). */
static void __attribute__((noinline))
rnnc_fc_rows4_dsp(const int8_t *in, const int8_t *w, int32_t groups, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int8_t *const end = in + 4 * groups;
    for (; in < end; in += 4, w += 64) {
        RNNC_FC_GROUP_DSP(in, w);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

void RNNC_ISA_FN(rnnc_fc_s8_s16_b16x4)(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                                       int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
#if RNNC_USE_AVX512VNNI
    const int32_t k4 = (in_size + 3) / 4;
    const int32_t blocks = (out_size + 15) / 16;
    int32_t block, b;
    for (block = 0; block < blocks; block += 4) {
        const int32_t nb = blocks - block < 4 ? blocks - block : 4;
        __m512i acc[4];
        __mmask16 m[4];
        for (b = 0; b < nb; b++) {
            const int32_t rows = out_size - (block + b) * 16 < 16 ? out_size - (block + b) * 16 : 16;
            m[b] = (__mmask16)((1u << rows) - 1u);
            acc[b] = _mm512_maskz_loadu_epi32(m[b], bias + (block + b) * 16);
        }
        if (nb == 4) {
            rnnc_fc_blocks4_vnni(in, in_size, weight + (int32_t)block * k4 * 64, k4, acc);
        } else {
            for (b = 0; b < nb; b++) {
                acc[b] = rnnc_fc_block1_vnni(in, in_size, weight + (int32_t)(block + b) * k4 * 64, k4, acc[b]);
            }
        }
        for (b = 0; b < nb; b++) {
            _mm256_mask_storeu_epi16(out + (block + b) * 16, m[b],
                                     _mm512_cvtsepi32_epi16(rnnc_mbqm_x16(acc[b], multiplier, shift)));
        }
    }
#elif RNNC_USE_AVX2
    const int32_t k4 = (in_size + 3) / 4;
    const int32_t blocks = (out_size + 15) / 16;
    int32_t block, b;
    for (block = 0; block < blocks; block += RNNC_FC_X8_BLOCKS) {
        const int32_t nb = blocks - block < RNNC_FC_X8_BLOCKS ? blocks - block : RNNC_FC_X8_BLOCKS;
        __m256i acc[2 * RNNC_FC_X8_BLOCKS];
        for (b = 0; b < nb; b++) {
            const int32_t row = (block + b) * 16;
            acc[2 * b] = rnnc_fc_bias_x8(bias + row, out_size - row);
            acc[2 * b + 1] = rnnc_fc_bias_x8(bias + row + 8, out_size - row - 8);
        }
        if (nb == RNNC_FC_X8_BLOCKS) {
            rnnc_fc_pass_x8(in, in_size, weight + (int32_t)block * k4 * 64, k4, acc);
        } else {
            for (b = 0; b < nb; b++) {
                rnnc_fc_block_x8(in, in_size, weight + (int32_t)(block + b) * k4 * 64, k4, acc + 2 * b);
            }
        }
        for (b = 0; b < nb; b++) {
            const int32_t row = (block + b) * 16;
            rnnc_fc_store_x8(out + row, acc[2 * b], out_size - row, multiplier, shift);
            rnnc_fc_store_x8(out + row + 8, acc[2 * b + 1], out_size - row - 8, multiplier, shift);
        }
    }
#elif RNNC_USE_NEON
    const int32_t k4 = (in_size + 3) / 4;
    int32_t block, c, r;
    for (block = 0; block * 16 < out_size; block++) {
        const int32_t rows = out_size - block * 16 < 16 ? out_size - block * 16 : 16;
        int32_t b[16] = {0};
        int32x4_t acc[4];
        for (r = 0; r < rows; r++) {
            b[r] = bias[block * 16 + r];
        }
        for (c = 0; c < 4; c++) {
            acc[c] = vld1q_s32(b + 4 * c);
        }
        rnnc_fc_block_neon(in, in_size, weight + (int32_t)block * k4 * 64, k4, acc);
        for (c = 0; c < 4; c++) {
            const int32x4_t v = rnnc_mbqm_neon(acc[c], multiplier, shift);
            const int16x4_t o = vqmovn_s32(v);
            if (rows >= 4 * c + 4) {
                vst1_s16(out + block * 16 + 4 * c, o);
            } else {
                int16_t tmp[4];
                vst1_s16(tmp, o);
                for (r = 4 * c; r < rows; r++) {
                    out[block * 16 + r] = tmp[r - 4 * c];
                }
            }
        }
    }
#elif RNNC_USE_DSP
    const int32_t k4 = (in_size + 3) / 4;
    const int32_t full = in_size / 4;
    const int32_t whole = out_size & ~3;
    int32_t o, r;
    int32_t acc[4];
    for (o = 0; o < out_size; o += 4) {
        const int8_t *w = weight + (int32_t)(o / 16) * k4 * 64 + (o % 16) * 4;
        const int32_t n = o < whole ? 4 : out_size - o;
        if (n == 4) {
            acc[0] = bias[o];
            acc[1] = bias[o + 1];
            acc[2] = bias[o + 2];
            acc[3] = bias[o + 3];
        } else {   /* the last rows: padding rows have zero weights and no bias */
            for (r = 0; r < 4; r++) {
                acc[r] = r < n ? bias[o + r] : 0;
            }
        }
        rnnc_fc_rows4_dsp(in, w, full, acc);
        if (full < k4) { /* the last, partial group: missing inputs count as 0 */
            const uint32_t word = rnnc_fc_group_u8(in, in_size, full);
            const uint32_t x02 = __uxtb16(word), x13 = rnnc_uxtb16_ror8(word);
            for (r = 0; r < 4; r++) {
                acc[r] = rnnc_fc_mac4(w + full * 64 + 4 * r, x02, x13, acc[r]);
            }
        }
        for (r = 0; r < n; r++) {
            out[o + r] = (int16_t)rnnc_sat(rnnc_mbqm(acc[r], multiplier, shift), INT16_MIN, INT16_MAX);
        }
    }
#else /* portable C */
    const int32_t k4 = (in_size + 3) / 4;
    int32_t block, kg, r;
    for (block = 0; block * 16 < out_size; block++) {
        const int32_t rows = out_size - block * 16 < 16 ? out_size - block * 16 : 16;
        const int8_t *w = weight + (int32_t)block * k4 * 64;
        int32_t acc[16];
        for (r = 0; r < rows; r++) {
            acc[r] = bias[block * 16 + r];
        }
        for (kg = 0; kg < k4; kg++) {
            const uint32_t word = rnnc_fc_group_u8(in, in_size, kg);
            const int32_t q0 = (int32_t)(word & 0xFFu), q1 = (int32_t)((word >> 8) & 0xFFu);
            const int32_t q2 = (int32_t)((word >> 16) & 0xFFu), q3 = (int32_t)(word >> 24);
            const int8_t *wg = w + kg * 64;
            for (r = 0; r < rows; r++) {
                acc[r] += wg[4 * r] * q0 + wg[4 * r + 1] * q1 + wg[4 * r + 2] * q2 + wg[4 * r + 3] * q3;
            }
        }
        for (r = 0; r < rows; r++) {
            out[block * 16 + r] = (int16_t)rnnc_sat(rnnc_mbqm(acc[r], multiplier, shift), INT16_MIN, INT16_MAX);
        }
    }
#endif
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_fc_s8_s16_b16x4,
                    (const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out, int32_t in_size,
                     int32_t out_size, int32_t multiplier, int32_t shift),
                    (in, weight, bias, out, in_size, out_size, multiplier, shift))
#endif
