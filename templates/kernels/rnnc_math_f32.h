/*
 * rnnc_math_f32.h - small float helpers for the ONNX RNN activations (header only).
 */
#ifndef RNNC_MATH_F32_H
#define RNNC_MATH_F32_H

#include <math.h>

static inline float rnnc_clampf(float v, float lo, float hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* log(1 + e^x) without overflow for large x */
static inline float rnnc_softplusf(float x)
{
    return x > 20.0f ? x : log1pf(expf(x));
}

#endif /* RNNC_MATH_F32_H */
