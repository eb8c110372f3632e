/*
 * rnnc_fc_s16.c - int16 x int8 fully connected, int16 output (rnnc_fc_s16.h), the dense layers
 * of int16x8 models: int64 accumulators, TFLM's int64 requantization.
 * - Helium (Cortex-M55): four rows at a time, VMLALDAVA.S16 over 8 inputs per instruction
 *   straight into int64 (weights widened by the load, VLDRB.S16), the last partial vector
 *   predicated;
 * - Arm DSP extension (Cortex-M4/M7/M33): four rows at a time, SMLALD (two int16 products into
 *   int64) on the weights sign-extended in pairs (SXTB16) and the inputs paired to match;
 * - portable C99.
 * All give bit-identical results (integer sums; the order does not matter).
 */
#include <string.h>

#include "rnnc_common.h"
#include "rnnc_dsp_ext.h"
#include "rnnc_fc_s16.h"
#include "rnnc_requantize.h"

#if RNNC_USE_MVE
#include <arm_mve.h>
#endif

static inline int16_t rnnc_fc_s16_out(const rnnc_fc_s16_params_t *p, int32_t o, int64_t acc)
{
    return (int16_t)rnnc_sat((int64_t)rnnc_mbqm_s64(acc, p->multiplier[o], p->shift[o]) + p->output_zero_point,
                             p->act_min, p->act_max);
}

#if RNNC_USE_MVE || RNNC_USE_DSP
/* rows [o, o + 4): their sums (bias included) into acc[0..3] */
static inline void rnnc_fc_s16_rows4(const rnnc_fc_s16_params_t *p, const int16_t *in, int32_t o, int64_t acc[4])
{
    const int32_t n = p->in_size;
    const int8_t *w0 = p->weight + o * n, *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
    int64_t a0 = p->bias[o], a1 = p->bias[o + 1], a2 = p->bias[o + 2], a3 = p->bias[o + 3];
    int32_t i = 0;
#if RNNC_USE_MVE
    for (; i < n; i += 8) {
        const mve_pred16_t pr = vctp16q((uint32_t)(n - i));  /* lanes past the row's end load as zero */
        const int16x8_t x = vldrhq_z_s16(in + i, pr);
        a0 = vmlaldavaq_s16(a0, vldrbq_z_s16(w0 + i, pr), x);
        a1 = vmlaldavaq_s16(a1, vldrbq_z_s16(w1 + i, pr), x);
        a2 = vmlaldavaq_s16(a2, vldrbq_z_s16(w2 + i, pr), x);
        a3 = vmlaldavaq_s16(a3, vldrbq_z_s16(w3 + i, pr), x);
    }
#else
    for (; i + 4 <= n; i += 4) {
        uint32_t x01, x23, x02, x13, v0, v1, v2, v3;
        memcpy(&x01, in + i, 4);
        memcpy(&x23, in + i + 2, 4);
        memcpy(&v0, w0 + i, 4);
        memcpy(&v1, w1 + i, 4);
        memcpy(&v2, w2 + i, 4);
        memcpy(&v3, w3 + i, 4);
        x02 = (x01 & 0xFFFFu) | (x23 << 16);            /* PKHBT: inputs 0 and 2 */
        x13 = (x23 & 0xFFFF0000u) | (x01 >> 16);        /* PKHTB: inputs 1 and 3 */
        a0 = __smlald((int32_t)__sxtb16((int32_t)v0), (int32_t)x02, a0);
        a0 = __smlald((int32_t)rnnc_sxtb16_ror8(v0), (int32_t)x13, a0);
        a1 = __smlald((int32_t)__sxtb16((int32_t)v1), (int32_t)x02, a1);
        a1 = __smlald((int32_t)rnnc_sxtb16_ror8(v1), (int32_t)x13, a1);
        a2 = __smlald((int32_t)__sxtb16((int32_t)v2), (int32_t)x02, a2);
        a2 = __smlald((int32_t)rnnc_sxtb16_ror8(v2), (int32_t)x13, a2);
        a3 = __smlald((int32_t)__sxtb16((int32_t)v3), (int32_t)x02, a3);
        a3 = __smlald((int32_t)rnnc_sxtb16_ror8(v3), (int32_t)x13, a3);
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

void rnnc_fc_s16(const rnnc_fc_s16_params_t *p, const int16_t *in, int16_t *out)
{
    int32_t o = 0, i;
#if RNNC_USE_MVE || RNNC_USE_DSP
    for (; o + 4 <= p->out_size; o += 4) {
        int64_t acc[4];
        int32_t r;
        rnnc_fc_s16_rows4(p, in, o, acc);
        for (r = 0; r < 4; r++) {
            out[o + r] = rnnc_fc_s16_out(p, o + r, acc[r]);
        }
    }
#endif
    for (; o < p->out_size; o++) {
        const int8_t *row = p->weight + o * p->in_size;
        int64_t acc = p->bias[o];
        for (i = 0; i < p->in_size; i++) {
            acc += (int32_t)row[i] * (int32_t)in[i];
        }
        out[o] = rnnc_fc_s16_out(p, o, acc);
    }
}
