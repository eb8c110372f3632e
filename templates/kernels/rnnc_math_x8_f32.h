/*
 * rnnc_math_x8_f32.h - exp, sigmoid and tanh on 8 float lanes with AVX2 + FMA (header only;
 * empty unless the AVX2 kernels are built).
 *
 * exp: x = n ln2 + r with |r| <= ln2/2 (n rounded to nearest, ln2 split in two parts so n ln2
 * is exact), e^r by its degree-6 Taylor polynomial (truncation error below 2e-8 relative on
 * that interval), then scaled by 2^n through the exponent bits. Inputs are clamped to
 * [-87, 88], where e^x stays a normal float; sigmoid and tanh saturate long before that.
 * Relative error of exp about 1e-7 (a few float ulps), far inside the tolerance float
 * layers are verified with (docs/numerics-float.md).
 */
#ifndef RNNC_MATH_X8_F32_H
#define RNNC_MATH_X8_F32_H

#include "rnnc_common.h"

#if RNNC_USE_AVX2
#include <immintrin.h>

static inline __m256 rnnc_exp_x8(__m256 x)
{
    const __m256 ln2_hi = _mm256_set1_ps(0.693359375f), ln2_lo = _mm256_set1_ps(-2.12194440e-4f);
    __m256 n, r, p;
    __m256i e;
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r = _mm256_fnmadd_ps(n, ln2_hi, x);
    r = _mm256_fnmadd_ps(n, ln2_lo, r);
    p = _mm256_set1_ps(1.0f / 720.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

/* 1 / (1 + e^-x) */
static inline __m256 rnnc_sigmoid_x8_f32(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, rnnc_exp_x8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/* 1 - 2 / (1 + e^2x): exact limits +-1, absolute error about 1e-7 */
static inline __m256 rnnc_tanh_x8_f32(__m256 x)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 e = rnnc_exp_x8(_mm256_add_ps(x, x));
    return _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(one, e)));
}
#endif

#endif /* RNNC_MATH_X8_F32_H */
