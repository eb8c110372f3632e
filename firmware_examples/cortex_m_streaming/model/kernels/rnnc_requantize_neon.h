/*
 * rnnc_requantize_neon.h - rnnc_mbqm() (rnnc_requantize.h) on four int32 lanes with Arm64
 * NEON (header only; empty unless the NEON kernels are built). The same instruction sequence
 * as the Helium helper (rnnc_requantize_mve.h): SQSHL saturates the left shift, SQRDMULH is
 * the saturating rounding doubling high multiply, and SRSHL after a -1 fix-up of negative
 * lanes rounds half away from zero (SRSHL alone rounds half up). Bit-exact with the scalar
 * helper (the aarch64 tests compare whole models under qemu-aarch64).
 */
#ifndef RNNC_REQUANTIZE_NEON_H
#define RNNC_REQUANTIZE_NEON_H

#include "rnnc_common.h"

#if RNNC_USE_NEON
#include <arm_neon.h>
#include <stdint.h>

static inline int32x4_t rnnc_mbqm_neon(int32x4_t x, int32_t multiplier, int32_t shift)
{
    const int32x4_t left = vdupq_n_s32(shift > 0 ? shift : 0);
    const int32x4_t right = vdupq_n_s32(shift > 0 ? 0 : shift); /* negative: a right shift */
    const int32x4_t high = vqrdmulhq_n_s32(vqshlq_s32(x, left), multiplier);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(high, right), 31);
    return vrshlq_s32(vqaddq_s32(high, fixup), right);
}
#endif

#endif /* RNNC_REQUANTIZE_NEON_H */
