/*
 * rnnc_fc_b16x4_arm.h - the Arm block loops of rnnc_fc_s8_s16_b16x4.c (header only; empty
 * unless an Arm path is built): Arm64 SDOT and NEON, and the Cortex-M DSP extension; the
 * kernel's driver adds the bias and requantizes.
 */
#ifndef RNNC_FC_B16X4_ARM_H
#define RNNC_FC_B16X4_ARM_H

#include "rnnc_common.h"
#include "rnnc_fc_b16x4_group.h"

#if RNNC_USE_NEON
#include <arm_neon.h>
#include <string.h>

#include "rnnc_requantize_neon.h"

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
        const uint32_t word = rnnc_fc_word_u8(in, in_size, kg, full);
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
/* input j of a group times the 16 rows' weights for it (w16lo: rows 0-7, w16hi: rows 8-15,
   widened to int16), by-element SMLAL / SMLAL2 into the rows' int32 lanes: exact products
   |127 * 255| < 2^15 */
#define RNNC_FC_INPUT_NEON(wv, j)                                          \
    do {                                                                   \
        const int16x8_t w16lo = vmovl_s8(vget_low_s8(wv));                 \
        const int16x8_t w16hi = vmovl_high_s8(wv);                         \
        a0 = vmlal_lane_s16(a0, vget_low_s16(w16lo), q4, j);               \
        a1 = vmlal_high_lane_s16(a1, w16lo, q4, j);                        \
        a2 = vmlal_lane_s16(a2, vget_low_s16(w16hi), q4, j);               \
        a3 = vmlal_high_lane_s16(a3, w16hi, q4, j);                        \
    } while (0)

/* One 16-row block, acc[c] += rows 4c..4c+3. LD4 de-interleaves a group's 64 bytes (row r's
   four weights are bytes 4r..4r+3) into one vector per input, so each widened weight vector
   meets its input as a scalar lane and the row sums land in their lanes directly. */
static inline void rnnc_fc_block_neon(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4,
                                      int32x4_t acc[4])
{
    const int32_t full = in_size / 4;
    int32x4_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t kg;
    for (kg = 0; kg < k4; kg++, w += 64) {
        const int8x16x4_t v = vld4q_s8(w);
        const int16x4_t q4 = vreinterpret_s16_u16(vget_low_u16(vmovl_u8(vreinterpret_u8_u32(
            vdup_n_u32(rnnc_fc_word_u8(in, in_size, kg, full))))));
        RNNC_FC_INPUT_NEON(v.val[0], 0);
        RNNC_FC_INPUT_NEON(v.val[1], 1);
        RNNC_FC_INPUT_NEON(v.val[2], 2);
        RNNC_FC_INPUT_NEON(v.val[3], 3);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#undef RNNC_FC_INPUT_NEON
#endif
#elif RNNC_USE_DSP
#include <arm_acle.h>
#include <string.h>

#include "rnnc_dsp_ext.h"

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

#endif /* RNNC_FC_B16X4_ARM_H */
