/*
 * rnnc_lut_mve.h - the int16 LUT sigmoid and tanh (rnnc_sigmoid_s16, rnnc_tanh_s16) on four
 * int32 lanes with Helium (header only; empty unless the MVE kernels are built). Two halfword
 * gathers (VLDRH with a shifted offset) fetch the interpolation points T[u] and T[u + 1];
 * every other step is the scalar kernel's integer arithmetic lane by lane, so the results
 * are bit-identical to it.
 */
#ifndef RNNC_LUT_MVE_H
#define RNNC_LUT_MVE_H

#include "rnnc_common.h"

#if RNNC_USE_MVE
#include <arm_mve.h>
#include <stdint.h>

#include "rnnc_sigmoid_table.h"

/* a = |v| with frac_bits 9 (sigmoid) or 8 (tanh): table interpolation; lanes with
   u = a >> frac_bits >= 255 are past the table and take the saturated value */
static inline uint32x4_t rnnc_lut_interp_mve(uint32x4_t a, int frac_bits, uint32_t saturated)
{
    const uint32x4_t u = frac_bits == 9 ? vshrq_n_u32(a, 9) : vshrq_n_u32(a, 8);
    const mve_pred16_t past = vcmpcsq_n_u32(u, 255u);
    const uint32x4_t idx = vminq_u32(u, vdupq_n_u32(254u));
    const uint32x4_t ua = vldrhq_gather_shifted_offset_u32(rnnc_sigmoid_table_u16, idx);
    const uint32x4_t ub = vldrhq_gather_shifted_offset_u32(rnnc_sigmoid_table_u16 + 1, idx);
    const uint32x4_t frac = vandq_u32(a, vdupq_n_u32((1u << frac_bits) - 1u));
    const uint32x4_t base = frac_bits == 9 ? vshlq_n_u32(ua, 9) : vshlq_n_u32(ua, 8);
    const uint32x4_t r = vaddq_u32(base, vmulq_u32(frac, vsubq_u32(ub, ua)));
    return vpselq_u32(vdupq_n_u32(saturated), r, past);
}

/* sigmoid of Q3.12 lanes (int16 values in int32 lanes) -> Q0.15 */
static inline int32x4_t rnnc_sigmoid_mve(int32x4_t x)
{
    const int32x4_t v = vmulq_n_s32(x, 3);
    const mve_pred16_t neg = vcmpltq_n_s32(v, 0);
    const uint32x4_t r = rnnc_lut_interp_mve(vreinterpretq_u32_s32(vabsq_s32(v)), 9, 0x7FFFu << 10);
    /* sigmoid(-x) = 1 - sigmoid(x) */
    const uint32x4_t s = vpselq_u32(vsubq_u32(vdupq_n_u32((1u << 25) + (1u << 9) - 1u), r),
                                    vaddq_u32(r, vdupq_n_u32(1u << 9)), neg);
    return vreinterpretq_s32_u32(vshrq_n_u32(s, 10));
}

/* tanh with TFLM's input shift L (see rnnc_tanh_s16.h) -> Q0.15 */
static inline int32x4_t rnnc_tanh_mve(int32x4_t x, int32_t input_left_shift)
{
    int32x4_t v, r;
    mve_pred16_t neg;
    if (input_left_shift >= 0) {
        v = vmulq_n_s32(x, 3 << input_left_shift);
    } else {
        /* floor((3x + round) / 2^s): VSHL by a negative count is an arithmetic right shift */
        const int32_t s = -input_left_shift;
        v = vshlq_s32(vaddq_s32(vmulq_n_s32(x, 3), vdupq_n_s32(1 << (s - 1))), vdupq_n_s32(-s));
    }
    neg = vcmpltq_n_s32(v, 0);
    r = vreinterpretq_s32_u32(rnnc_lut_interp_mve(vreinterpretq_u32_s32(vabsq_s32(v)), 8, 0xFFFFu << 8));
    /* tanh(-x) = -tanh(x) */
    r = vpselq_s32(vsubq_s32(vdupq_n_s32((1 << 23) + (1 << 7) - 1), r),
                   vsubq_s32(r, vdupq_n_s32((1 << 23) - (1 << 7))), neg);
    return vshrq_n_s32(r, 8);
}
#endif

#endif /* RNNC_LUT_MVE_H */
