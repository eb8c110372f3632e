/*
 * rnnc_lstm_cell_update.h - the element-wise part of an integer LSTM step, shared by the
 * s8 and s16 kernels (header only): gate sums, activations, cell and hidden update.
 */
#ifndef RNNC_LSTM_CELL_UPDATE_H
#define RNNC_LSTM_CELL_UPDATE_H

#include <stdint.h>

#include "rnnc_add_sat_s16.h"
#include "rnnc_lut_mve.h"
#include "rnnc_lut_neon.h"
#include "rnnc_lut_x16.h"
#include "rnnc_lut_x8.h"
#include "rnnc_requantize.h"
#include "rnnc_requantize_mve.h"
#include "rnnc_requantize_neon.h"
#include "rnnc_requantize_x16.h"
#include "rnnc_requantize_x8.h"
#include "rnnc_sigmoid_s16.h"
#include "rnnc_tanh_s16.h"

#include "rnnc_common.h"

#if RNNC_USE_AVX512
#define RNNC_LSTM_X16 1 /* the AVX-512 path below handles 16 units at a time */
#define RNNC_LSTM_X8 0
#elif RNNC_USE_AVX2
#define RNNC_LSTM_X16 0
#define RNNC_LSTM_X8 1 /* the AVX2 path below handles 8 units at a time */
#else
#define RNNC_LSTM_X16 0
#define RNNC_LSTM_X8 0
#endif

#if RNNC_LSTM_X16
/* 16 int16 values widened to int32 lanes */
static inline __m512i rnnc_x16_load_s16(const int16_t *p)
{
    return _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)p));
}

/* The constants of rnnc_lstm_cell_x16, prepared once per step: the two products' rescaling
 * (rnnc_rq_x16_prepare) and the cell's options */
typedef struct {
    rnnc_rq_x16_t forget_cell, input_gate;
    int32_t cell_clip, tanh_shift, saturate_sums_only;
} rnnc_lstm_cell_x16_t;

static inline rnnc_lstm_cell_x16_t rnnc_lstm_cell_x16_prepare(int32_t fc_mult, int32_t fc_shift, int32_t ig_mult,
                                                              int32_t ig_shift, int32_t cell_clip, int32_t tanh_shift,
                                                              int32_t saturate_sums_only)
{
    rnnc_lstm_cell_x16_t k;
    k.forget_cell = rnnc_rq_x16_prepare(fc_mult, fc_shift);
    k.input_gate = rnnc_rq_x16_prepare(ig_mult, ig_shift);
    k.cell_clip = cell_clip;
    k.tanh_shift = tanh_shift;
    k.saturate_sums_only = saturate_sums_only;
    return k;
}

/* Sixteen units of rnnc_lstm_update_cell, lane for lane its arithmetic: the gates' pre-
 * activations and the old cell (int16 values in int32 lanes) -> the new cell; *tanh_c gets
 * tanh(new cell) and *o the output gate, for the hidden update. */
RNNC_VECTOR_INLINE __m512i rnnc_lstm_cell_x16(__m512i ipre, __m512i fpre, __m512i gpre, __m512i opre, __m512i c0,
                                         const rnnc_lstm_cell_x16_t *k, __m512i *tanh_c, __m512i *o)
{
    const __m512i i16min = _mm512_set1_epi32(INT16_MIN), i16max = _mm512_set1_epi32(INT16_MAX);
    const __m512i i = rnnc_sigmoid_x16(ipre);
    const __m512i f = rnnc_sigmoid_x16(fpre);
    const __m512i g = rnnc_tanh_x16(gpre, 0);
    __m512i fc = rnnc_rq_x16(&k->forget_cell, _mm512_mullo_epi32(f, c0));
    __m512i in = rnnc_rq_x16(&k->input_gate, _mm512_mullo_epi32(i, g));
    __m512i c;
    *o = rnnc_sigmoid_x16(opre);
    if (!k->saturate_sums_only) {
        fc = _mm512_min_epi32(_mm512_max_epi32(fc, i16min), i16max);
        in = _mm512_min_epi32(_mm512_max_epi32(in, i16min), i16max);
    }
    c = _mm512_add_epi32(fc, in);
    if (k->cell_clip > 0) {
        c = _mm512_min_epi32(_mm512_max_epi32(c, _mm512_set1_epi32(-k->cell_clip)), _mm512_set1_epi32(k->cell_clip));
    }
    c = _mm512_min_epi32(_mm512_max_epi32(c, i16min), i16max);
    *tanh_c = rnnc_tanh_x16(c, k->tanh_shift);
    return c;
}
#endif

