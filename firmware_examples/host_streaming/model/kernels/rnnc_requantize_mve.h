/*
 * rnnc_requantize_mve.h - rnnc_mbqm() (rnnc_requantize.h) on four int32 lanes with Helium
 * (header only; empty unless the MVE kernels are built). Bit-exact with the scalar helper:
 * tests/test_mve_requantize.py compares them lane for lane on an emulated Cortex-M55.
 */
#ifndef RNNC_REQUANTIZE_MVE_H
#define RNNC_REQUANTIZE_MVE_H

#include "rnnc_common.h"

#if RNNC_USE_MVE
#include <arm_mve.h>
#include <stdint.h>

/* VQSHL saturates the left shift, VQRDMULH is the saturating rounding doubling high multiply,
   and VRSHL after a -1 fix-up of negative lanes rounds half away from zero (VRSHL alone rounds
   half up). */
static inline int32x4_t rnnc_mbqm_mve(int32x4_t x, int32_t multiplier, int32_t shift)
{
    const int32x4_t left = vdupq_n_s32(shift > 0 ? shift : 0);
    const int32x4_t right = vdupq_n_s32(shift > 0 ? 0 : shift); /* negative: a right shift */
    const int32x4_t high = vqrdmulhq_n_s32(vqshlq_s32(x, left), multiplier);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(high, right), 31);
    return vrshlq_s32(vqaddq_s32(high, fixup), right);
}

/* lanes clamped into [lo, hi] */
static inline int32x4_t rnnc_clamp_mve(int32x4_t v, int32_t lo, int32_t hi)
{
    return vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi));
}

/* four int32 lanes stored as int8 / int16 (the values are already clamped to that range) */
static inline void rnnc_mve_store_s8(int8_t *p, int32x4_t v)
{
    vstrbq_s32(p, v);
}

static inline void rnnc_mve_store_s16(int16_t *p, int32x4_t v)
{
    vstrhq_s32(p, v);
}

/* four int8 / int16 values widened to int32 lanes */
static inline int32x4_t rnnc_mve_load_s8(const int8_t *p)
{
    return vldrbq_s32(p);
}

static inline int32x4_t rnnc_mve_load_s16(const int16_t *p)
{
    return vldrhq_s32(p);
}
#endif

#endif /* RNNC_REQUANTIZE_MVE_H */
