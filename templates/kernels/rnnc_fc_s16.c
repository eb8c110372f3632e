/*
 * rnnc_fc_s16.c - int16 x int8 fully connected, int16 output (portable C).
 */
#include "rnnc_fc_s16.h"
#include "rnnc_requantize.h"

void rnnc_fc_s16(const rnnc_fc_s16_params_t *p, const int16_t *in, int16_t *out)
{
    int32_t o, i;
    for (o = 0; o < p->out_size; o++) {
        const int8_t *row = p->weight + o * p->in_size;
        int64_t acc = p->bias[o];
        for (i = 0; i < p->in_size; i++) {
            acc += (int32_t)row[i] * (int32_t)in[i];
        }
        out[o] = (int16_t)rnnc_sat((int64_t)rnnc_mbqm_s64(acc, p->multiplier[o], p->shift[o]) +
                                   p->output_zero_point, p->act_min, p->act_max);
    }
}
