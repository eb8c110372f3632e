/*
 * rnnc_popcount_b16.h - code disagreements of interleaved binary rows, a vector of rows at once
 * (header only; the vector paths of rnnc_fc_s8_s16_wbab.c). Rows are stored in blocks of 16 with
 * word j of every row side by side (rnnc_types.h: planes[((i * words) + j) * 16 + row] within a
 * block), so one load gives word j of 16 (AVX-512), 8 (AVX2) or 4 (NEON) rows: a row group.
 *
 * rnnc_differ_group(planes, codes, mask, words, bits, act_bits, differ) sets, per lane (row),
 *   differ[4 * i + k] = sum_j popcount((planes_i[j] XOR codes_k[j]) AND mask[j])
 * for every weight plane i and input plane k (mask NULL: all ones); every weight word is loaded
 * once for all input planes.
 * Lane counts come from VPOPCNTD where the build has AVX512_VPOPCNTDQ (or the CPU has it, in the
 * AVX-512 level of the x86 run-time dispatch); otherwise per byte, from a 16-entry nibble table
 * (VPSHUFB), CNT (NEON) or SWAR (Helium): a byte gains at most 8 per word, so up to 31 words are
 * added in bytes before they are widened into the 32-bit lanes. Exact integers: any order gives
 * the sums of the portable loop.
 *
 * Each instruction set binds the few vector operations below; the loops are written once.
 */
#ifndef RNNC_POPCOUNT_B16_H
#define RNNC_POPCOUNT_B16_H

#include <stddef.h>
#include <stdint.h>

#include "rnnc_common.h"

#if RNNC_USE_AVX512 || RNNC_USE_AVX2 || RNNC_USE_NEON || RNNC_USE_MVE

/* the end of the next run of words whose byte counts fit one uint8 lane (31 * 8 = 248) */
#define RNNC_POPCOUNT_CHUNK_END(j, words) ((words) - (j) > 31 ? (j) + 31 : (words))

#if RNNC_USE_AVX512
#include <immintrin.h>
#define RNNC_GROUP_ROWS 16
typedef __m512i rnnc_group_t;    /* 16 rows' 32-bit lanes */
typedef __m512i rnnc_part_t;     /* partial counts: per lane (VPOPCNTD) or per byte */

static inline rnnc_group_t rnnc_group_load(const uint32_t *p)
{
    return _mm512_loadu_si512((const void *)p);
}

static inline rnnc_group_t rnnc_group_xor(rnnc_group_t x, uint32_t s)
{
    return _mm512_xor_si512(x, _mm512_set1_epi32((int32_t)s));
}

static inline rnnc_group_t rnnc_group_and(rnnc_group_t x, rnnc_group_t m)
{
    return _mm512_and_si512(x, m);
}

static inline rnnc_group_t rnnc_group_zero(void)
{
    return _mm512_setzero_si512();
}

#if defined(__AVX512VPOPCNTDQ__)
/* VPOPCNTD (Ice Lake, Zen 4 and later, where the build's flags enable it): counts per lane */
static inline rnnc_part_t rnnc_part_add(rnnc_part_t part, rnnc_group_t x)
{
    return _mm512_add_epi32(part, _mm512_popcnt_epi32(x));
}

static inline rnnc_group_t rnnc_part_widen(rnnc_group_t total, rnnc_part_t part)
{
    return _mm512_add_epi32(total, part);
}
#else
/* counts per byte by nibble table, widened by VPMADDUBSW (pairs, at most 496) and VPMADDWD */
static inline rnnc_part_t rnnc_part_add(rnnc_part_t part, rnnc_group_t x)
{
    const __m512i table = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
    const __m512i low = _mm512_set1_epi8(0x0F);
    return _mm512_add_epi8(part, _mm512_add_epi8(_mm512_shuffle_epi8(table, _mm512_and_si512(x, low)),
                                                 _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(x, 4), low))));
}

