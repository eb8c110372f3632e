/*
 * rnnc_activations_f32.c - float32 activations (portable C, uses <math.h>).
 */
#include <math.h>

#include "rnnc_activations_f32.h"

void rnnc_relu_f32(const float *in, float *out, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
    }
}

void rnnc_leakyrelu_f32(const float *in, float *out, int32_t n, float alpha)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        out[i] = in[i] >= 0.0f ? in[i] : alpha * in[i];
    }
}

void rnnc_sigmoid_f32(const float *in, float *out, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        out[i] = 1.0f / (1.0f + expf(-in[i]));
    }
}

void rnnc_tanh_f32(const float *in, float *out, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        out[i] = tanhf(in[i]);
    }
}

void rnnc_softmax_f32(const float *in, float *out, int32_t n)
{
    int32_t i;
    float max = in[0];
    float sum = 0.0f;
    for (i = 1; i < n; i++) {
        max = in[i] > max ? in[i] : max;
    }
    for (i = 0; i < n; i++) {
        out[i] = expf(in[i] - max);
        sum += out[i];
    }
    for (i = 0; i < n; i++) {
        out[i] /= sum;
    }
}
