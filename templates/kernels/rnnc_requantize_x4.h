/*
 * rnnc_requantize_x4.h - four-lane helpers shared by the Arm64 NEON and the Helium (MVE) paths of
 * kernels whose 4-row loops are written once for both (header only; empty unless one of them is
 * built). Most intrinsic names are common to arm_neon.h and arm_mve.h; the few that differ are
 * named here once.
 */
#ifndef RNNC_REQUANTIZE_X4_H
#define RNNC_REQUANTIZE_X4_H

#include "rnnc_common.h"
#include "rnnc_requantize_mve.h"
#include "rnnc_requantize_neon.h"

#if RNNC_USE_MVE || RNNC_USE_NEON
#include <stdint.h>

/* four int16 widened to int32 lanes; four lanes saturated to int16 and stored; rnnc_mbqm() with
   one multiplier and shift */
#if RNNC_USE_MVE
#define rnnc_x4_load_s16(p) vldrhq_s32(p)
#define rnnc_x4_store_sat_s16(p, v) rnnc_mve_store_s16((p), rnnc_clamp_mve((v), INT16_MIN, INT16_MAX))
#define rnnc_x4_mbqm(x, m, s) rnnc_mbqm_mve((x), (m), (s))
#else
#define rnnc_x4_load_s16(p) rnnc_neon_load_s16(p)
#define rnnc_x4_store_sat_s16(p, v) rnnc_neon_store_s16((p), rnnc_clamp_neon((v), INT16_MIN, INT16_MAX))
#define rnnc_x4_mbqm(x, m, s) rnnc_mbqm_neon((x), (m), (s))
#endif

/* rnnc_mbqm() on 4 lanes with their own multipliers and shifts (rows with their own scales), the
   same instructions as rnnc_mbqm_neon / rnnc_mbqm_mve */
static inline int32x4_t rnnc_x4_mbqm_rows(int32x4_t x, int32x4_t multiplier, int32x4_t shift)
{
    const int32x4_t left = vmaxq_s32(shift, vdupq_n_s32(0));
    const int32x4_t right = vminq_s32(shift, vdupq_n_s32(0)); /* negative: a right shift */
    const int32x4_t high = vqrdmulhq_s32(vqshlq_s32(x, left), multiplier);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(high, right), 31);
    return vrshlq_s32(vqaddq_s32(high, fixup), right);
}
#endif

#endif /* RNNC_REQUANTIZE_X4_H */
