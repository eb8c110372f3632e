/*
 * rnnc_fc_f32 - float32 fully connected: out[o] = bias[o] + sum_i w[o*in_size+i] * in[i].
 */
#ifndef RNNC_FC_F32_H
#define RNNC_FC_F32_H

#include <stdint.h>

void rnnc_fc_f32(const float *in, const float *weight, const float *bias, float *out,
                 int32_t in_size, int32_t out_size);

#endif /* RNNC_FC_F32_H */
