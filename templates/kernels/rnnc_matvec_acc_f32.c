/*
 * rnnc_matvec_acc_f32.c - out += W in (rnnc_matvec_acc_f32.h), the gate terms of float RNNs.
 * One function, its paths inside it, chosen by the compiler's target or, on x86-64, at run
 * time (rnnc_common.h):
 * - x86 AVX-512: four rows at a time, two 16-lane accumulators per row, the tail of each row
 *   in one masked load (no scalar remainder), the four rows reduced together at the end
 *   (halves added, then one tree of horizontal adds: far fewer operations than four separate
 *   reductions, which dominated short rows such as a 32-input projection);
 * - x86 AVX2 + FMA: four rows at a time, two 8-lane accumulators per row (eight independent
 *   FMA chains hide the FMA latency), one horizontal sum per row at the end;
 * - Arm64 NEON: the same with 4-lane FMLA;
 * - portable C99: eight partial sums per row, in a fixed order, which compilers vectorize.
 * The paths add in different orders (and FMA rounds once), so they agree to float rounding,
 * not bit for bit: float layers are verified within a tolerance.
 */
#include "rnnc_common.h"
#include "rnnc_dispatch_x86.h"
#include "rnnc_matvec_acc_f32.h"

#if RNNC_USE_AVX2
#include <immintrin.h>

/* Ask for 32 floats of each of four rows (row stride n) ahead of their use: the weights stream
   from L3 or memory at H >= 256, and the hardware prefetcher alone leaves bandwidth unused. */
static inline void rnnc_prefetch4_f32(const float *p, int32_t n)
{
    int32_t r;
    for (r = 0; r < 4; r++, p += n) {
        _mm_prefetch((const char *)p, _MM_HINT_T0);
        _mm_prefetch((const char *)(p + 16), _MM_HINT_T0);
    }
}

/* the sums of the 8 lanes of a, b, c and d in lanes 0..3 (one tree of horizontal adds) */
static inline __m128 rnnc_hsum4_f32(__m256 a, __m256 b, __m256 c, __m256 d)
{
    const __m256 ab = _mm256_hadd_ps(a, b), cd = _mm256_hadd_ps(c, d);
    const __m256 abcd = _mm256_hadd_ps(ab, cd); /* a b c d per 128-bit half */
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}
#endif

#if RNNC_USE_AVX512

/* the two 8-lane halves of v added (AVX-512F alone: the upper half moved as four doubles) */
static inline __m256 rnnc_halves_f32(__m512 v)
{
    return _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

/* four rows: their dot products with in added to out[0..3]; pf: four later rows to prefetch */
static inline void rnnc_rows4_f32(const float *in, const float *w0, int32_t n, float *out, const float *pf)
{
    const float *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    int32_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512 x = _mm512_loadu_ps(in + i), y = _mm512_loadu_ps(in + i + 16);
        rnnc_prefetch4_f32(pf + i, n);
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i), x, a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + i), x, a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + i), x, a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + i), x, a3);
        b0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i + 16), y, b0);
        b1 = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + i + 16), y, b1);
        b2 = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + i + 16), y, b2);
        b3 = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + i + 16), y, b3);
    }
    for (; i < n; i += 16) { /* the last 1..31 inputs, 16 at a time, masked (no reads past the row) */
        const __mmask16 m = (__mmask16)(n - i >= 16 ? 0xFFFFu : (1u << (n - i)) - 1u);
        const __m512 x = _mm512_maskz_loadu_ps(m, in + i);
        a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w0 + i), x, a0);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w1 + i), x, a1);
        a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w2 + i), x, a2);
        a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w3 + i), x, a3);
    }
    _mm_storeu_ps(out, _mm_add_ps(_mm_loadu_ps(out), rnnc_hsum4_f32(rnnc_halves_f32(_mm512_add_ps(a0, b0)),
                                                                 rnnc_halves_f32(_mm512_add_ps(a1, b1)),
                                                                 rnnc_halves_f32(_mm512_add_ps(a2, b2)),
                                                                 rnnc_halves_f32(_mm512_add_ps(a3, b3)))));
}
#elif RNNC_USE_AVX2


