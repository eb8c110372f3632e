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
 *   (|255 * 127 * 2| < 2^31), then the pairs of each row summed once per block. (The int8
 *   steps' AVX2 level calls rnnc_fc_s8_s16_b16x4_signed on the same weights instead where the
 *   output carries its plain biases: VPMADDUBSW, 32 products an instruction; rnnc_gate_fc_s8.h.)
 * - Arm64 SDOT (Armv8.2-A dot product, e.g. -march=armv8.2-a+dotprod): one SDOT per 4 rows x
 *   4 inputs, the offset inputs split into two signed halves (see rnnc_fc_block_neon);
 * - Arm64 NEON without SDOT: the weights de-interleaved by LD4, widened to int16 and
 *   multiplied-accumulated by by-element SMLAL (one input lane per weight vector);
 *   requantization four lanes at a time (rnnc_requantize_neon.h);
 * - Arm DSP extension (Cortex-M4/M7/M33/M55): the 4 bytes of a row's group are sign-extended
 *   in pairs (SXTB16), the 4 offset inputs zero-extended in pairs (UXTB16, once per group), and
 *   two SMLADs accumulate the four products exactly in int32.
 * - portable C99 (every other target).
 * All give bit-identical results. The block loops of each family are in rnnc_fc_b16x4_x86.h
 * and rnnc_fc_b16x4_arm.h; this file adds the bias, requantizes and stores.
 */
#include "rnnc_common.h"
#include "rnnc_dispatch_x86.h"
#include "rnnc_fc_s8_s16_b16x4.h"
#include "rnnc_fc_b16x4_arm.h"
#include "rnnc_fc_b16x4_block.h"
#include "rnnc_fc_b16x4_group.h"
#include "rnnc_fc_b16x4_x86.h"
#include "rnnc_requantize.h"

/* GCC at -O3 unrolls the portable path's 16-row loop into scalar code before its vectorizer sees
   it (twice as slow as -O2's vector code on x86-64), so x86-64 builds compile this kernel as at
   -O2 whatever the flags (Cortex-M builds keep theirs: -Os stays -Os). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((optimize("O2")))
#endif
void RNNC_ISA_FN(rnnc_fc_s8_s16_b16x4)(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                                       int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
#if RNNC_USE_AVX512VNNI
    const int32_t k4 = (in_size + 3) / 4;
    const int32_t blocks = (out_size + 15) / 16;
    int32_t block, b;
    for (block = 0; block < blocks; block += RNNC_FC_X16_BLOCKS) {
        const int32_t nb = blocks - block < RNNC_FC_X16_BLOCKS ? blocks - block : RNNC_FC_X16_BLOCKS;
        __m512i acc[RNNC_FC_X16_BLOCKS];
        __mmask16 m[RNNC_FC_X16_BLOCKS];
        for (b = 0; b < nb; b++) {
            const int32_t rows = out_size - (block + b) * 16 < 16 ? out_size - (block + b) * 16 : 16;
            m[b] = (__mmask16)((1u << rows) - 1u);
            acc[b] = _mm512_maskz_loadu_epi32(m[b], bias + (block + b) * 16);
        }
        if (nb == RNNC_FC_X16_BLOCKS) {
            rnnc_fc_pass_vnni(in, in_size, weight + (int32_t)block * k4 * 64, k4, acc);
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
            rnnc_fc_block_bias_x8(bias + (block + b) * 16, out_size - (block + b) * 16, acc + 2 * b);
        }
        if (nb == RNNC_FC_X8_BLOCKS) {
            rnnc_fc_pass_x8(in, in_size, weight + (int32_t)block * k4 * 64, k4, acc);
        } else {
            for (b = 0; b < nb; b++) {
                rnnc_fc_block_x8(in, in_size, weight + (int32_t)(block + b) * k4 * 64, k4, acc + 2 * b);
            }
        }
        for (b = 0; b < nb; b++) {
            rnnc_fc_block_store_x8(out + (block + b) * 16, acc + 2 * b, out_size - (block + b) * 16, multiplier,
                                   shift);
        }
    }
#elif RNNC_USE_NEON
    const int32_t k4 = (in_size + 3) / 4;
    int32_t block;
    for (block = 0; block * 16 < out_size; block++) {
        const int32_t rows = out_size - block * 16 < 16 ? out_size - block * 16 : 16;
        int32x4_t acc[4];
        rnnc_fc_block_bias_neon(bias + block * 16, rows, acc);
        rnnc_fc_block_neon(in, in_size, weight + (int32_t)block * k4 * 64, k4, acc);
        rnnc_fc_block_store_neon(out + block * 16, acc, rows, multiplier, shift);
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
        rnnc_fc_block_bias(bias + block * 16, rows, acc);
        for (kg = 0; kg < k4; kg++) {
            const uint32_t word = rnnc_fc_group_u8(in, in_size, kg);
            const int32_t q0 = (int32_t)(word & 0xFFu), q1 = (int32_t)((word >> 8) & 0xFFu);
            const int32_t q2 = (int32_t)((word >> 16) & 0xFFu), q3 = (int32_t)(word >> 24);
            const int8_t *wg = w + kg * 64;
            /* all 16 rows of the block, a fixed count that compilers vectorize at -O2 and -O3 */
            for (r = 0; r < 16; r++) {
                acc[r] += wg[4 * r] * q0 + wg[4 * r + 1] * q1 + wg[4 * r + 2] * q2 + wg[4 * r + 3] * q3;
            }
        }
        rnnc_fc_block_store(out + block * 16, acc, rows, multiplier, shift);
    }
#endif
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_fc_s8_s16_b16x4,
                    (const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out, int32_t in_size,
                     int32_t out_size, int32_t multiplier, int32_t shift),
                    (in, weight, bias, out, in_size, out_size, multiplier, shift))
#endif
