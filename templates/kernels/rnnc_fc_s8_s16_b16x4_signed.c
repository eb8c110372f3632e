/*
 * rnnc_fc_s8_s16_b16x4_signed.c - int8 fully connected to int16 on 16x4-packed weights, the
 * inputs signed as they are (rnnc_fc_s8_s16_b16x4_signed.h). One function, its paths inside
 * it, chosen by the compiler's target (rnnc_common.h):
 * - Arm64 SDOT (Armv8.2-A dot product): one SDOT per 4 rows x 4 inputs; even and odd groups
 *   in separate accumulators (eight chains), added at the end;
 * - Arm64 NEON without SDOT: SMULL / SMULL2 multiply 16 weight bytes (4 rows x 4 inputs) by
 *   the group's 4 inputs repeated, exact in int16 (|-128 * -128| < 2^15), and SADALP adds each
 *   pair of products into an int32 lane; one ADDP per block gives each row its sum;
 * - x86 AVX2 (every x86 level, chosen at run time like every dispatched kernel): VPMADDUBSW of
 *   |x| by the weights with the signs of x, 32 products per instruction (rnnc_fc_b16x4_signed_x86.h);
 *   the x86 steps call this kernel at their AVX2 level (rnnc_gate_fc_s8.h);
 * - portable C99 (every other target: an output for Arm64 compiled elsewhere still runs).
 * All give bit-identical results (int32 addition is exact in any order); the biases, the
 * requantization and the int16 store are those of rnnc_fc_s8_s16_b16x4 (rnnc_fc_b16x4_block.h).
 */
#include <string.h>

#include "rnnc_common.h"
#include "rnnc_dispatch_x86.h"
#include "rnnc_fc_b16x4_block.h"
#include "rnnc_fc_b16x4_group.h"
#include "rnnc_fc_b16x4_signed_x86.h"
#include "rnnc_fc_s8_s16_b16x4_signed.h"

#if RNNC_USE_NEON
#include <arm_neon.h>
#endif

#if RNNC_USE_NEON
/* the group's 4 inputs in every 32-bit lane: a full group (one 4-byte load), or the partial
   last one */
static inline int8x16_t rnnc_fc_inputs_s8(const int8_t *in, int32_t in_size, int32_t kg)
{
    return vreinterpretq_s8_u32(vdupq_n_u32(rnnc_fc_word_s8(in, in_size, kg)));
}

static inline int8x16_t rnnc_fc_full_inputs_s8(const int8_t *in, int32_t kg)
{
    uint32_t word;
    memcpy(&word, in + kg * 4, 4);
    return vreinterpretq_s8_u32(vdupq_n_u32(word));
}

#if RNNC_USE_SDOT
/* one 16-row block: acc[c] += rows 4c..4c+3 */
static inline void rnnc_fc_block_signed_neon(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4,
                                             int32x4_t acc[4])
{
    int32x4_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32x4_t b0 = vdupq_n_s32(0), b1 = b0, b2 = b0, b3 = b0;
    const int32_t full = in_size / 4;
    int32_t kg;
    for (kg = 0; kg + 2 <= full; kg += 2, w += 128) { /* pairs of whole groups */
        const int8x16_t xe = rnnc_fc_full_inputs_s8(in, kg), xo = rnnc_fc_full_inputs_s8(in, kg + 1);
        a0 = vdotq_s32(a0, vld1q_s8(w), xe);
        a1 = vdotq_s32(a1, vld1q_s8(w + 16), xe);
        a2 = vdotq_s32(a2, vld1q_s8(w + 32), xe);
        a3 = vdotq_s32(a3, vld1q_s8(w + 48), xe);
        b0 = vdotq_s32(b0, vld1q_s8(w + 64), xo);
        b1 = vdotq_s32(b1, vld1q_s8(w + 80), xo);
        b2 = vdotq_s32(b2, vld1q_s8(w + 96), xo);
        b3 = vdotq_s32(b3, vld1q_s8(w + 112), xo);
    }
    for (; kg < k4; kg++, w += 64) { /* an odd last whole group, then the partial group */
        const int8x16_t x = rnnc_fc_inputs_s8(in, in_size, kg);
        a0 = vdotq_s32(a0, vld1q_s8(w), x);
        a1 = vdotq_s32(a1, vld1q_s8(w + 16), x);
        a2 = vdotq_s32(a2, vld1q_s8(w + 32), x);
        a3 = vdotq_s32(a3, vld1q_s8(w + 48), x);
    }
    acc[0] = vaddq_s32(a0, b0);
    acc[1] = vaddq_s32(a1, b1);
    acc[2] = vaddq_s32(a2, b2);
    acc[3] = vaddq_s32(a3, b3);
}
#else
/* 4 rows x 4 inputs (16 weight bytes) times the inputs: pairs of products into lo (rows 0, 1)
   and hi (rows 2, 3), two int32 lanes per row */
#define RNNC_FC_QUAD_NEON(lo, hi, wv, x)                                  \
    do {                                                                  \
        lo = vpadalq_s16(lo, vmull_s8(vget_low_s8(wv), vget_low_s8(x)));  \
        hi = vpadalq_s16(hi, vmull_high_s8(wv, x));                       \
    } while (0)

