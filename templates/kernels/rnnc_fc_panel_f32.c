/*
 * rnnc_fc_panel_f32.c - float32 fully connected on 16-row panels (rnnc_fc_panel_f32.h).
 * One function, its paths inside it, chosen by the compiler's target or, on x86-64, at run
 * time (rnnc_common.h):
 * - x86 AVX-512: one 16-lane accumulator per panel, eight panels at a time (eight
 *   independent FMA chains hide the FMA latency), the input broadcast once per step;
 * - x86 AVX2 + FMA: two 8-lane accumulators per panel, four panels at a time;
 * - Arm64 NEON: four 4-lane accumulators per panel, two panels at a time;
 * - portable C99: sixteen running sums per panel, a fixed-count lane loop that compilers
 *   vectorize.
 * Each output adds bias, then in[0] * W[o][0], in[1] * W[o][1], ... in that order in every
 * path; the vector paths fuse each multiply-add (one rounding), so the paths agree to float
 * rounding, not bit for bit: float layers are verified within a tolerance.
 */
#include "rnnc_common.h"
#include "rnnc_dispatch_x86.h"
#include "rnnc_fc_panel_f32.h"

#if RNNC_USE_AVX2
#include <immintrin.h>
#endif
#if RNNC_USE_NEON
#include <arm_neon.h>
#endif

/* GCC's loop vectorizer turns the input loop below into strided loads, lane shuffles and an
 * in-order scalar reduction (about 4x slower at -O3 than at -O2); its straight-line (SLP)
 * vectorizer, which groups the sixteen sums into vectors, stays on. */
#if defined(__GNUC__) && !defined(__clang__)
#define RNNC_NO_LOOP_VECTORIZE __attribute__((optimize("no-tree-loop-vectorize")))
#else
#define RNNC_NO_LOOP_VECTORIZE
#endif

/* one panel, portable: rows 16p.. of out (n of them, n <= 16). Sixteen named running sums,
 * so that compilers keep them in registers across the input loop (an array of sixteen stays
 * in memory at -O2: a load and a store per multiply-add). */
static RNNC_NO_LOOP_VECTORIZE void rnnc_panel1_f32(const float *in, const float *w, const float *bias, float *out, int32_t in_size,
                                   int32_t n)
{
    float b[RNNC_PANEL_ROWS];
    float a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15;
    int32_t i, r;
    for (r = 0; r < RNNC_PANEL_ROWS; r++) {
        b[r] = r < n ? bias[r] : 0.0f;
    }
    a0 = b[0], a1 = b[1], a2 = b[2], a3 = b[3], a4 = b[4], a5 = b[5], a6 = b[6], a7 = b[7];
    a8 = b[8], a9 = b[9], a10 = b[10], a11 = b[11], a12 = b[12], a13 = b[13], a14 = b[14], a15 = b[15];
    for (i = 0; i < in_size; i++, w += RNNC_PANEL_ROWS) {
        const float x = in[i];
        a0 += w[0] * x, a1 += w[1] * x, a2 += w[2] * x, a3 += w[3] * x;
        a4 += w[4] * x, a5 += w[5] * x, a6 += w[6] * x, a7 += w[7] * x;
        a8 += w[8] * x, a9 += w[9] * x, a10 += w[10] * x, a11 += w[11] * x;
        a12 += w[12] * x, a13 += w[13] * x, a14 += w[14] * x, a15 += w[15] * x;
    }
    b[0] = a0, b[1] = a1, b[2] = a2, b[3] = a3, b[4] = a4, b[5] = a5, b[6] = a6, b[7] = a7;
    b[8] = a8, b[9] = a9, b[10] = a10, b[11] = a11, b[12] = a12, b[13] = a13, b[14] = a14, b[15] = a15;
    for (r = 0; r < n; r++) {
        out[r] = b[r];
    }
}

