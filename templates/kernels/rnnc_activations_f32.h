/*
 * rnnc_activations_f32 - float32 element-wise activations and softmax.
 */
#ifndef RNNC_ACTIVATIONS_F32_H
#define RNNC_ACTIVATIONS_F32_H

#include <stdint.h>

void rnnc_relu_f32(const float *in, float *out, int32_t n);
void rnnc_leakyrelu_f32(const float *in, float *out, int32_t n, float alpha);
void rnnc_sigmoid_f32(const float *in, float *out, int32_t n);
void rnnc_tanh_f32(const float *in, float *out, int32_t n);
/* Softmax over n values, stable: exp(x - max) / sum. */
void rnnc_softmax_f32(const float *in, float *out, int32_t n);

#endif /* RNNC_ACTIVATIONS_F32_H */
