/*
 * rnnc_matvec_acc_f32 - float32 matrix-vector product accumulated into out:
 * out[o] += sum_i w[o*in_size+i] * in[i].
 */
#ifndef RNNC_MATVEC_ACC_F32_H
#define RNNC_MATVEC_ACC_F32_H

#include <stdint.h>

void rnnc_matvec_acc_f32(const float *in, const float *weight, float *out, int32_t in_size,
                         int32_t out_size);

#endif /* RNNC_MATVEC_ACC_F32_H */
