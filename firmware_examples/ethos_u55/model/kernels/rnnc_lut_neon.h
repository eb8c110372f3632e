/*
 * rnnc_lut_neon.h - the int16 LUT sigmoid and tanh (rnnc_sigmoid_s16, rnnc_tanh_s16) on four
 * int32 lanes with Arm64 NEON (header only; empty unless the NEON kernels are built). NEON has
 * no gather: each lane's interpolation points T[u] and T[u + 1] come from one 32-bit load at
 * byte offset 2u (low half T[u], high half T[u + 1]); every other step is the scalar kernel's
 * integer arithmetic lane by lane, so the results are bit-identical to it.
 */
#ifndef RNNC_LUT_NEON_H
#define RNNC_LUT_NEON_H

#include "rnnc_common.h"

#if RNNC_USE_NEON
#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

#include "rnnc_requantize_neon.h"
#include "rnnc_sigmoid_table.h"

/* the table pairs (T[u] | T[u + 1] << 16) of four indices */
static inline uint32x4_t rnnc_lut_pairs_neon(uint32x4_t idx)
{
    const unsigned char *t = (const unsigned char *)rnnc_sigmoid_table_u16;
    uint32_t p[4];
    memcpy(&p[0], t + 2u * vgetq_lane_u32(idx, 0), 4);
    memcpy(&p[1], t + 2u * vgetq_lane_u32(idx, 1), 4);
    memcpy(&p[2], t + 2u * vgetq_lane_u32(idx, 2), 4);
    memcpy(&p[3], t + 2u * vgetq_lane_u32(idx, 3), 4);
    return vld1q_u32(p);
}

/* a = |v| with frac_bits 9 (sigmoid) or 8 (tanh): table interpolation; lanes with
   u = a >> frac_bits >= 255 are past the table and take the saturated value */
static inline uint32x4_t rnnc_lut_interp_neon(uint32x4_t a, int frac_bits, uint32_t saturated)
{
    const uint32x4_t u = vshlq_u32(a, vdupq_n_s32(-frac_bits));
    const uint32x4_t past = vcgeq_u32(u, vdupq_n_u32(255u));
    const uint32x4_t pair = rnnc_lut_pairs_neon(vminq_u32(u, vdupq_n_u32(254u)));
    const uint32x4_t ua = vandq_u32(pair, vdupq_n_u32(0xFFFFu)), ub = vshrq_n_u32(pair, 16);
    const uint32x4_t frac = vandq_u32(a, vdupq_n_u32((1u << frac_bits) - 1u));
    const uint32x4_t r = vmlaq_u32(vshlq_u32(ua, vdupq_n_s32(frac_bits)), frac, vsubq_u32(ub, ua));
    return vbslq_u32(past, vdupq_n_u32(saturated), r);
}

/* sigmoid of Q3.12 lanes (int16 values in int32 lanes) -> Q0.15 */
static inline int32x4_t rnnc_sigmoid_neon(int32x4_t x)
{
    const int32x4_t v = vmulq_n_s32(x, 3);
    const uint32x4_t neg = vcltq_s32(v, vdupq_n_s32(0));
    const uint32x4_t r = rnnc_lut_interp_neon(vreinterpretq_u32_s32(vabsq_s32(v)), 9, 0x7FFFu << 10);
    /* sigmoid(-x) = 1 - sigmoid(x) */
    const uint32x4_t s = vbslq_u32(neg, vsubq_u32(vdupq_n_u32((1u << 25) + (1u << 9) - 1u), r),
                                   vaddq_u32(r, vdupq_n_u32(1u << 9)));
    return vreinterpretq_s32_u32(vshrq_n_u32(s, 10));
}

/* tanh with TFLM's input shift L (see rnnc_tanh_s16.h) -> Q0.15 */
static inline int32x4_t rnnc_tanh_neon(int32x4_t x, int32_t input_left_shift)
{
    int32x4_t v, r;
    uint32x4_t neg;
    if (input_left_shift >= 0) {
        v = vmulq_n_s32(x, 3 << input_left_shift);
    } else {
        /* floor((3x + round) / 2^s): SSHL by a negative count is an arithmetic right shift */
        const int32_t s = -input_left_shift;
        v = vshlq_s32(vaddq_s32(vmulq_n_s32(x, 3), vdupq_n_s32(1 << (s - 1))), vdupq_n_s32(-s));
    }
    neg = vcltq_s32(v, vdupq_n_s32(0));
    r = vreinterpretq_s32_u32(rnnc_lut_interp_neon(vreinterpretq_u32_s32(vabsq_s32(v)), 8, 0xFFFFu << 8));
    /* tanh(-x) = -tanh(x) */
    r = vbslq_s32(neg, vsubq_s32(vdupq_n_s32((1 << 23) + (1 << 7) - 1), r),
                  vsubq_s32(r, vdupq_n_s32((1 << 23) - (1 << 7))));
    return vshrq_n_s32(r, 8);
}

#endif

#endif /* RNNC_LUT_NEON_H */