static inline rnnc_group_t rnnc_part_widen(rnnc_group_t total, rnnc_part_t part)
{
    return _mm512_add_epi32(total, _mm512_madd_epi16(_mm512_maddubs_epi16(part, _mm512_set1_epi8(1)),
                                                     _mm512_set1_epi16(1)));
}
#endif
#define rnnc_part_zero rnnc_group_zero

#if !defined(__AVX512VPOPCNTDQ__) && RNNC_X86_DISPATCH && defined(RNNC_ISA_BUILD)
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>
#define RNNC_RUNTIME_VPOPCNT 1
/* The AVX-512 level of the x86 run-time dispatch also covers CPUs without AVX512_VPOPCNTDQ
   (Skylake-X, Cascade Lake); where the CPU has it (Ice Lake, Zen 4 and later), one plane's
   counts take VPOPCNTD instead of the nibble table. Chosen once at start-up, like the level;
   RNNC_X86_VPOPCNT=0 in the environment keeps the nibble table (to measure or test it). */
static int rnnc_use_vpopcnt;

static void rnnc_choose_vpopcnt(void) __attribute__((constructor));
static void rnnc_choose_vpopcnt(void)
{
    unsigned int a, b, c, d;
    const char *env = getenv("RNNC_X86_VPOPCNT");
    rnnc_use_vpopcnt = __get_cpuid_count(7, 0, &a, &b, &c, &d) && ((c >> 14) & 1u) &&
                       !(env != NULL && strcmp(env, "0") == 0);
}

/* t + popcount((x XOR s) AND m) per lane, m NULL: all ones */
__attribute__((target("avx512vpopcntdq"))) static inline __m512i rnnc_vpopcnt_add(__m512i t, __m512i x, uint32_t s,
                                                                                   const __m512i *m)
{
    const __m512i y = _mm512_xor_si512(x, _mm512_set1_epi32((int32_t)s));
    return _mm512_add_epi32(t, _mm512_popcnt_epi32(m != NULL ? _mm512_and_si512(y, *m) : y));
}

/* rnnc_differ_plane (below) with VPOPCNTD: counts per lane, no byte runs. K (the input planes)
   is a constant where rnnc_differ_plane_vpopcnt inlines it: no tests on it in the loop. */
__attribute__((target("avx512vpopcntdq"))) static inline void rnnc_differ_plane_vpopcnt_k(
    const uint32_t *c, const uint32_t *codes, const uint32_t *mask, int32_t words, const int32_t K, __m512i *differ)
{
    __m512i t0 = _mm512_setzero_si512(), t1 = t0, t2 = t0, t3 = t0;
    int32_t j;
    if (mask == NULL) {
        for (j = 0; j < words; j++) {
            const __m512i x = _mm512_loadu_si512((const void *)(c + 16 * j));
            t0 = rnnc_vpopcnt_add(t0, x, codes[j], NULL);
            if (K > 1) {
                t1 = rnnc_vpopcnt_add(t1, x, codes[words + j], NULL);
            }
            if (K > 2) {
                t2 = rnnc_vpopcnt_add(t2, x, codes[2 * words + j], NULL);
            }
            if (K > 3) {
                t3 = rnnc_vpopcnt_add(t3, x, codes[3 * words + j], NULL);
            }
        }
    } else {
        for (j = 0; j < words; j++) {
            const __m512i x = _mm512_loadu_si512((const void *)(c + 16 * j));
            const __m512i m = _mm512_loadu_si512((const void *)(mask + 16 * j));
            t0 = rnnc_vpopcnt_add(t0, x, codes[j], &m);
            if (K > 1) {
                t1 = rnnc_vpopcnt_add(t1, x, codes[words + j], &m);
            }
            if (K > 2) {
                t2 = rnnc_vpopcnt_add(t2, x, codes[2 * words + j], &m);
            }
            if (K > 3) {
                t3 = rnnc_vpopcnt_add(t3, x, codes[3 * words + j], &m);
            }
        }
    }
    differ[0] = t0;
    differ[1] = t1;
    differ[2] = t2;
    differ[3] = t3;
}

