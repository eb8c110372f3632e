/*
 * rnnc_math_neon_f32.h - exp, sigmoid and tanh on 4 float lanes with Arm64 NEON (header only;
 * empty unless the NEON kernels are built): the same range reduction and polynomial as the
 * AVX2 helpers (rnnc_math_x8_f32.h), relative error of exp about 1e-7.
 */
#ifndef RNNC_MATH_NEON_F32_H
#define RNNC_MATH_NEON_F32_H

#include "rnnc_common.h"

#if RNNC_USE_NEON
#include <arm_neon.h>

static inline float32x4_t rnnc_exp_neon(float32x4_t x)
{
    float32x4_t n, r, p;
    int32x4_t e;
    x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-87.0f)), vdupq_n_f32(88.0f));
    n = vrndnq_f32(vmulq_f32(x, vdupq_n_f32(1.44269504f)));
    r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
    r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
    p = vdupq_n_f32(1.0f / 720.0f);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 120.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 24.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f / 6.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(0.5f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    p = vfmaq_f32(vdupq_n_f32(1.0f), p, r);
    e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)), 23);
    return vmulq_f32(p, vreinterpretq_f32_s32(e));
}

/* 1 / (1 + e^-x) */
static inline float32x4_t rnnc_sigmoid_neon_f32(float32x4_t x)
{
    return vdivq_f32(vdupq_n_f32(1.0f), vaddq_f32(vdupq_n_f32(1.0f), rnnc_exp_neon(vnegq_f32(x))));
}

/* 1 - 2 / (1 + e^2x) */
static inline float32x4_t rnnc_tanh_neon_f32(float32x4_t x)
{
    const float32x4_t e = rnnc_exp_neon(vaddq_f32(x, x));
    return vsubq_f32(vdupq_n_f32(1.0f), vdivq_f32(vdupq_n_f32(2.0f), vaddq_f32(vdupq_n_f32(1.0f), e)));
}
#endif

#endif /* RNNC_MATH_NEON_F32_H */
