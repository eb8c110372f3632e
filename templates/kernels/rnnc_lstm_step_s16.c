/*
 * rnnc_lstm_step_s16.c - one integer LSTM time step, int16 activations (portable C).
 */
#include "rnnc_fc_s16_s16.h"
#include "rnnc_lstm_cell_update.h"
#include "rnnc_lstm_step_s16.h"

void rnnc_lstm_step_s16(const rnnc_lstm_s16_params_t *p, const int16_t *input, int16_t *hidden,
                       int16_t *cell, int16_t *scratch)
{
    const int32_t h = p->hidden_size;
    const int32_t n_in = p->input_size;
    int16_t *gates = scratch;        /* 4h: pre-activations, then activations */
    int16_t *rec = scratch + 4 * h;  /* h: recurrent term of one gate */
    int32_t g, k;
    for (g = 0; g < 4; g++) {
        rnnc_fc_s16_s16(input, p->input_weights + g * h * n_in, p->input_bias + g * h, gates + g * h,
                       n_in, h, p->input_multiplier[g], p->input_shift[g]);
        rnnc_fc_s16_s16(hidden, p->recurrent_weights + g * h * h, p->recurrent_bias + g * h, rec,
                       h, h, p->recurrent_multiplier[g], p->recurrent_shift[g]);
        rnnc_lstm_add_gates(gates + g * h, rec, h);
    }
    rnnc_lstm_update_cell(gates, cell, h, p->forget_cell_multiplier, p->forget_cell_shift,
                          p->input_gate_multiplier, p->input_gate_shift, p->cell_clip,
                          p->tanh_input_shift, p->saturate_sums_only);
    for (k = 0; k < h; k++) {
        /* hidden = zp + MBQM(o * tanh(c)), saturated to int16 */
        const int32_t v = rnnc_mbqm((int32_t)gates[3 * h + k] * gates[2 * h + k], p->hidden_multiplier,
                                    p->hidden_shift);
        hidden[k] = (int16_t)rnnc_sat((int64_t)p->hidden_zero_point + v, INT16_MIN, INT16_MAX);
    }
}
