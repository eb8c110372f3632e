/*
 * rnnc_fc_s8.c - int8 fully connected, int8 output (portable C).
 */
#include "rnnc_fc_s8.h"
#include "rnnc_requantize.h"

void rnnc_fc_s8(const rnnc_fc_s8_params_t *p, const int8_t *in, int8_t *out)
{
    int32_t o, i;
    for (o = 0; o < p->out_size; o++) {
        const int8_t *row = p->weight + o * p->in_size;
        int32_t acc = p->bias[o];
        for (i = 0; i < p->in_size; i++) {
            acc += (int32_t)row[i] * (int32_t)in[i];
        }
        acc = rnnc_mbqm(acc, p->multiplier[o], p->shift[o]);
        out[o] = (int8_t)rnnc_sat((int64_t)acc + p->output_zero_point, p->act_min, p->act_max);
    }
}
