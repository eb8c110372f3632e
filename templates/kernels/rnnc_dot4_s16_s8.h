/*
 * rnnc_dot4_s16_s8.h - four rows of int8 weights times one int16 input vector, summed into int64:
 * the inner loop of the int16x8 FCs (rnnc_fc_s16_s16.c, rnnc_fc_s16.c) on Helium and on the Arm
 * DSP extension (header only; empty elsewhere). RNNC_DOT4_S16_STEP: the input count the loop
 * needs a multiple of (1: any, the last vector predicated).
 */
#ifndef RNNC_DOT4_S16_S8_H
#define RNNC_DOT4_S16_S8_H

#include <stdint.h>
#include <string.h>

#include "rnnc_common.h"
#include "rnnc_dsp_ext.h"

#if RNNC_USE_MVE
#include <arm_mve.h>

/* acc[0..3] += rows w0..w3 (row stride n) . in over inputs [i0, i1): int64 accumulators, so no
   chunking is needed; lanes past i1 load as zero (tail predication) */
static inline void rnnc_dot4_s16_s8(const int16_t *in, const int8_t *w0, int32_t n, int32_t i0, int32_t i1,
                                    int64_t acc[4])
{
    const int8_t *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
    int64_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t i;
    for (i = i0; i < i1; i += 8) {
        const mve_pred16_t p = vctp16q((uint32_t)(i1 - i));
        const int16x8_t x = vldrhq_z_s16(in + i, p);
        a0 = vmlaldavaq_s16(a0, vldrbq_z_s16(w0 + i, p), x);
        a1 = vmlaldavaq_s16(a1, vldrbq_z_s16(w1 + i, p), x);
        a2 = vmlaldavaq_s16(a2, vldrbq_z_s16(w2 + i, p), x);
        a3 = vmlaldavaq_s16(a3, vldrbq_z_s16(w3 + i, p), x);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#define RNNC_DOT4_S16_STEP 1     /* predicated: every input is taken by the vector loop */
#elif RNNC_USE_DSP

/* acc[0..3] += rows w0..w3 (row stride n) . in over inputs [i0, i1), i1 - i0 a multiple of 4:
   SXTB16 sign-extends weight bytes 0 and 2 (and, rotated, 1 and 3) into int16 pairs, the
   inputs are paired to match (x0 x2, x1 x3), SMLALD adds both products into int64 */
static inline void rnnc_dot4_s16_s8(const int16_t *in, const int8_t *w0, int32_t n, int32_t i0, int32_t i1,
                                    int64_t acc[4])
{
    const int8_t *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
    int64_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];   /* in registers, not through acc */
    int32_t i;
    for (i = i0; i < i1; i += 4) {
        uint32_t x01, x23, x02, x13, v0, v1, v2, v3;
        memcpy(&x01, in + i, 4);
        memcpy(&x23, in + i + 2, 4);
        memcpy(&v0, w0 + i, 4);
        memcpy(&v1, w1 + i, 4);
        memcpy(&v2, w2 + i, 4);
        memcpy(&v3, w3 + i, 4);
        x02 = (x01 & 0xFFFFu) | (x23 << 16);            /* PKHBT */
        x13 = (x23 & 0xFFFF0000u) | (x01 >> 16);        /* PKHTB */
        a0 = __smlald((int32_t)__sxtb16((int32_t)v0), (int32_t)x02, a0);
        a0 = __smlald((int32_t)rnnc_sxtb16_ror8(v0), (int32_t)x13, a0);
        a1 = __smlald((int32_t)__sxtb16((int32_t)v1), (int32_t)x02, a1);
        a1 = __smlald((int32_t)rnnc_sxtb16_ror8(v1), (int32_t)x13, a1);
        a2 = __smlald((int32_t)__sxtb16((int32_t)v2), (int32_t)x02, a2);
        a2 = __smlald((int32_t)rnnc_sxtb16_ror8(v2), (int32_t)x13, a2);
        a3 = __smlald((int32_t)__sxtb16((int32_t)v3), (int32_t)x02, a3);
        a3 = __smlald((int32_t)rnnc_sxtb16_ror8(v3), (int32_t)x13, a3);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#define RNNC_DOT4_S16_STEP 4
#endif

#endif /* RNNC_DOT4_S16_S8_H */
