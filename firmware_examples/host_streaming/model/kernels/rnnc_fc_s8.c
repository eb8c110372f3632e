/*
 * rnnc_fc_s8.c - int8 fully connected, int8 output (rnnc_fc_s8.h), the dense layers:
 * - Helium (Cortex-M55): four rows at a time, VMLADAVA.S8 over 16 inputs per instruction, the
 *   last partial vector predicated (tail-predicated loads read nothing beyond a row);
 * - Arm DSP extension (Cortex-M4/M7/M33): four rows at a time, SMLAD on the weights and the
 *   inputs sign-extended in pairs (SXTB16 of the even bytes, and of the odd ones rotated);
 * - portable C99 (compilers vectorize it on hosts).
 * All give bit-identical results: integer sums (the quantizer refuses weights and inputs whose
 * sums could leave int32), the same requantization.
 */
#include <string.h>

#include "rnnc_common.h"
#include "rnnc_dsp_ext.h"
#include "rnnc_fc_s8.h"
#include "rnnc_requantize.h"

#if RNNC_USE_MVE
#include <arm_mve.h>
#endif

static inline int8_t rnnc_fc_s8_out(const rnnc_fc_s8_params_t *p, int32_t o, int32_t acc)
{
    acc = rnnc_mbqm(acc, p->multiplier[o], p->shift[o]);
    return (int8_t)rnnc_sat((int64_t)acc + p->output_zero_point, p->act_min, p->act_max);
}

#if RNNC_USE_MVE || RNNC_USE_DSP
/* rows [o, o + 4): their sums (bias included) into acc[0..3], on the paths that have a 4-row loop */
static inline void rnnc_fc_s8_rows4(const rnnc_fc_s8_params_t *p, const int8_t *in, int32_t o, int32_t acc[4])
{
    const int32_t n = p->in_size;
    const int8_t *w0 = p->weight + o * n, *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
    int32_t a0 = p->bias[o], a1 = p->bias[o + 1], a2 = p->bias[o + 2], a3 = p->bias[o + 3];
    int32_t i = 0;
#if RNNC_USE_MVE
    for (; i < n; i += 16) {
        const mve_pred16_t pr = vctp8q((uint32_t)(n - i));  /* lanes past the row's end load as zero */
        const int8x16_t x = vldrbq_z_s8(in + i, pr);
        a0 = vmladavaq_s8(a0, vldrbq_z_s8(w0 + i, pr), x);
        a1 = vmladavaq_s8(a1, vldrbq_z_s8(w1 + i, pr), x);
        a2 = vmladavaq_s8(a2, vldrbq_z_s8(w2 + i, pr), x);
        a3 = vmladavaq_s8(a3, vldrbq_z_s8(w3 + i, pr), x);
    }
#elif RNNC_USE_DSP
    for (; i + 4 <= n; i += 4) {
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
#endif
    for (; i < n; i++) {
        a0 += (int32_t)w0[i] * in[i];
        a1 += (int32_t)w1[i] * in[i];
        a2 += (int32_t)w2[i] * in[i];
        a3 += (int32_t)w3[i] * in[i];
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

void rnnc_fc_s8(const rnnc_fc_s8_params_t *p, const int8_t *in, int8_t *out)
{
    int32_t o = 0, i;
#if RNNC_USE_MVE || RNNC_USE_DSP
    for (; o + 4 <= p->out_size; o += 4) {
        int32_t acc[4], r;
        rnnc_fc_s8_rows4(p, in, o, acc);
        for (r = 0; r < 4; r++) {
            out[o + r] = rnnc_fc_s8_out(p, o + r, acc[r]);
        }
    }
#endif
    for (; o < p->out_size; o++) {
        const int8_t *row = p->weight + o * p->in_size;
        int32_t acc = p->bias[o];
        for (i = 0; i < p->in_size; i++) {
            acc += (int32_t)row[i] * (int32_t)in[i];
        }
        out[o] = rnnc_fc_s8_out(p, o, acc);
    }
}
