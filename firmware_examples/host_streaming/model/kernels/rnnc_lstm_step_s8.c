/*
 * rnnc_lstm_step_s8.c - one integer LSTM time step, int8 activations: the gate FCs
 * through p->gate_fc (p->signed_fc on x86's AVX2 level: rnnc_gate_fc_s8.h),
 * the element-wise part in portable C with Helium, NEON, AVX-512 and AVX2 paths
 * (rnnc_lstm_cell_update.h) and the hidden update below. With AVX-512 VNNI and weights
 * packed for rnnc_fc_s8_s16_b16x4, the step goes by blocks of 16 units instead
 * (rnnc_lstm_step_blocks_vnni below): the same arithmetic in another order. */
#include "rnnc_dispatch_x86.h"
#include "rnnc_gate_fc_s8.h"
#include "rnnc_lstm_cell_update.h"
#include "rnnc_gates_vnni.h"
#include "rnnc_lstm_step_s8.h"

#if RNNC_LSTM_X16
/* 16 hidden values: zp + MBQM(o * tanh(c)), saturated to int8 (clamped before the zero point
 * is added, so the int32 addition cannot overflow) */
static inline __m512i rnnc_lstm_hidden_x16_s8(__m512i o, __m512i tanh_c, const rnnc_rq_x16_t *q, int32_t zero_point)
{
    const __m512i v = rnnc_rq_x16(q, _mm512_mullo_epi32(o, tanh_c));
    return _mm512_add_epi32(rnnc_clamp_x16(v, INT8_MIN - zero_point, INT8_MAX - zero_point),
                            _mm512_set1_epi32(zero_point));
}
#endif
#if RNNC_USE_AVX512VNNI
/* The whole step, 16 units at a time: the block's gate terms (rnnc_gates_vnni.h), their
 * int16 requantization and saturating sum, the cell and the hidden values of those units. The
 * recurrent terms read the previous hidden state, so it is copied to scratch first (the new one
 * is written block by block). Units past hidden_size in the last block are masked off. */