/* one group: 16 rows x 4 inputs */
#define RNNC_FC_GROUP_NEON(x, w)                                          \
    do {                                                                  \
        const int8x16x4_t v_ = vld1q_s8_x4(w);                            \
        RNNC_FC_QUAD_NEON(p0, p1, v_.val[0], x);                          \
        RNNC_FC_QUAD_NEON(p2, p3, v_.val[1], x);                          \
        RNNC_FC_QUAD_NEON(p4, p5, v_.val[2], x);                          \
        RNNC_FC_QUAD_NEON(p6, p7, v_.val[3], x);                          \
    } while (0)

/* one 16-row block: acc[c] += rows 4c..4c+3 */
static inline void rnnc_fc_block_signed_neon(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4,
                                             int32x4_t acc[4])
{
    int32x4_t p0 = vdupq_n_s32(0), p1 = p0, p2 = p0, p3 = p0, p4 = p0, p5 = p0, p6 = p0, p7 = p0;
    const int32_t full = in_size / 4;
    int32_t kg;
    for (kg = 0; kg < full; kg++, w += 64) {
        const int8x16_t x = rnnc_fc_full_inputs_s8(in, kg);
        RNNC_FC_GROUP_NEON(x, w);
    }
    if (full < k4) { /* the partial last group */
        const int8x16_t x = rnnc_fc_inputs_s8(in, in_size, full);
        RNNC_FC_GROUP_NEON(x, w);
    }
    /* ADDP: each row's two lanes, rows in order */
    acc[0] = vaddq_s32(acc[0], vpaddq_s32(p0, p1));
    acc[1] = vaddq_s32(acc[1], vpaddq_s32(p2, p3));
    acc[2] = vaddq_s32(acc[2], vpaddq_s32(p4, p5));
    acc[3] = vaddq_s32(acc[3], vpaddq_s32(p6, p7));
}
#undef RNNC_FC_GROUP_NEON
#undef RNNC_FC_QUAD_NEON
#endif
#endif

void RNNC_ISA_FN(rnnc_fc_s8_s16_b16x4_signed)(const int8_t *in, const int8_t *weight, const int32_t *bias,
                                              int16_t *out, int32_t in_size, int32_t out_size, int32_t multiplier,
                                              int32_t shift)
{
    const int32_t k4 = (in_size + 3) / 4;
#if RNNC_USE_AVX2
    const int32_t blocks = (out_size + 15) / 16;
    int32_t block, b;
    for (block = 0; block < blocks; block += 2) { /* two blocks a pass, one where a single block is left */
        const int32_t nb = blocks - block < 2 ? blocks - block : 2;
        __m256i acc[4];
        for (b = 0; b < nb; b++) {
            rnnc_fc_block_bias_x8(bias + (block + b) * 16, out_size - (block + b) * 16, acc + 2 * b);
        }
        if (nb == 2) {
            rnnc_fc_pass_signed_x8(in, in_size, weight + (int32_t)block * k4 * 64, k4, acc);
        } else {
            rnnc_fc_block_signed_x8(in, in_size, weight + (int32_t)block * k4 * 64, k4, acc);
        }
        for (b = 0; b < nb; b++) {
            rnnc_fc_block_store_x8(out + (block + b) * 16, acc + 2 * b, out_size - (block + b) * 16, multiplier,
                                   shift);
        }
    }
#elif RNNC_USE_NEON
    int32_t block;
    for (block = 0; block * 16 < out_size; block++) {
        const int32_t rows = out_size - block * 16 < 16 ? out_size - block * 16 : 16;
        int32x4_t acc[4];
        rnnc_fc_block_bias_neon(bias + block * 16, rows, acc);
        rnnc_fc_block_signed_neon(in, in_size, weight + (int32_t)block * k4 * 64, k4, acc);
        rnnc_fc_block_store_neon(out + block * 16, acc, rows, multiplier, shift);
    }
#else /* portable C */
    int32_t block, kg, r;
    for (block = 0; block * 16 < out_size; block++) {
        const int32_t rows = out_size - block * 16 < 16 ? out_size - block * 16 : 16;
        const int8_t *w = weight + (int32_t)block * k4 * 64;
        int32_t acc[16];
        rnnc_fc_block_bias(bias + block * 16, rows, acc);
        for (kg = 0; kg < k4; kg++) {
            const int32_t i = kg * 4; /* inputs beyond in_size count as 0 */
            const int32_t x0 = i < in_size ? in[i] : 0, x1 = i + 1 < in_size ? in[i + 1] : 0;
            const int32_t x2 = i + 2 < in_size ? in[i + 2] : 0, x3 = i + 3 < in_size ? in[i + 3] : 0;
            const int8_t *wg = w + kg * 64;
            /* all 16 rows of the block, a fixed count that compilers vectorize at -O2 and -O3 */
            for (r = 0; r < 16; r++) {
                acc[r] += wg[4 * r] * x0 + wg[4 * r + 1] * x1 + wg[4 * r + 2] * x2 + wg[4 * r + 3] * x3;
            }
        }
        rnnc_fc_block_store(out + block * 16, acc, rows, multiplier, shift);
    }
#endif
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_fc_s8_s16_b16x4_signed,
                    (const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out, int32_t in_size,
                     int32_t out_size, int32_t multiplier, int32_t shift),
                    (in, weight, bias, out, in_size, out_size, multiplier, shift))
#endif
