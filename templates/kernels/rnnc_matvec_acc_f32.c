/*
 * rnnc_matvec_acc_f32.c - out += W in (portable C), the recurrent term of float RNN gates.
 */
#include "rnnc_matvec_acc_f32.h"

void rnnc_matvec_acc_f32(const float *in, const float *weight, float *out, int32_t in_size,
                         int32_t out_size)
{
    int32_t o, i;
    for (o = 0; o < out_size; o++) {
        const float *row = weight + (int32_t)o * in_size;
        float acc = 0.0f;
        for (i = 0; i < in_size; i++) {
            acc += row[i] * in[i];
        }
        out[o] += acc;
    }
}
