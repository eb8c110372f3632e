/*
 * rnnc_gates_f32.c - element-wise float RNN gates (rnnc_gates_f32.h). Paths, chosen by the
 * compiler's target or, on x86-64, at run time (rnnc_common.h):
 * - x86 AVX2 + FMA: 8 units at a time, exp by a polynomial (rnnc_math_x8_f32.h);
 * - Arm64 NEON: 4 units at a time, the same polynomial (rnnc_math_neon_f32.h);
 * - portable C99: libm's expf and tanhf.
 * They agree to a few float ulps per activation, within the float verification tolerance.
 */
#include <math.h>

#include "rnnc_common.h"
#include "rnnc_dispatch_x86.h"
#include "rnnc_gates_f32.h"
#include "rnnc_math_neon_f32.h"
#include "rnnc_math_x8_f32.h"

static inline float rnnc_sigmoidf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

void RNNC_ISA_FN(rnnc_lstm_cell_f32)(const float *g, float *c, float *h, int32_t n)
{
    int32_t j = 0;
#if RNNC_USE_AVX2
    for (; j + 8 <= n; j += 8) {
        const __m256 i = rnnc_sigmoid_x8_f32(_mm256_loadu_ps(g + j));
        const __m256 f = rnnc_sigmoid_x8_f32(_mm256_loadu_ps(g + n + j));
        const __m256 z = rnnc_tanh_x8_f32(_mm256_loadu_ps(g + 2 * n + j));
        const __m256 o = rnnc_sigmoid_x8_f32(_mm256_loadu_ps(g + 3 * n + j));
        const __m256 cn = _mm256_add_ps(_mm256_mul_ps(f, _mm256_loadu_ps(c + j)), _mm256_mul_ps(i, z));
        _mm256_storeu_ps(c + j, cn);
        _mm256_storeu_ps(h + j, _mm256_mul_ps(o, rnnc_tanh_x8_f32(cn)));
    }
#elif RNNC_USE_NEON
    for (; j + 4 <= n; j += 4) {
        const float32x4_t i = rnnc_sigmoid_neon_f32(vld1q_f32(g + j));
        const float32x4_t f = rnnc_sigmoid_neon_f32(vld1q_f32(g + n + j));
        const float32x4_t z = rnnc_tanh_neon_f32(vld1q_f32(g + 2 * n + j));
        const float32x4_t o = rnnc_sigmoid_neon_f32(vld1q_f32(g + 3 * n + j));
        const float32x4_t cn = vaddq_f32(vmulq_f32(f, vld1q_f32(c + j)), vmulq_f32(i, z));
        vst1q_f32(c + j, cn);
        vst1q_f32(h + j, vmulq_f32(o, rnnc_tanh_neon_f32(cn)));
    }
#endif
    for (; j < n; j++) {
        const float i = rnnc_sigmoidf(g[j]), f = rnnc_sigmoidf(g[n + j]), z = tanhf(g[2 * n + j]);
        c[j] = f * c[j] + i * z;
        h[j] = rnnc_sigmoidf(g[3 * n + j]) * tanhf(c[j]);
    }
}

void RNNC_ISA_FN(rnnc_sigmoid_ip_f32)(float *x, int32_t n)
{
    int32_t j = 0;
#if RNNC_USE_AVX2
    for (; j + 8 <= n; j += 8) {
        _mm256_storeu_ps(x + j, rnnc_sigmoid_x8_f32(_mm256_loadu_ps(x + j)));
    }
#elif RNNC_USE_NEON
    for (; j + 4 <= n; j += 4) {
        vst1q_f32(x + j, rnnc_sigmoid_neon_f32(vld1q_f32(x + j)));
    }
#endif
    for (; j < n; j++) {
        x[j] = rnnc_sigmoidf(x[j]);
    }
}

void RNNC_ISA_FN(rnnc_tanh_ip_f32)(float *x, int32_t n)
{
    int32_t j = 0;
#if RNNC_USE_AVX2
    for (; j + 8 <= n; j += 8) {
        _mm256_storeu_ps(x + j, rnnc_tanh_x8_f32(_mm256_loadu_ps(x + j)));
    }
#elif RNNC_USE_NEON
    for (; j + 4 <= n; j += 4) {
        vst1q_f32(x + j, rnnc_tanh_neon_f32(vld1q_f32(x + j)));
    }
#endif
    for (; j < n; j++) {
        x[j] = tanhf(x[j]);
    }
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_lstm_cell_f32, (const float *g, float *c, float *h, int32_t n), (g, c, h, n))
RNNC_X86_DISPATCHER(rnnc_sigmoid_ip_f32, (float *x, int32_t n), (x, n))
RNNC_X86_DISPATCHER(rnnc_tanh_ip_f32, (float *x, int32_t n), (x, n))
#endif
