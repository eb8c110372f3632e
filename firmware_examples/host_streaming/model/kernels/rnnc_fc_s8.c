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
#include "rnnc_common.h"
#include "rnnc_dot4_s8.h"
#include "rnnc_fc_s8.h"
#include "rnnc_requantize.h"

static inline int8_t rnnc_fc_s8_out(const rnnc_fc_s8_params_t *p, int32_t o, int32_t acc)
{
    acc = rnnc_mbqm(acc, p->multiplier[o], p->shift[o]);
    return (int8_t)rnnc_sat((int64_t)acc + p->output_zero_point, p->act_min, p->act_max);
}

#if RNNC_USE_MVE || RNNC_USE_DSP
/* rows [o, o + 4): their sums (bias included) into acc[0..3] */
static inline void rnnc_fc_s8_rows4(const rnnc_fc_s8_params_t *p, const int8_t *in, int32_t o, int32_t acc[4])
{
    const int32_t n = p->in_size;
    const int8_t *w0 = p->weight + o * n;
    acc[0] = p->bias[o];
    acc[1] = p->bias[o + 1];
    acc[2] = p->bias[o + 2];
    acc[3] = p->bias[o + 3];
    rnnc_dot4_s8(in, w0, n, acc);
#if RNNC_DOT4_S8_STEP > 1
    {
        int32_t r, i;
        for (r = 0; r < 4; r++) {
            for (i = n - n % RNNC_DOT4_S8_STEP; i < n; i++) {
                acc[r] += (int32_t)w0[r * n + i] * in[i];
            }
        }
    }
#endif
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