#if RNNC_USE_AVX512
/* eight full panels: 8 x 16 rows starting at out */
static inline void rnnc_panel8_x16_f32(const float *in, const float *w, const float *bias, float *out, int32_t in_size)
{
    const int32_t stride = in_size * RNNC_PANEL_ROWS;
    __m512 a0 = _mm512_loadu_ps(bias), a1 = _mm512_loadu_ps(bias + 16), a2 = _mm512_loadu_ps(bias + 32);
    __m512 a3 = _mm512_loadu_ps(bias + 48), a4 = _mm512_loadu_ps(bias + 64), a5 = _mm512_loadu_ps(bias + 80);
    __m512 a6 = _mm512_loadu_ps(bias + 96), a7 = _mm512_loadu_ps(bias + 112);
    int32_t i;
    for (i = 0; i < in_size; i++, w += RNNC_PANEL_ROWS) {
        const __m512 x = _mm512_set1_ps(in[i]);
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w), x, a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + stride), x, a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 2 * stride), x, a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 3 * stride), x, a3);
        a4 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 4 * stride), x, a4);
        a5 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 5 * stride), x, a5);
        a6 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 6 * stride), x, a6);
        a7 = _mm512_fmadd_ps(_mm512_loadu_ps(w + 7 * stride), x, a7);
    }
    _mm512_storeu_ps(out, a0);
    _mm512_storeu_ps(out + 16, a1);
    _mm512_storeu_ps(out + 32, a2);
    _mm512_storeu_ps(out + 48, a3);
    _mm512_storeu_ps(out + 64, a4);
    _mm512_storeu_ps(out + 80, a5);
    _mm512_storeu_ps(out + 96, a6);
    _mm512_storeu_ps(out + 112, a7);
}

/* one panel of n <= 16 rows (masked bias load and store: nothing past out_size is touched) */
static inline void rnnc_panel1_x16_f32(const float *in, const float *w, const float *bias, float *out, int32_t in_size,
                                       int32_t n)
{
    const __mmask16 m = (__mmask16)(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
    __m512 a = _mm512_maskz_loadu_ps(m, bias);
    int32_t i;
    for (i = 0; i < in_size; i++, w += RNNC_PANEL_ROWS) { /* one chain: the order of the sum is fixed */
        a = _mm512_fmadd_ps(_mm512_loadu_ps(w), _mm512_set1_ps(in[i]), a);
    }
    _mm512_mask_storeu_ps(out, m, a);
}
#elif RNNC_USE_AVX2
/* four full panels: 4 x 16 rows starting at out */
static inline void rnnc_panel4_x8_f32(const float *in, const float *w, const float *bias, float *out, int32_t in_size)
{
    const int32_t stride = in_size * RNNC_PANEL_ROWS;
    __m256 a0 = _mm256_loadu_ps(bias), a1 = _mm256_loadu_ps(bias + 8), a2 = _mm256_loadu_ps(bias + 16);
    __m256 a3 = _mm256_loadu_ps(bias + 24), a4 = _mm256_loadu_ps(bias + 32), a5 = _mm256_loadu_ps(bias + 40);
    __m256 a6 = _mm256_loadu_ps(bias + 48), a7 = _mm256_loadu_ps(bias + 56);
    int32_t i;
    for (i = 0; i < in_size; i++, w += RNNC_PANEL_ROWS) {
        const __m256 x = _mm256_broadcast_ss(in + i);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w), x, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 8), x, a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + stride), x, a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + stride + 8), x, a3);
        a4 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 2 * stride), x, a4);
        a5 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 2 * stride + 8), x, a5);
        a6 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 3 * stride), x, a6);
        a7 = _mm256_fmadd_ps(_mm256_loadu_ps(w + 3 * stride + 8), x, a7);
    }
    _mm256_storeu_ps(out, a0);
    _mm256_storeu_ps(out + 8, a1);
    _mm256_storeu_ps(out + 16, a2);
    _mm256_storeu_ps(out + 24, a3);
    _mm256_storeu_ps(out + 32, a4);
    _mm256_storeu_ps(out + 40, a5);
    _mm256_storeu_ps(out + 48, a6);
    _mm256_storeu_ps(out + 56, a7);
}
#elif RNNC_USE_NEON
/* two full panels: 2 x 16 rows starting at out */
static inline void rnnc_panel2_neon_f32(const float *in, const float *w, const float *bias, float *out,
                                        int32_t in_size)
{
    const int32_t stride = in_size * RNNC_PANEL_ROWS;
    float32x4_t a0 = vld1q_f32(bias), a1 = vld1q_f32(bias + 4), a2 = vld1q_f32(bias + 8), a3 = vld1q_f32(bias + 12);
    float32x4_t a4 = vld1q_f32(bias + 16), a5 = vld1q_f32(bias + 20), a6 = vld1q_f32(bias + 24);
    float32x4_t a7 = vld1q_f32(bias + 28);
    int32_t i;
    for (i = 0; i < in_size; i++, w += RNNC_PANEL_ROWS) {
        const float x = in[i];
        a0 = vfmaq_n_f32(a0, vld1q_f32(w), x);
        a1 = vfmaq_n_f32(a1, vld1q_f32(w + 4), x);
        a2 = vfmaq_n_f32(a2, vld1q_f32(w + 8), x);
        a3 = vfmaq_n_f32(a3, vld1q_f32(w + 12), x);
        a4 = vfmaq_n_f32(a4, vld1q_f32(w + stride), x);
        a5 = vfmaq_n_f32(a5, vld1q_f32(w + stride + 4), x);
        a6 = vfmaq_n_f32(a6, vld1q_f32(w + stride + 8), x);
        a7 = vfmaq_n_f32(a7, vld1q_f32(w + stride + 12), x);
    }
    vst1q_f32(out, a0);
    vst1q_f32(out + 4, a1);
    vst1q_f32(out + 8, a2);
    vst1q_f32(out + 12, a3);
    vst1q_f32(out + 16, a4);
    vst1q_f32(out + 20, a5);
    vst1q_f32(out + 24, a6);
    vst1q_f32(out + 28, a7);
}
#endif

