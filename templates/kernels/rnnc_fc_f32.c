/*
 * rnnc_fc_f32.c - float32 fully connected layer (portable C).
 */
#include "rnnc_fc_f32.h"

void rnnc_fc_f32(const float *in, const float *weight, const float *bias, float *out,
                 int32_t in_size, int32_t out_size)
{
    int32_t o, i;
    for (o = 0; o < out_size; o++) {
        const float *row = weight + (int32_t)o * in_size;
        float acc = bias ? bias[o] : 0.0f;
        for (i = 0; i < in_size; i++) {
            acc += row[i] * in[i];
        }
        out[o] = acc;
    }
}
