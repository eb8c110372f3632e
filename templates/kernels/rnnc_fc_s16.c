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
#include "rnnc_common.h"
#include "rnnc_dot4_s16_s8.h"
#include "rnnc_fc_s16.h"
#include "rnnc_requantize.h"

static inline int16_t rnnc_fc_s16_out(const rnnc_fc_s16_params_t *p, int32_t o, int64_t acc)
{
    return (int16_t)rnnc_sat((int64_t)rnnc_mbqm_s64(acc, p->multiplier[o], p->shift[o]) + p->output_zero_point,
                             p->act_min, p->act_max);
}

#if RNNC_USE_MVE || RNNC_USE_DSP
/* rows [o, o + 4): their sums (bias included) into acc[0..3] */
static inline void rnnc_fc_s16_rows4(const rnnc_fc_s16_params_t *p, const int16_t *in, int32_t o, int64_t acc[4])
{
    const int32_t n = p->in_size, whole = n - n % RNNC_DOT4_S16_STEP;
    const int8_t *w0 = p->weight + o * n;
    int32_t r, i;
    for (r = 0; r < 4; r++) {
        acc[r] = p->bias[o + r];
    }
    rnnc_dot4_s16_s8(in, w0, n, 0, whole, acc);
    for (r = 0; r < 4; r++) {
        for (i = whole; i < n; i++) {
            acc[r] += (int32_t)w0[r * n + i] * in[i];
        }
    }
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
