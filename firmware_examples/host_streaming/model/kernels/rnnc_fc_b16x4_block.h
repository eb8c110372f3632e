/*
 * rnnc_fc_b16x4_block.h - the output side of one 16-row block of the 16x4-packed int8 FCs
 * (rnnc_fc_s8_s16_b16x4.c, rnnc_fc_s8_s16_b16x4_signed.c), for their AVX2, NEON and portable
 * paths (header only): the block's biases into its accumulators, then its sums requantized,
 * saturated to int16 and stored. Rows past out_size (the last block's padding rows, whose
 * weights are zero) get no bias and are never stored.
 */
#ifndef RNNC_FC_B16X4_BLOCK_H
#define RNNC_FC_B16X4_BLOCK_H

#include <stdint.h>

#include "rnnc_common.h"
#include "rnnc_requantize.h"

#if RNNC_USE_AVX2 /* every x86 level */
#include <immintrin.h>
#include <string.h>

#include "rnnc_requantize_x8.h"

/* 8 rows (half a block) out of one accumulator: requantized, saturated to int16, the first n stored */
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

/* acc[0] and acc[1] = the biases of rows 0-7 and 8-15 of a block (0 past rows) */
static inline void rnnc_fc_block_bias_x8(const int32_t *bias, int32_t rows, __m256i acc[2])
{
    acc[0] = rnnc_fc_bias_x8(bias, rows);
    acc[1] = rnnc_fc_bias_x8(bias + 8, rows - 8);
}

/* the first rows of a block (acc[0]: rows 0-7, acc[1]: 8-15) requantized, saturated to int16
   and stored at out */
static inline void rnnc_fc_block_store_x8(int16_t *out, const __m256i acc[2], int32_t rows, int32_t multiplier,
                                          int32_t shift)
{
    rnnc_fc_store_x8(out, acc[0], rows, multiplier, shift);
    rnnc_fc_store_x8(out + 8, acc[1], rows - 8, multiplier, shift);
}
#endif

#if RNNC_USE_NEON
#include <arm_neon.h>

#include "rnnc_requantize_neon.h"

/* acc[c] = the biases of rows 4c..4c+3 (0 past rows) */
static inline void rnnc_fc_block_bias_neon(const int32_t *bias, int32_t rows, int32x4_t acc[4])
{
    int32_t b[16] = {0};
    int32_t r, c;
    for (r = 0; r < rows; r++) {
        b[r] = bias[r];
    }
    for (c = 0; c < 4; c++) {
        acc[c] = vld1q_s32(b + 4 * c);
    }
}

/* the first rows of acc requantized, saturated to int16 and stored at out */
static inline void rnnc_fc_block_store_neon(int16_t *out, const int32x4_t acc[4], int32_t rows, int32_t multiplier,
                                            int32_t shift)
{
    int32_t c, r;
    for (c = 0; c < 4; c++) {
        const int16x4_t o = vqmovn_s32(rnnc_mbqm_neon(acc[c], multiplier, shift));
        if (rows >= 4 * c + 4) {
            vst1_s16(out + 4 * c, o);
        } else {
            int16_t tmp[4];
            vst1_s16(tmp, o);
            for (r = 4 * c; r < rows; r++) {
                out[r] = tmp[r - 4 * c];
            }
        }
    }
}
#endif

/* acc[r] = the bias of row r (0 past rows) */
static inline void rnnc_fc_block_bias(const int32_t *bias, int32_t rows, int32_t acc[16])
{
    int32_t r;
    for (r = 0; r < 16; r++) {
        acc[r] = r < rows ? bias[r] : 0;
    }
}

/* the first rows of acc requantized, saturated to int16 and stored at out */
static inline void rnnc_fc_block_store(int16_t *out, const int32_t acc[16], int32_t rows, int32_t multiplier,
                                       int32_t shift)
{
    int32_t r;
    for (r = 0; r < rows; r++) {
        out[r] = (int16_t)rnnc_sat(rnnc_mbqm(acc[r], multiplier, shift), INT16_MIN, INT16_MAX);
    }
}

#endif /* RNNC_FC_B16X4_BLOCK_H */