void RNNC_ISA_FN(rnnc_fc_panel_f32)(const float *in, const float *weight, const float *bias, float *out,
                                    int32_t in_size, int32_t out_size)
{
    const int32_t panel = in_size * RNNC_PANEL_ROWS; /* floats per panel */
    int32_t o = 0;
#if RNNC_USE_AVX512
    for (; o + 8 * RNNC_PANEL_ROWS <= out_size; o += 8 * RNNC_PANEL_ROWS) {
        rnnc_panel8_x16_f32(in, weight + (o / RNNC_PANEL_ROWS) * panel, bias + o, out + o, in_size);
    }
    for (; o < out_size; o += RNNC_PANEL_ROWS) {
        const int32_t n = out_size - o < RNNC_PANEL_ROWS ? out_size - o : RNNC_PANEL_ROWS;
        rnnc_panel1_x16_f32(in, weight + (o / RNNC_PANEL_ROWS) * panel, bias + o, out + o, in_size, n);
    }
#elif RNNC_USE_AVX2
    for (; o + 4 * RNNC_PANEL_ROWS <= out_size; o += 4 * RNNC_PANEL_ROWS) {
        rnnc_panel4_x8_f32(in, weight + (o / RNNC_PANEL_ROWS) * panel, bias + o, out + o, in_size);
    }
#elif RNNC_USE_NEON
    for (; o + 2 * RNNC_PANEL_ROWS <= out_size; o += 2 * RNNC_PANEL_ROWS) {
        rnnc_panel2_neon_f32(in, weight + (o / RNNC_PANEL_ROWS) * panel, bias + o, out + o, in_size);
    }
#endif
    for (; o < out_size; o += RNNC_PANEL_ROWS) { /* the remaining panels (all of them, portable) */
        const int32_t n = out_size - o < RNNC_PANEL_ROWS ? out_size - o : RNNC_PANEL_ROWS;
        rnnc_panel1_f32(in, weight + (o / RNNC_PANEL_ROWS) * panel, bias + o, out + o, in_size, n);
    }
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_fc_panel_f32,
                    (const float *in, const float *weight, const float *bias, float *out, int32_t in_size,
                     int32_t out_size),
                    (in, weight, bias, out, in_size, out_size))
#endif
