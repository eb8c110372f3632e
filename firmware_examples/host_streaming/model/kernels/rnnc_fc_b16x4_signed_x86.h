/*
 * rnnc_fc_b16x4_signed_x86.h - the AVX2 block loops of rnnc_fc_s8_s16_b16x4_signed.c (header
 * only; empty unless an x86 path is built): 16-row blocks of the packed weights times the
 * inputs as they are, the kernel's driver adding the plain biases and requantizing.
 *
 * VPMADDUBSW multiplies unsigned bytes by signed bytes and adds each pair of products into an
 * int16, saturating: on the +128-offset inputs of rnnc_fc_s8_s16_b16x4 (up to 255) a pair can
 * reach 2 * 255 * 127 and saturate, which is why that kernel's AVX2 path widens the weights to
 * int16 first. Here the unsigned operand is |x| (at most 128) and the signed one the weight
 * with the sign of x (VPSIGNB: -w where x < 0, 0 where x = 0): the products are x * w, and a
 * pair is at most 2 * 128 * 127 = 32512 in magnitude, so it never saturates, provided no
 * weight is -128 (VPSIGNB cannot negate it). The emitter gives this kernel only weights in
 * [-127, 127], TFLite's int8 weight range. VPMADDWD by ones then adds the pairs into int32
 * lanes: 32 products per VPMADDUBSW, where the widening path needs two VPMOVSXBW and two
 * VPMADDWD (measured: the H = 256 recurrent FC about 25% faster).
 */
#ifndef RNNC_FC_B16X4_SIGNED_X86_H
#define RNNC_FC_B16X4_SIGNED_X86_H

#include "rnnc_common.h"
#include "rnnc_fc_b16x4_group.h"

#if RNNC_USE_AVX2 /* every x86 level */
#include <immintrin.h>
#include <string.h>

/* 8 rows x 4 inputs (32 weight bytes at w) times the group's inputs: each row's sum of four
   products in its int32 lane. ax = |x| and sx = x, the group's 4 bytes in every lane. */
RNNC_VECTOR_INLINE __m256i rnnc_fc_rows8_signed_x8(const int8_t *w, __m256i ax, __m256i sx)
{
    const __m256i pairs = _mm256_maddubs_epi16(ax, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)w), sx));
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

/* two blocks: acc[2b] += rows 0-7, acc[2b+1] += rows 8-15 of block b. Even and odd groups go
   to separate accumulators (eight chains), added at the end: int32 addition is exact in any
   order. */
static inline void rnnc_fc_pass_signed_x8(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4,
                                          __m256i acc[4])
{
    const int32_t full = in_size / 4, stride = k4 * 64;
    __m256i a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    __m256i b0 = _mm256_setzero_si256(), b1 = b0, b2 = b0, b3 = b0;
    int32_t kg;
    for (kg = 0; kg + 2 <= full; kg += 2, w += 128) { /* pairs of whole groups: 4-byte loads */
        int32_t even, odd;
        memcpy(&even, in + kg * 4, 4);
        memcpy(&odd, in + kg * 4 + 4, 4);
        {
            const __m256i se = _mm256_set1_epi32(even), so = _mm256_set1_epi32(odd);
            const __m256i ae = _mm256_abs_epi8(se), ao = _mm256_abs_epi8(so);
            a0 = _mm256_add_epi32(a0, rnnc_fc_rows8_signed_x8(w, ae, se));
            b0 = _mm256_add_epi32(b0, rnnc_fc_rows8_signed_x8(w + 64, ao, so));
            a1 = _mm256_add_epi32(a1, rnnc_fc_rows8_signed_x8(w + 32, ae, se));
            b1 = _mm256_add_epi32(b1, rnnc_fc_rows8_signed_x8(w + 96, ao, so));
            a2 = _mm256_add_epi32(a2, rnnc_fc_rows8_signed_x8(w + stride, ae, se));
            b2 = _mm256_add_epi32(b2, rnnc_fc_rows8_signed_x8(w + stride + 64, ao, so));
            a3 = _mm256_add_epi32(a3, rnnc_fc_rows8_signed_x8(w + stride + 32, ae, se));
            b3 = _mm256_add_epi32(b3, rnnc_fc_rows8_signed_x8(w + stride + 96, ao, so));
        }
    }
    for (; kg < k4; kg++, w += 64) { /* an odd last whole group, then the partial group */
        const __m256i sx = _mm256_set1_epi32((int32_t)rnnc_fc_word_s8(in, in_size, kg));
        const __m256i ax = _mm256_abs_epi8(sx);
        a0 = _mm256_add_epi32(a0, rnnc_fc_rows8_signed_x8(w, ax, sx));
        a1 = _mm256_add_epi32(a1, rnnc_fc_rows8_signed_x8(w + 32, ax, sx));
        a2 = _mm256_add_epi32(a2, rnnc_fc_rows8_signed_x8(w + stride, ax, sx));
        a3 = _mm256_add_epi32(a3, rnnc_fc_rows8_signed_x8(w + stride + 32, ax, sx));
    }
    acc[0] = _mm256_add_epi32(a0, b0);
    acc[1] = _mm256_add_epi32(a1, b1);
    acc[2] = _mm256_add_epi32(a2, b2);
    acc[3] = _mm256_add_epi32(a3, b3);
}

/* one block (the last of an odd count): acc[0] += rows 0-7, acc[1] += rows 8-15 */
static inline void rnnc_fc_block_signed_x8(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4,
                                           __m256i acc[2])
{
    __m256i a0 = acc[0], a1 = acc[1];
    int32_t kg;
    for (kg = 0; kg < k4; kg++, w += 64) {
        const __m256i sx = _mm256_set1_epi32((int32_t)rnnc_fc_word_s8(in, in_size, kg));
        const __m256i ax = _mm256_abs_epi8(sx);
        a0 = _mm256_add_epi32(a0, rnnc_fc_rows8_signed_x8(w, ax, sx));
        a1 = _mm256_add_epi32(a1, rnnc_fc_rows8_signed_x8(w + 32, ax, sx));
    }
    acc[0] = a0;
    acc[1] = a1;
}
#endif

#endif /* RNNC_FC_B16X4_SIGNED_X86_H */