__attribute__((target("avx512vpopcntdq"))) static void rnnc_differ_plane_vpopcnt(
    const uint32_t *c, const uint32_t *codes, const uint32_t *mask, int32_t words, int32_t act_bits, __m512i *differ)
{
    switch (act_bits) {
    case 1:
        rnnc_differ_plane_vpopcnt_k(c, codes, mask, words, 1, differ);
        break;
    case 2:
        rnnc_differ_plane_vpopcnt_k(c, codes, mask, words, 2, differ);
        break;
    case 3:
        rnnc_differ_plane_vpopcnt_k(c, codes, mask, words, 3, differ);
        break;
    default:
        rnnc_differ_plane_vpopcnt_k(c, codes, mask, words, 4, differ);
        break;
    }
}
#endif

#elif RNNC_USE_AVX2
#include <immintrin.h>
#define RNNC_GROUP_ROWS 8
typedef __m256i rnnc_group_t;
typedef __m256i rnnc_part_t;     /* per byte */

static inline rnnc_group_t rnnc_group_load(const uint32_t *p)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

static inline rnnc_group_t rnnc_group_xor(rnnc_group_t x, uint32_t s)
{
    return _mm256_xor_si256(x, _mm256_set1_epi32((int32_t)s));
}

static inline rnnc_group_t rnnc_group_and(rnnc_group_t x, rnnc_group_t m)
{
    return _mm256_and_si256(x, m);
}

static inline rnnc_group_t rnnc_group_zero(void)
{
    return _mm256_setzero_si256();
}

static inline rnnc_part_t rnnc_part_add(rnnc_part_t part, rnnc_group_t x)
{
    const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                           0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0F);
    return _mm256_add_epi8(part, _mm256_add_epi8(_mm256_shuffle_epi8(table, _mm256_and_si256(x, low)),
                                                 _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(x, 4), low))));
}

static inline rnnc_group_t rnnc_part_widen(rnnc_group_t total, rnnc_part_t part)
{
    return _mm256_add_epi32(total, _mm256_madd_epi16(_mm256_maddubs_epi16(part, _mm256_set1_epi8(1)),
                                                     _mm256_set1_epi16(1)));
}
#define rnnc_part_zero rnnc_group_zero

#else /* NEON, Helium: the same intrinsic names */
#if RNNC_USE_MVE
#include <arm_mve.h>
#else
#include <arm_neon.h>
#endif
#define RNNC_GROUP_ROWS 4
typedef uint32x4_t rnnc_group_t;

static inline rnnc_group_t rnnc_group_load(const uint32_t *p)
{
    return vld1q_u32(p);
}

static inline rnnc_group_t rnnc_group_xor(rnnc_group_t x, uint32_t s)
{
    return veorq_u32(x, vdupq_n_u32(s));
}

static inline rnnc_group_t rnnc_group_and(rnnc_group_t x, rnnc_group_t m)
{
    return vandq_u32(x, m);
}

static inline rnnc_group_t rnnc_group_zero(void)
{
    return vdupq_n_u32(0);
}

#if RNNC_USE_MVE
typedef uint32x4_t rnnc_part_t;  /* per byte (SWAR: Helium has no population count) */
#define rnnc_part_zero rnnc_group_zero

/* the set bits of each byte of four lanes at once: pairs, nibbles, bytes */
static inline rnnc_part_t rnnc_part_add(rnnc_part_t part, rnnc_group_t x)
{
    x = vsubq_u32(x, vandq_u32(vshrq_n_u32(x, 1), vdupq_n_u32(0x55555555u)));
    x = vaddq_u32(vandq_u32(x, vdupq_n_u32(0x33333333u)), vandq_u32(vshrq_n_u32(x, 2), vdupq_n_u32(0x33333333u)));
    return vaddq_u32(part, vandq_u32(vaddq_u32(x, vshrq_n_u32(x, 4)), vdupq_n_u32(0x0F0F0F0Fu)));
}

