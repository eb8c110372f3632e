/*
 * rnnc_fc_s8_fp32.c - int8 fully connected layer, float32 requantization (see the header).
 */
#include "rnnc_fc_s8_fp32.h"

void rnnc_fc_s8_fp32(const rnnc_fc_s8_fp32_params_t *p, const int8_t *in, int8_t *out)
{
    /* 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the
     * nearest integer, ties to even, in the IEEE default rounding mode (as XNNPACK does) */
    const float magic = 12582912.0f;
    const float lo = (float)(p->act_min - p->output_zero_point);
    const float hi = (float)(p->act_max - p->output_zero_point);
    int32_t o, i;
    for (o = 0; o < p->out_size; o++) {
        const int8_t *w = p->weight + o * p->in_size;
        int32_t acc = p->bias[o];
        float v;
        volatile float rounded;   /* keeps the compiler from folding (v + magic) - magic */
        for (i = 0; i < p->in_size; i++) {
            acc += (int32_t)w[i] * in[i];
        }
        v = (float)acc * p->scale[o];
        v = v < lo ? lo : v > hi ? hi : v;
        rounded = v + magic;
        out[o] = (int8_t)((int32_t)(rounded - magic) + p->output_zero_point);
    }
}
