/*
 * rnnc_lstm_cell_update.h - the element-wise part of an integer LSTM step, shared by the
 * s8 and s16 kernels (header only): gate sums, activations, cell and hidden update.
 */
#ifndef RNNC_LSTM_CELL_UPDATE_H
#define RNNC_LSTM_CELL_UPDATE_H

#include <stdint.h>

#include "rnnc_requantize.h"
#include "rnnc_sigmoid_s16.h"
#include "rnnc_tanh_s16.h"

/* gates[4H] (input FC terms) += rec[4H] (recurrent terms), saturating to int16 */
static inline void rnnc_lstm_add_gates(int16_t *gates, const int16_t *rec, int32_t n)
{
    int32_t k;
    for (k = 0; k < n; k++) {
        gates[k] = (int16_t)rnnc_sat((int32_t)gates[k] + rec[k], INT16_MIN, INT16_MAX);
    }
}

/* Activations of the four gates (i, f, c, o) in place, then the new cell state
 * c = f * c + i * g (each product rescaled to the cell scale). On return gates[2h..3h)
 * holds tanh(c) and gates[3h..4h) the output gate, for the hidden update. */
static inline void rnnc_lstm_update_cell(int16_t *gates, int16_t *cell, int32_t h,
                                         int32_t fc_mult, int32_t fc_shift, int32_t ig_mult,
                                         int32_t ig_shift, int32_t cell_clip, int32_t tanh_shift,
                                         int32_t saturate_sums_only)
{
    int16_t *ig = gates, *fg = gates + h, *cg = gates + 2 * h, *og = gates + 3 * h;
    int32_t k;
    rnnc_sigmoid_s16(ig, ig, h);
    rnnc_sigmoid_s16(fg, fg, h);
    rnnc_tanh_s16(cg, cg, h, 0);
    rnnc_sigmoid_s16(og, og, h);
    for (k = 0; k < h; k++) {
        int32_t fc = rnnc_mbqm((int32_t)fg[k] * cell[k], fc_mult, fc_shift);
        int32_t in = rnnc_mbqm((int32_t)ig[k] * cg[k], ig_mult, ig_shift);
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
        cell[k] = (int16_t)rnnc_sat(c, INT16_MIN, INT16_MAX);
    }
    rnnc_tanh_s16(cell, cg, h, tanh_shift);
}

#endif /* RNNC_LSTM_CELL_UPDATE_H */
