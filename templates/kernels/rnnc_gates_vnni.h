/*
 * rnnc_gates_vnni.h - the gate terms of one 16-unit block of an int8 LSTM or GRU step on
 * 16x4-packed weights, with AVX-512 VNNI (header only; empty unless that path is built).
 *
 * rnnc_lstm_step_s8 and rnnc_gru_step_s8 use it to compute a step one block of units at a
 * time: the block's gate terms (every gate x input, recurrent), then its activations and new
 * state, which can overlap the loads of the next block's weights; the step also makes no FC
 * calls and no passes over gate buffers (measured: H = 64 steps about 45% faster, H = 256 about
 * 7%). The sums are those of rnnc_fc_s8_s16_b16x4 lane for lane (exact int32), so the steps are
 * bit-identical.
 */
#ifndef RNNC_GATES_VNNI_H
#define RNNC_GATES_VNNI_H

#include "rnnc_common.h"
#include "rnnc_fc_b16x4_group.h"

#if RNNC_USE_AVX512VNNI
#include <immintrin.h>
#include <string.h>

#include "rnnc_requantize_x16.h"

/* acc[g] += block rows of gate g times in (n inputs, k4 groups) for the G = 3 or 4 gates (a
 * constant where the step inlines it): w points at the block in gate 0's matrix, the other gates
 * stride bytes on. Even and odd groups accumulate in separate chains (six or eight, enough to
 * hide VPDPBUSD's latency), added at the end: int32 addition is associative, so the sums are
 * exact whatever the order. Inputs enter as x + 128 (the unsigned operand), which the effective
 * biases compensate, as in rnnc_fc_s8_s16_b16x4. */
static inline void rnnc_gates_vnni(const int8_t *in, int32_t n, const int8_t *w, int32_t stride, int32_t k4,
                                   const int32_t G, __m512i acc[4])
{
    const int32_t full = n / 4;
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512i a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = G > 3 ? acc[3] : _mm512_setzero_si512();
    __m512i b0 = _mm512_setzero_si512(), b1 = b0, b2 = b0, b3 = b0;
    int32_t kg;
    for (kg = 0; kg + 2 <= full; kg += 2, w += 128) {
        int32_t even, odd;
        memcpy(&even, in + kg * 4, 4);
        memcpy(&odd, in + kg * 4 + 4, 4);
        {
            const __m512i xe = _mm512_xor_si512(_mm512_set1_epi32(even), flip);
            const __m512i xo = _mm512_xor_si512(_mm512_set1_epi32(odd), flip);
            a0 = _mm512_dpbusd_epi32(a0, xe, _mm512_loadu_si512(w));
            b0 = _mm512_dpbusd_epi32(b0, xo, _mm512_loadu_si512(w + 64));
            a1 = _mm512_dpbusd_epi32(a1, xe, _mm512_loadu_si512(w + stride));
            b1 = _mm512_dpbusd_epi32(b1, xo, _mm512_loadu_si512(w + stride + 64));
            a2 = _mm512_dpbusd_epi32(a2, xe, _mm512_loadu_si512(w + 2 * stride));
            b2 = _mm512_dpbusd_epi32(b2, xo, _mm512_loadu_si512(w + 2 * stride + 64));
            if (G > 3) {
                a3 = _mm512_dpbusd_epi32(a3, xe, _mm512_loadu_si512(w + 3 * stride));
                b3 = _mm512_dpbusd_epi32(b3, xo, _mm512_loadu_si512(w + 3 * stride + 64));
            }
        }
    }
    for (; kg < k4; kg++, w += 64) { /* an odd last full group, then the partial group */
        const __m512i x = _mm512_set1_epi32((int32_t)rnnc_fc_word_u8(in, n, kg, full));
        a0 = _mm512_dpbusd_epi32(a0, x, _mm512_loadu_si512(w));
        a1 = _mm512_dpbusd_epi32(a1, x, _mm512_loadu_si512(w + stride));
        a2 = _mm512_dpbusd_epi32(a2, x, _mm512_loadu_si512(w + 2 * stride));
        if (G > 3) {
            a3 = _mm512_dpbusd_epi32(a3, x, _mm512_loadu_si512(w + 3 * stride));
        }
    }
    acc[0] = _mm512_add_epi32(a0, b0);
    acc[1] = _mm512_add_epi32(a1, b1);
    acc[2] = _mm512_add_epi32(a2, b2);
    if (G > 3) {
        acc[3] = _mm512_add_epi32(a3, b3);
    }
}

