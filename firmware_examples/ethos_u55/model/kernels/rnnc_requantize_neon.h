/*
 * rnnc_requantize_neon.h - rnnc_mbqm() (rnnc_requantize.h) on four int32 lanes with Arm64
 * NEON (header only; empty unless the NEON kernels are built). The same instruction sequence
 * as the Helium helper (rnnc_requantize_mve.h): SQSHL saturates the left shift, SQRDMULH is
 * the saturating rounding doubling high multiply, and SRSHL after a -1 fix-up of negative
 * lanes rounds half away from zero (SRSHL alone rounds half up). Bit-exact with the scalar
 * helper (the aarch64 tests compare whole models under qemu-aarch64). Also the lane helpers
 * the NEON element-wise paths share: clamp, widening loads, narrowing stores.
 */
#ifndef RNNC_REQUANTIZE_NEON_H
#define RNNC_REQUANTIZE_NEON_H

#include "rnnc_common.h"

#if RNNC_USE_NEON
#include <arm_neon.h>
#include <stdint.h>
#include <string.h>

static inline int32x4_t rnnc_mbqm_neon(int32x4_t x, int32_t multiplier, int32_t shift)
{
    const int32x4_t left = vdupq_n_s32(shift > 0 ? shift : 0);
    const int32x4_t right = vdupq_n_s32(shift > 0 ? 0 : shift); /* negative: a right shift */
    const int32x4_t high = vqrdmulhq_n_s32(vqshlq_s32(x, left), multiplier);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(high, right), 31);
    return vrshlq_s32(vqaddq_s32(high, fixup), right);
}

/* lanes clamped into [lo, hi] */
static inline int32x4_t rnnc_clamp_neon(int32x4_t v, int32_t lo, int32_t hi)
{
    return vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

/* four int16 / int8 values widened to int32 lanes, and back (values already in range) */
static inline int32x4_t rnnc_neon_load_s16(const int16_t *p)
{
    return vmovl_s16(vld1_s16(p));
}

static inline int32x4_t rnnc_neon_load_s8(const int8_t *p)
{
    int8_t b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(b, p, 4);
    return vmovl_s16(vget_low_s16(vmovl_s8(vld1_s8(b))));
}

static inline void rnnc_neon_store_s16(int16_t *p, int32x4_t v)
{
    vst1_s16(p, vmovn_s32(v));
}

static inline void rnnc_neon_store_s8(int8_t *p, int32x4_t v)
{
    const int8x8_t b = vmovn_s16(vcombine_s16(vmovn_s32(v), vmovn_s32(v)));
    const uint32_t word = vget_lane_u32(vreinterpret_u32_s8(b), 0);
    memcpy(p, &word, 4);
}
#endif

#endif /* RNNC_REQUANTIZE_NEON_H */
