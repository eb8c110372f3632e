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
        /* eight independent partial sums: the adds pipeline (and vectorize) without
           reassociation flags; the order is fixed, so results are deterministic */
        float part[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
        float acc = 0.0f;
        int32_t j;
        for (i = 0; i + 8 <= in_size; i += 8) {
            for (j = 0; j < 8; j++) {
                part[j] += row[i + j] * in[i + j];
            }
        }
        for (; i < in_size; i++) {
            part[0] += row[i] * in[i];
        }
        acc += ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
        out[o] += acc;
    }
}
