/*
 * rnnc_fc_s8_s16.c - int8 fully connected to int16 (portable C).
 */
#include "rnnc_fc_s8_s16.h"
#include "rnnc_requantize.h"

void rnnc_fc_s8_s16(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                    int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
    int32_t o, i;
    for (o = 0; o < out_size; o++) {
        const int8_t *row = weight + o * in_size;
        int32_t acc = bias[o];
        for (i = 0; i < in_size; i++) {
            acc += (int32_t)row[i] * (int32_t)in[i];
        }
        out[o] = (int16_t)rnnc_sat(rnnc_mbqm(acc, multiplier, shift), INT16_MIN, INT16_MAX);
    }
}