/* Activations of the four gates (i, f, c, o) in place, then the new cell state
 * c = f * c + i * g (each product rescaled to the cell scale). On return gates[2h..3h)
 * holds tanh(c) and gates[3h..4h) the output gate, for the hidden update. */
static inline void rnnc_lstm_update_cell(int16_t *gates, int16_t *cell, int32_t h,
                                         int32_t fc_mult, int32_t fc_shift, int32_t ig_mult,
                                         int32_t ig_shift, int32_t cell_clip, int32_t tanh_shift,
                                         int32_t saturate_sums_only)
{
    int16_t *ig = gates, *fg = gates + h, *cg = gates + 2 * h, *og = gates + 3 * h;
    int32_t k = 0;
#if RNNC_USE_MVE
    /* four units per iteration: activations, both products, the new cell and its tanh */
    for (; k + 4 <= h; k += 4) {
        const int32x4_t i = rnnc_sigmoid_mve(vldrhq_s32(ig + k));
        const int32x4_t f = rnnc_sigmoid_mve(vldrhq_s32(fg + k));
        const int32x4_t g = rnnc_tanh_mve(vldrhq_s32(cg + k), 0);
        const int32x4_t o = rnnc_sigmoid_mve(vldrhq_s32(og + k));
        int32x4_t fc = rnnc_mbqm_mve(vmulq_s32(f, vldrhq_s32(cell + k)), fc_mult, fc_shift);
        int32x4_t in = rnnc_mbqm_mve(vmulq_s32(i, g), ig_mult, ig_shift);
        int32x4_t c;
        if (!saturate_sums_only) {
            fc = rnnc_clamp_mve(fc, INT16_MIN, INT16_MAX);
            in = rnnc_clamp_mve(in, INT16_MIN, INT16_MAX);
        }
        c = vaddq_s32(fc, in);
        if (cell_clip > 0) {
            c = rnnc_clamp_mve(c, -cell_clip, cell_clip);
        }
        c = rnnc_clamp_mve(c, INT16_MIN, INT16_MAX);
        vstrhq_s32(cell + k, c);
        vstrhq_s32(cg + k, rnnc_tanh_mve(c, tanh_shift));
        vstrhq_s32(og + k, o);
    }
#endif
#if RNNC_USE_NEON
    /* four units per iteration, as the Helium path */
    for (; k + 4 <= h; k += 4) {
        const int32x4_t i = rnnc_sigmoid_neon(rnnc_neon_load_s16(ig + k));
        const int32x4_t f = rnnc_sigmoid_neon(rnnc_neon_load_s16(fg + k));
        const int32x4_t g = rnnc_tanh_neon(rnnc_neon_load_s16(cg + k), 0);
        const int32x4_t o = rnnc_sigmoid_neon(rnnc_neon_load_s16(og + k));
        int32x4_t fc = rnnc_mbqm_neon(vmulq_s32(f, rnnc_neon_load_s16(cell + k)), fc_mult, fc_shift);
        int32x4_t in = rnnc_mbqm_neon(vmulq_s32(i, g), ig_mult, ig_shift);
        int32x4_t c;
        if (!saturate_sums_only) {
            fc = rnnc_clamp_neon(fc, INT16_MIN, INT16_MAX);
            in = rnnc_clamp_neon(in, INT16_MIN, INT16_MAX);
        }
        c = vaddq_s32(fc, in);
        if (cell_clip > 0) {
            c = rnnc_clamp_neon(c, -cell_clip, cell_clip);
        }
        c = rnnc_clamp_neon(c, INT16_MIN, INT16_MAX);
        rnnc_neon_store_s16(cell + k, c);
        rnnc_neon_store_s16(cg + k, rnnc_tanh_neon(c, tanh_shift));
        rnnc_neon_store_s16(og + k, o);
    }
#endif
#if RNNC_LSTM_X16
    const rnnc_lstm_cell_x16_t constants = rnnc_lstm_cell_x16_prepare(fc_mult, fc_shift, ig_mult, ig_shift, cell_clip,
                                                                      tanh_shift, saturate_sums_only);
    for (; k + 16 <= h; k += 16) {
        __m512i tc, o;
        const __m512i c = rnnc_lstm_cell_x16(rnnc_x16_load_s16(ig + k), rnnc_x16_load_s16(fg + k),
                                             rnnc_x16_load_s16(cg + k), rnnc_x16_load_s16(og + k),
                                             rnnc_x16_load_s16(cell + k), &constants, &tc, &o);
        rnnc_x16_store_s16(cell + k, c);
        rnnc_x16_store_s16(cg + k, tc);
        rnnc_x16_store_s16(og + k, o);
    }
#endif
#if RNNC_LSTM_X8
    for (; k + 8 <= h; k += 8) {
        const __m256i i = rnnc_sigmoid_x8(rnnc_x8_load_s16(ig + k));
        const __m256i f = rnnc_sigmoid_x8(rnnc_x8_load_s16(fg + k));
        const __m256i g = rnnc_tanh_x8(rnnc_x8_load_s16(cg + k), 0);
        const __m256i o = rnnc_sigmoid_x8(rnnc_x8_load_s16(og + k));
        __m256i fc = rnnc_mbqm_x8(_mm256_mullo_epi32(f, rnnc_x8_load_s16(cell + k)), fc_mult, fc_shift);
        __m256i in = rnnc_mbqm_x8(_mm256_mullo_epi32(i, g), ig_mult, ig_shift);
        __m256i c;
        if (!saturate_sums_only) {
            fc = rnnc_clamp_x8(fc, INT16_MIN, INT16_MAX);
            in = rnnc_clamp_x8(in, INT16_MIN, INT16_MAX);
        }
        c = _mm256_add_epi32(fc, in);
        if (cell_clip > 0) {
            c = rnnc_clamp_x8(c, -cell_clip, cell_clip);
        }
        c = rnnc_clamp_x8(c, INT16_MIN, INT16_MAX);
        rnnc_x8_store_s16(cell + k, c);
        rnnc_x8_store_s16(cg + k, rnnc_tanh_x8(c, tanh_shift));
        rnnc_x8_store_s16(og + k, o);
    }
#endif
    if (k < h) { /* portable C: all units, or the tail after the vector loop */
        int32_t j;
        rnnc_sigmoid_s16(ig + k, ig + k, h - k);
        rnnc_sigmoid_s16(fg + k, fg + k, h - k);
        rnnc_tanh_s16(cg + k, cg + k, h - k, 0);
        rnnc_sigmoid_s16(og + k, og + k, h - k);
        for (j = k; j < h; j++) {
            int32_t fc = rnnc_mbqm((int32_t)fg[j] * cell[j], fc_mult, fc_shift);
            int32_t in = rnnc_mbqm((int32_t)ig[j] * cg[j], ig_mult, ig_shift);
            int32_t c;
            if (saturate_sums_only) {
                c = fc + in;
            } else {
                c = rnnc_sat(rnnc_sat(fc, INT16_MIN, INT16_MAX) + rnnc_sat(in, INT16_MIN, INT16_MAX),
                             INT16_MIN, INT16_MAX);
            }
            if (cell_clip > 0) {
                c = rnnc_sat(c, -cell_clip, cell_clip);
            }
            cell[j] = (int16_t)rnnc_sat(c, INT16_MIN, INT16_MAX);
        }
        rnnc_tanh_s16(cell + k, cg + k, h - k, tanh_shift);
    }
}

#endif /* RNNC_LSTM_CELL_UPDATE_H */
