/*
 * rnnc_fc_s8_s16.c - int8 fully connected to int16 on 16x4-packed weights.
 *
 * Two implementations of the same integer arithmetic, chosen by the compiler's target:
 * - x86 AVX-512 VNNI (built with -mavx512vnni -mavx512bw, e.g. -march=native on such CPUs):
 *   one VPDPBUSD per 16 rows x 4 inputs, each lane accumulating one row exactly in int32;
 *   the input is the unsigned operand (x ^ 0x80 = x + 128), compensated in the bias.
 * - Arm DSP extension (Cortex-M4/M7/M33/M55): the 4 bytes of a row's group are sign-extended
 *   in pairs (SXTB16), the 4 offset inputs zero-extended in pairs (UXTB16, once per group), and
 *   two SMLADs accumulate the four products exactly in int32.
 * - portable C99 (every other target).
 * All give bit-identical results.
 */
#include "rnnc_fc_s8_s16.h"
#include "rnnc_common.h"
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

#if RNNC_USE_AVX512VNNI
#include <immintrin.h>
#include <string.h>

#include "rnnc_requantize_x16.h"

/* accumulate nb (1..4) consecutive 16-row blocks over all input groups */
static inline void rnnc_fc_blocks_vnni(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4,
                                       __m512i acc[4], int32_t nb)
{
    const int32_t full = in_size / 4;
    int32_t kg, b;
    for (kg = 0; kg < k4; kg++) {
        uint32_t word;
        __m512i xb;
        if (kg < full) {
            memcpy(&word, in + kg * 4, 4);
            word ^= 0x80808080u; /* x + 128 in every byte */
        } else {
            word = rnnc_fc_group_u8(in, in_size, kg);
        }
        xb = _mm512_set1_epi32((int32_t)word);
        for (b = 0; b < nb; b++) {
            acc[b] = _mm512_dpbusd_epi32(acc[b], xb, _mm512_loadu_si512(w + ((int32_t)b * k4 + kg) * 64));
        }
    }
}

void rnnc_fc_s8_s16(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                    int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
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
            rnnc_fc_blocks_vnni(in, in_size, weight + (int32_t)block * k4 * 64, k4, acc, 4);
        } else {
            for (b = 0; b < nb; b++) {
                rnnc_fc_blocks_vnni(in, in_size, weight + (int32_t)(block + b) * k4 * 64, k4, acc + b, 1);
            }
        }
        for (b = 0; b < nb; b++) {
            _mm256_mask_storeu_epi16(out + (block + b) * 16, m[b],
                                     _mm512_cvtsepi32_epi16(rnnc_mbqm_x16(acc[b], multiplier, shift)));
        }
    }
}

#elif RNNC_USE_DSP
#include <arm_acle.h>
#include <string.h>

/* rotate right by 8 bits (folds into SXTB16/UXTB16's rotate operand) */
static inline uint32_t rnnc_ror8(uint32_t v)
{
    return (v >> 8) | (v << 24);
}

/* the 4 inputs of group kg + 128, unpacked in pairs for SMLAD */
static inline void rnnc_fc_group_pairs(const int8_t *in, int32_t in_size, int32_t kg, uint32_t *x02, uint32_t *x13)
{
    uint32_t word;
    if (kg * 4 + 4 <= in_size) {
        memcpy(&word, in + kg * 4, 4);
        word ^= 0x80808080u;
    } else {
        word = rnnc_fc_group_u8(in, in_size, kg);
    }
    *x02 = __uxtb16(word);
    *x13 = __uxtb16(rnnc_ror8(word));
}

static inline int32_t rnnc_fc_mac4(const int8_t *w, uint32_t x02, uint32_t x13, int32_t acc)
{
    uint32_t wv;
    memcpy(&wv, w, 4);
    acc = __smlad(__sxtb16(wv), x02, acc);
    return __smlad(__sxtb16(rnnc_ror8(wv)), x13, acc);
}

void rnnc_fc_s8_s16(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                    int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
    const int32_t k4 = (in_size + 3) / 4;
    int32_t o, kg;
    uint32_t x02, x13;
    /* four rows at a time: accumulators stay in registers, one input word per group */
    for (o = 0; o < out_size; o += 4) {
        const int8_t *w = weight + (int32_t)(o / 16) * k4 * 64 + (o % 16) * 4;
        const int32_t n = out_size - o < 4 ? out_size - o : 4;
        int32_t a0 = bias[o];
        int32_t a1 = n > 1 ? bias[o + 1] : 0, a2 = n > 2 ? bias[o + 2] : 0, a3 = n > 3 ? bias[o + 3] : 0;
        for (kg = 0; kg < k4; kg++, w += 64) {
            rnnc_fc_group_pairs(in, in_size, kg, &x02, &x13);
            a0 = rnnc_fc_mac4(w, x02, x13, a0);
            a1 = rnnc_fc_mac4(w + 4, x02, x13, a1);  /* padding rows have zero weights */
            a2 = rnnc_fc_mac4(w + 8, x02, x13, a2);
            a3 = rnnc_fc_mac4(w + 12, x02, x13, a3);
        }
        out[o] = (int16_t)rnnc_sat(rnnc_mbqm(a0, multiplier, shift), INT16_MIN, INT16_MAX);
        if (n > 1) {
            out[o + 1] = (int16_t)rnnc_sat(rnnc_mbqm(a1, multiplier, shift), INT16_MIN, INT16_MAX);
        }
        if (n > 2) {
            out[o + 2] = (int16_t)rnnc_sat(rnnc_mbqm(a2, multiplier, shift), INT16_MIN, INT16_MAX);
        }
        if (n > 3) {
            out[o + 3] = (int16_t)rnnc_sat(rnnc_mbqm(a3, multiplier, shift), INT16_MIN, INT16_MAX);
        }
    }
}

#else /* portable C */

void rnnc_fc_s8_s16(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                    int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
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
}

#endif