static void rnnc_lstm_step_blocks_vnni(const rnnc_lstm_s8_params_t *p, const int8_t *input, int8_t *hidden,
                                       int16_t *cell, int16_t *scratch)
{
    const int32_t h = p->hidden_size, zp = p->hidden_zero_point;
    int8_t *previous = (int8_t *)(void *)scratch;   /* h bytes of the 10 h the scratch has */
    /* every rescaling's constants, prepared once (rnnc_rq_x16_prepare) */
    rnnc_rq_x16_t qx[4], qh[4];
    const rnnc_lstm_cell_x16_t cell_constants = rnnc_lstm_cell_x16_prepare(
        p->forget_cell_multiplier, p->forget_cell_shift, p->input_gate_multiplier, p->input_gate_shift, p->cell_clip,
        p->tanh_input_shift, p->saturate_sums_only);
    const rnnc_rq_x16_t qhidden = rnnc_rq_x16_prepare(p->hidden_multiplier, p->hidden_shift);
    int32_t u, g;
    rnnc_gate_terms_prepare(p->input_multiplier, p->input_shift, p->recurrent_multiplier, p->recurrent_shift, 4, qx, qh);
    memcpy(previous, hidden, (size_t)h);
    for (u = 0; u < h; u += 16) {
        const __mmask16 m = rnnc_block_mask(h, u);
        __m512i ax[4], ah[4], pre[4], tc, o, c;
        rnnc_block_terms_vnni(input, p->input_size, previous, h, p->input_weights, p->input_gate_stride,
                              p->recurrent_weights, p->recurrent_gate_stride, p->input_bias, p->recurrent_bias, u, m,
                              4, ax, ah);
        for (g = 0; g < 4; g++) {
            pre[g] = rnnc_gate_sum_x16(ax[g], ah[g], &qx[g], &qh[g]);
        }
        c = rnnc_lstm_cell_x16(pre[0], pre[1], pre[2], pre[3],
                               _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(m, cell + u)), &cell_constants, &tc, &o);
        _mm256_mask_storeu_epi16(cell + u, m, _mm512_cvtepi32_epi16(c));
        _mm_mask_storeu_epi8(hidden + u, m, _mm512_cvtepi32_epi8(rnnc_lstm_hidden_x16_s8(o, tc, &qhidden, zp)));
    }
}
#endif
void RNNC_ISA_FN(rnnc_lstm_step_s8)(const rnnc_lstm_s8_params_t *p, const int8_t *input,
                                    int8_t *hidden, int16_t *cell, int16_t *scratch)
{
    const int32_t h = p->hidden_size;
    const int32_t n_in = p->input_size;
    int16_t *gates = scratch;        /* 4h: pre-activations, then activations */
    int16_t *rec = scratch + 4 * h;  /* h: recurrent term of one gate */
    int32_t g, k;
    /* the FC and biases of this level (rnnc_gate_fc_s8.h) */
    const rnnc_gate_fc_s8_t level = rnnc_gate_fc_s8(p->gate_fc, p->input_bias, p->recurrent_bias, p->signed_fc,
                                                    p->input_bias_signed, p->recurrent_bias_signed);
#if RNNC_USE_AVX512VNNI
    if (p->weights_b16x4) {
        rnnc_lstm_step_blocks_vnni(p, input, hidden, cell, scratch);
        return;
    }
#endif
    for (g = 0; g < 4; g++) {
        level.call(input, p->input_weights + g * p->input_gate_stride, level.input_bias + g * h, gates + g * h,
                   n_in, h, p->input_multiplier[g], p->input_shift[g]);
        level.call(hidden, p->recurrent_weights + g * p->recurrent_gate_stride, level.recurrent_bias + g * h, rec,
                   h, h, p->recurrent_multiplier[g], p->recurrent_shift[g]);
        rnnc_add_sat_s16(gates + g * h, rec, h);
    }
    rnnc_lstm_update_cell(gates, cell, h, p->forget_cell_multiplier, p->forget_cell_shift,
                          p->input_gate_multiplier, p->input_gate_shift, p->cell_clip,
                          p->tanh_input_shift, p->saturate_sums_only);
    k = 0;
#if RNNC_USE_MVE
    for (; k + 4 <= h; k += 4) {
        /* saturating add of the zero point: the scalar path adds in int64 */
        const int32x4_t ot = vmulq_s32(vldrhq_s32(gates + 3 * h + k), vldrhq_s32(gates + 2 * h + k));
        const int32x4_t v = rnnc_clamp_mve(vqaddq_s32(rnnc_mbqm_mve(ot, p->hidden_multiplier, p->hidden_shift),
                                                      vdupq_n_s32(p->hidden_zero_point)),
                                           INT8_MIN, INT8_MAX);
        rnnc_mve_store_s8(hidden + k, v);
    }
#endif
#if RNNC_USE_NEON
    for (; k + 4 <= h; k += 4) {
        /* saturating add of the zero point: the scalar path adds in int64 */
        const int32x4_t ot = vmulq_s32(rnnc_neon_load_s16(gates + 3 * h + k), rnnc_neon_load_s16(gates + 2 * h + k));
        const int32x4_t v = rnnc_clamp_neon(vqaddq_s32(rnnc_mbqm_neon(ot, p->hidden_multiplier, p->hidden_shift),
                                                       vdupq_n_s32(p->hidden_zero_point)),
                                            INT8_MIN, INT8_MAX);
        rnnc_neon_store_s8(hidden + k, v);
    }
#endif
#if RNNC_LSTM_X16
    const rnnc_rq_x16_t qhidden = rnnc_rq_x16_prepare(p->hidden_multiplier, p->hidden_shift);
    for (; k + 16 <= h; k += 16) {
        rnnc_x16_store_s8(hidden + k, rnnc_lstm_hidden_x16_s8(rnnc_x16_load_s16(gates + 3 * h + k),
                                                                 rnnc_x16_load_s16(gates + 2 * h + k), &qhidden,
                                                                 p->hidden_zero_point));
    }
#endif
#if RNNC_LSTM_X8
    for (; k + 8 <= h; k += 8) {
        const __m256i ot = _mm256_mullo_epi32(rnnc_x8_load_s16(gates + 3 * h + k), rnnc_x8_load_s16(gates + 2 * h + k));
        /* clamped before the zero point is added, so the int32 addition cannot overflow */
        const __m256i v = rnnc_clamp_x8(rnnc_mbqm_x8(ot, p->hidden_multiplier, p->hidden_shift),
                                        INT8_MIN - p->hidden_zero_point, INT8_MAX - p->hidden_zero_point);
        rnnc_x8_store_s8(hidden + k, _mm256_add_epi32(v, _mm256_set1_epi32(p->hidden_zero_point)));
    }
#endif
    for (; k < h; k++) {
        /* hidden = zp + MBQM(o * tanh(c)), saturated to int8 */
        const int32_t v = rnnc_mbqm((int32_t)gates[3 * h + k] * gates[2 * h + k], p->hidden_multiplier,
                                    p->hidden_shift);
        hidden[k] = (int8_t)rnnc_sat((int64_t)p->hidden_zero_point + v, INT8_MIN, INT8_MAX);
    }
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_lstm_step_s8,
                    (const rnnc_lstm_s8_params_t *p, const int8_t *input, int8_t *hidden, int16_t *cell,
                     int16_t *scratch),
                    (p, input, hidden, cell, scratch))
#endif
