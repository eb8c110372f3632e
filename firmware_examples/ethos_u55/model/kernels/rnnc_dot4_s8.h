/*
 * rnnc_dot4_s8.h - four rows of int8 weights times one int8 input vector, summed into int32: the
 * inner loop of the int8 FCs on plain rows (rnnc_fc_s8.c, rnnc_fc_s8_s16_rows.c) on Helium and on
 * the Arm DSP extension (header only; empty elsewhere). RNNC_DOT4_S8_STEP: the input count the
 * loop needs a multiple of (1: any, the last vector predicated). The sums cannot leave int32: the
 * quantizers refuse weights and inputs whose sums could.
 */
#ifndef RNNC_DOT4_S8_H
#define RNNC_DOT4_S8_H

#include <stdint.h>
#include <string.h>

#include "rnnc_common.h"
#include "rnnc_dsp_ext.h"

#if RNNC_USE_MVE
#include <arm_mve.h>

/* acc[0..3] += rows w0..w3 (row stride n) . in over inputs [0, n): VMLADAVA.S8 over 16 inputs
   per instruction; lanes past the row's end load as zero (tail predication) */
static inline void rnnc_dot4_s8(const int8_t *in, const int8_t *w0, int32_t n, int32_t acc[4])
{
    const int8_t *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t i;
    for (i = 0; i < n; i += 16) {
        const mve_pred16_t p = vctp8q((uint32_t)(n - i));
        const int8x16_t x = vldrbq_z_s8(in + i, p);
        a0 = vmladavaq_s8(a0, vldrbq_z_s8(w0 + i, p), x);
        a1 = vmladavaq_s8(a1, vldrbq_z_s8(w1 + i, p), x);
        a2 = vmladavaq_s8(a2, vldrbq_z_s8(w2 + i, p), x);
        a3 = vmladavaq_s8(a3, vldrbq_z_s8(w3 + i, p), x);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#define RNNC_DOT4_S8_STEP 1     /* predicated: every input is taken by the vector loop */
#elif RNNC_USE_DSP

/* acc[0..3] += rows w0..w3 (row stride n) . in over inputs [0, n - n % 4): SMLAD on the weights
   and the inputs sign-extended in pairs (SXTB16 of the even bytes, and of the odd ones rotated) */
static inline void rnnc_dot4_s8(const int8_t *in, const int8_t *w0, int32_t n, int32_t acc[4])
{
    const int8_t *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t i;
    for (i = 0; i + 4 <= n; i += 4) {
        uint32_t x, v0, v1, v2, v3, xe, xo;
        memcpy(&x, in + i, 4);
        memcpy(&v0, w0 + i, 4);
        memcpy(&v1, w1 + i, 4);
        memcpy(&v2, w2 + i, 4);
        memcpy(&v3, w3 + i, 4);
        xe = (uint32_t)__sxtb16((int32_t)x);     /* inputs 0 and 2 */
        xo = rnnc_sxtb16_ror8(x);                /* inputs 1 and 3 */
        a0 = __smlad((int32_t)__sxtb16((int32_t)v0), (int32_t)xe, a0);
        a0 = __smlad((int32_t)rnnc_sxtb16_ror8(v0), (int32_t)xo, a0);
        a1 = __smlad((int32_t)__sxtb16((int32_t)v1), (int32_t)xe, a1);
        a1 = __smlad((int32_t)rnnc_sxtb16_ror8(v1), (int32_t)xo, a1);
        a2 = __smlad((int32_t)__sxtb16((int32_t)v2), (int32_t)xe, a2);
        a2 = __smlad((int32_t)rnnc_sxtb16_ror8(v2), (int32_t)xo, a2);
        a3 = __smlad((int32_t)__sxtb16((int32_t)v3), (int32_t)xe, a3);
        a3 = __smlad((int32_t)rnnc_sxtb16_ror8(v3), (int32_t)xo, a3);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#define RNNC_DOT4_S8_STEP 4
#endif

#endif /* RNNC_DOT4_S8_H */