/* the lanes of the 16-unit block starting at unit u that are units (h of them in all) */
static inline __mmask16 rnnc_block_mask(int32_t h, int32_t u)
{
    return (__mmask16)(h - u >= 16 ? 0xFFFFu : (1u << (h - u)) - 1u);
}

/* The G gate terms of the block at unit u (lanes m): ax[g] = bias_x + W_g input and ah[g] =
 * bias_h + R_g previous over the block's rows, w and r the whole gate matrices (gate stride
 * w_stride, r_stride bytes), biases [G][h]. */
static inline void rnnc_block_terms_vnni(const int8_t *input, int32_t n_in, const int8_t *previous, int32_t h,
                                         const int8_t *w, int32_t w_stride, const int8_t *r, int32_t r_stride,
                                         const int32_t *bias_x, const int32_t *bias_h, int32_t u, __mmask16 m,
                                         const int32_t G, __m512i ax[4], __m512i ah[4])
{
    const int32_t k4x = (n_in + 3) / 4, k4h = (h + 3) / 4, blk = u / 16;
    int32_t g;
    for (g = 0; g < G; g++) {
        ax[g] = _mm512_maskz_loadu_epi32(m, bias_x + g * h + u);
        ah[g] = _mm512_maskz_loadu_epi32(m, bias_h + g * h + u);
    }
    rnnc_gates_vnni(input, n_in, w + blk * k4x * 64, w_stride, k4x, G, ax);
    rnnc_gates_vnni(previous, h, r + blk * k4h * 64, r_stride, k4h, G, ah);
}

/* 16 int32 lanes saturated to int16 */
static inline __m512i rnnc_sat16_x16(__m512i v)
{
    return rnnc_clamp_x16(v, INT16_MIN, INT16_MAX);
}

/* The requantization of each gate's input and recurrent terms, prepared once per step */
static inline void rnnc_gate_terms_prepare(const int32_t *x_multiplier, const int32_t *x_shift,
                                           const int32_t *h_multiplier, const int32_t *h_shift, int32_t G,
                                           rnnc_rq_x16_t qx[4], rnnc_rq_x16_t qh[4])
{
    int32_t g;
    for (g = 0; g < G; g++) {
        qx[g] = rnnc_rq_x16_prepare(x_multiplier[g], x_shift[g]);
        qh[g] = rnnc_rq_x16_prepare(h_multiplier[g], h_shift[g]);
    }
}

/* A gate term's 16 lanes requantized to Q3.12 and saturated to int16, as rnnc_fc_s8_s16_b16x4 stores it */
static inline __m512i rnnc_gate_term_x16(__m512i acc, const rnnc_rq_x16_t *q)
{
    return rnnc_sat16_x16(rnnc_rq_x16(q, acc));
}

/* A gate's pre-activation on 16 lanes: its input and recurrent terms added with saturation, as
 * rnnc_add_sat_s16 adds them */
static inline __m512i rnnc_gate_sum_x16(__m512i ax, __m512i ah, const rnnc_rq_x16_t *qx, const rnnc_rq_x16_t *qh)
{
    /* VPMOVSDW saturates each term to int16, VPADDSW adds them with saturation */
    const __m256i tx = _mm512_cvtsepi32_epi16(rnnc_rq_x16(qx, ax)), th = _mm512_cvtsepi32_epi16(rnnc_rq_x16(qh, ah));
    return _mm512_cvtepi16_epi32(_mm256_adds_epi16(tx, th));
}
#endif

#endif /* RNNC_GATES_VNNI_H */
