/*
 * rnnc_lstm_step_litert_s8.c - one int8 LSTM time step in LiteRT's arithmetic (see the header).
 */
#include "rnnc_gemmlowp_s16.h"
#include "rnnc_lstm_step_litert_s8.h"
#include "rnnc_requantize.h"

void rnnc_lstm_step_litert_s8(const rnnc_lstm_s8_params_t *p, const int8_t *input, int8_t *hidden, int16_t *cell,
                              int16_t *scratch)
{
    const int32_t h = p->hidden_size;
    const int32_t n_in = p->input_size;
    const int32_t cell_bits = p->tanh_input_shift + 3;   /* 15 + log2(cell scale) */
    int16_t *gates = scratch;                            /* 4h: pre-activations, then activations */
    int32_t g, k, j;
    for (g = 0; g < 4; g++) {
        const int8_t *rw = p->recurrent_weights + g * p->recurrent_gate_stride;
        int16_t *pre = gates + g * h;
        /* the input term saturated to int16, as LiteRT's first accumulation into the gate */
        p->gate_fc(input, p->input_weights + g * p->input_gate_stride, p->input_bias + g * h, pre, n_in, h,
                   p->input_multiplier[g], p->input_shift[g]);
        /* the recurrent term added unsaturated; only the sum saturates */
        for (k = 0; k < h; k++) {
            int32_t acc = p->recurrent_bias[g * h + k];
            for (j = 0; j < h; j++) {
                acc += (int32_t)rw[k * h + j] * hidden[j];
            }
            pre[k] = (int16_t)rnnc_sat((int64_t)pre[k] + rnnc_mbqm(acc, p->recurrent_multiplier[g],
                                                                   p->recurrent_shift[g]), INT16_MIN, INT16_MAX);
        }
    }
    for (k = 0; k < h; k++) {
        const int32_t i = rnnc_gl_logistic_s16(gates[k]);
        const int32_t f = rnnc_gl_logistic_s16(gates[h + k]);
        const int32_t c_gate = rnnc_gl_tanh_s16(gates[2 * h + k], 3);
        const int32_t o = rnnc_gl_logistic_s16(gates[3 * h + k]);
        /* each product rounded once; both fit int16 for a cell scale of 2^-15 or more */
        int32_t c = rnnc_rounding_divide_by_pot(f * cell[k], 15) +
                    rnnc_rounding_divide_by_pot(i * c_gate, 15 + cell_bits);
        c = rnnc_sat(c, INT16_MIN, INT16_MAX);
        if (p->cell_clip > 0) {
            c = rnnc_sat(c, -p->cell_clip, p->cell_clip);
        }
        cell[k] = (int16_t)c;
        hidden[k] = (int8_t)rnnc_sat((int64_t)p->hidden_zero_point +
                                         rnnc_mbqm(o * rnnc_gl_tanh_s16(c, cell_bits), p->hidden_multiplier,
                                                   p->hidden_shift), -128, 127);
    }
}