/* the four byte counts of each lane summed by one multiply (at most 4 * 248 < 256 * 4) */
static inline rnnc_group_t rnnc_part_widen(rnnc_group_t total, rnnc_part_t part)
{
    return vaddq_u32(total, vshrq_n_u32(vmulq_n_u32(part, 0x01010101u), 24));
}
#else
typedef uint8x16_t rnnc_part_t;  /* per byte (CNT) */

static inline rnnc_part_t rnnc_part_zero(void)
{
    return vdupq_n_u8(0);
}

static inline rnnc_part_t rnnc_part_add(rnnc_part_t part, rnnc_group_t x)
{
    return vaddq_u8(part, vcntq_u8(vreinterpretq_u8_u32(x)));
}

static inline rnnc_group_t rnnc_part_widen(rnnc_group_t total, rnnc_part_t part)
{
    return vpadalq_u16(total, vpaddlq_u8(part));
}
#endif
#endif

/* One weight plane c against up to 4 input planes (act_bits, constant per call: the branches on
   it are always predicted): differ[k] per lane. Named accumulators, so that they stay in registers. */
static inline void rnnc_differ_plane(const uint32_t *c, const uint32_t *codes, const uint32_t *mask, int32_t words,
                                     int32_t act_bits, rnnc_group_t *differ)
{
    rnnc_group_t t0 = rnnc_group_zero(), t1 = t0, t2 = t0, t3 = t0;
    int32_t j = 0;
    while (j < words) {
        const int32_t end = RNNC_POPCOUNT_CHUNK_END(j, words);
        rnnc_part_t p0 = rnnc_part_zero(), p1 = p0, p2 = p0, p3 = p0;
        for (; j < end; j++) {
            rnnc_group_t x = rnnc_group_load(c + 16 * j), m;
            if (mask == NULL) {
                p0 = rnnc_part_add(p0, rnnc_group_xor(x, codes[j]));
                if (act_bits > 1) {
                    p1 = rnnc_part_add(p1, rnnc_group_xor(x, codes[words + j]));
                }
                if (act_bits > 2) {
                    p2 = rnnc_part_add(p2, rnnc_group_xor(x, codes[2 * words + j]));
                }
                if (act_bits > 3) {
                    p3 = rnnc_part_add(p3, rnnc_group_xor(x, codes[3 * words + j]));
                }
                continue;
            }
            m = rnnc_group_load(mask + 16 * j);
            p0 = rnnc_part_add(p0, rnnc_group_and(rnnc_group_xor(x, codes[j]), m));
            if (act_bits > 1) {
                p1 = rnnc_part_add(p1, rnnc_group_and(rnnc_group_xor(x, codes[words + j]), m));
            }
            if (act_bits > 2) {
                p2 = rnnc_part_add(p2, rnnc_group_and(rnnc_group_xor(x, codes[2 * words + j]), m));
            }
            if (act_bits > 3) {
                p3 = rnnc_part_add(p3, rnnc_group_and(rnnc_group_xor(x, codes[3 * words + j]), m));
            }
        }
        t0 = rnnc_part_widen(t0, p0);
        t1 = rnnc_part_widen(t1, p1);
        t2 = rnnc_part_widen(t2, p2);
        t3 = rnnc_part_widen(t3, p3);
    }
    differ[0] = t0;
    differ[1] = t1;
    differ[2] = t2;
    differ[3] = t3;
}

/* every weight plane i of a row group: differ[4 * i + k] */
static inline void rnnc_differ_group(const uint32_t *planes, const uint32_t *codes, const uint32_t *mask,
                                     int32_t words, int32_t bits, int32_t act_bits, rnnc_group_t *differ)
{
    int32_t i;
    for (i = 0; i < bits; i++) {
#if defined(RNNC_RUNTIME_VPOPCNT)
        if (rnnc_use_vpopcnt) {
            rnnc_differ_plane_vpopcnt(planes + i * words * 16, codes, mask, words, act_bits, differ + 4 * i);
            continue;
        }
#endif
        rnnc_differ_plane(planes + i * words * 16, codes, mask, words, act_bits, differ + 4 * i);
    }
}

#endif /* vector paths */

#endif /* RNNC_POPCOUNT_B16_H */