/* four rows: their dot products with in added to out[0..3]; pf: four later rows to prefetch */
static inline void rnnc_rows4_f32(const float *in, const float *w0, int32_t n, float *out, const float *pf)
{
    const float *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    float tail[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 x = _mm256_loadu_ps(in + i), y = _mm256_loadu_ps(in + i + 8);
        if ((i & 31) == 0) {
            rnnc_prefetch4_f32(pf + i, n);
        }
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i), x, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i), x, a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i), x, a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i), x, a3);
        b0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i + 8), y, b0);
        b1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i + 8), y, b1);
        b2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i + 8), y, b2);
        b3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i + 8), y, b3);
    }
    if (i + 8 <= n) {
        const __m256 x = _mm256_loadu_ps(in + i);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i), x, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i), x, a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + i), x, a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + i), x, a3);
        i += 8;
    }
    for (; i < n; i++) {
        tail[0] += w0[i] * in[i];
        tail[1] += w1[i] * in[i];
        tail[2] += w2[i] * in[i];
        tail[3] += w3[i] * in[i];
    }
    _mm_storeu_ps(out, _mm_add_ps(_mm_add_ps(_mm_loadu_ps(out), _mm_loadu_ps(tail)),
                                  rnnc_hsum4_f32(_mm256_add_ps(a0, b0), _mm256_add_ps(a1, b1),
                                                 _mm256_add_ps(a2, b2), _mm256_add_ps(a3, b3))));
}
#endif

#if RNNC_USE_NEON
#include <arm_neon.h>

/* four rows: their dot products with in added to out[0..3] (pf unused: software prefetch was
   measured on x86 only) */
static inline void rnnc_rows4_f32(const float *in, const float *w0, int32_t n, float *out, const float *pf)
{
    const float *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
    float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    float tail[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int32_t i = 0;
    (void)pf;
    for (; i + 8 <= n; i += 8) {
        const float32x4_t x = vld1q_f32(in + i), y = vld1q_f32(in + i + 4);
        a0 = vfmaq_f32(a0, vld1q_f32(w0 + i), x);
        a1 = vfmaq_f32(a1, vld1q_f32(w1 + i), x);
        a2 = vfmaq_f32(a2, vld1q_f32(w2 + i), x);
        a3 = vfmaq_f32(a3, vld1q_f32(w3 + i), x);
        b0 = vfmaq_f32(b0, vld1q_f32(w0 + i + 4), y);
        b1 = vfmaq_f32(b1, vld1q_f32(w1 + i + 4), y);
        b2 = vfmaq_f32(b2, vld1q_f32(w2 + i + 4), y);
        b3 = vfmaq_f32(b3, vld1q_f32(w3 + i + 4), y);
    }
    for (; i < n; i++) {
        tail[0] += w0[i] * in[i];
        tail[1] += w1[i] * in[i];
        tail[2] += w2[i] * in[i];
        tail[3] += w3[i] * in[i];
    }
    a0 = vaddq_f32(a0, b0);
    a1 = vaddq_f32(a1, b1);
    a2 = vaddq_f32(a2, b2);
    a3 = vaddq_f32(a3, b3);
    vst1q_f32(out, vaddq_f32(vaddq_f32(vld1q_f32(out), vld1q_f32(tail)),
                             vpaddq_f32(vpaddq_f32(a0, a1), vpaddq_f32(a2, a3))));
}
#endif

/* one row's dot product with in: eight partial sums in a fixed order (element i goes to sum
   i % 8, the tail to sum 0). The fixed-count lane loop is what compilers vectorize. */
static inline float rnnc_dot_f32(const float *row, const float *in, int32_t n)
{
    float part[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    int32_t i, j;
    for (i = 0; i + 8 <= n; i += 8) {
        for (j = 0; j < 8; j++) {
            part[j] += row[i + j] * in[i + j];
        }
    }
    for (; i < n; i++) {
        part[0] += row[i] * in[i];
    }
    return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

void RNNC_ISA_FN(rnnc_matvec_acc_f32)(const float *in, const float *weight, float *out, int32_t in_size,
                                      int32_t out_size)
{
    int32_t o = 0;
#if RNNC_USE_AVX2 || RNNC_USE_NEON
    for (; o + 4 <= out_size; o += 4) {
        /* prefetch the rows two groups ahead; the last groups prefetch their own rows */
        const int32_t ahead = o + 12 <= out_size ? o + 8 : o;
        rnnc_rows4_f32(in, weight + (int32_t)o * in_size, in_size, out + o, weight + (int32_t)ahead * in_size);
    }
#endif
    for (; o < out_size; o++) {
        out[o] += rnnc_dot_f32(weight + (int32_t)o * in_size, in, in_size);
    }
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_matvec_acc_f32,
                    (const float *in, const float *weight, float *out, int32_t in_size, int32_t out_size),
                    (in, weight, out, in_size, out_size))
#endif
