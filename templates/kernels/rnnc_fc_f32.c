/*
 * rnnc_fc_f32.c - float32 fully connected layer (portable C): the bias, then W x accumulated.
 */
#include <stddef.h>

#include "rnnc_fc_f32.h"
#include "rnnc_matvec_acc_f32.h"

void rnnc_fc_f32(const float *in, const float *weight, const float *bias, float *out,
                 int32_t in_size, int32_t out_size)
{
    int32_t o;
    if (bias != NULL) { /* the test outside the loop, which compilers then vectorize */
        for (o = 0; o < out_size; o++) {
            out[o] = bias[o];
        }
    } else {
        for (o = 0; o < out_size; o++) {
            out[o] = 0.0f;
        }
    }
    rnnc_matvec_acc_f32(in, weight, out, in_size, out_size);
}
