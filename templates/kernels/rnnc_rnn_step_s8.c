/*
 * rnnc_rnn_step_s8.c - one integer simple-RNN time step, int8 activations (portable C).
 */
#include "rnnc_fc_s8_s16.h"
#include "rnnc_requantize.h"
#include "rnnc_rnn_step_s8.h"
#include "rnnc_tanh_s16.h"

#define RNNC_ACT_MIN INT8_MIN
#define RNNC_ACT_MAX INT8_MAX

void rnnc_rnn_step_s8(const rnnc_rnn_s8_params_t *p, const int8_t *input, int8_t *hidden,
                      int16_t *scratch)
{
    const int32_t h = p->hidden_size;
    int16_t *pre = scratch, *t = scratch + h;
    int32_t k;
    rnnc_fc_s8_s16(input, p->input_weights, p->input_bias, pre, p->input_size, h,
                   p->input_multiplier, p->input_shift);
    rnnc_fc_s8_s16(hidden, p->recurrent_weights, p->recurrent_bias, t, h, h,
                   p->recurrent_multiplier, p->recurrent_shift);
    for (k = 0; k < h; k++) {
        pre[k] = (int16_t)rnnc_sat((int32_t)pre[k] + t[k], INT16_MIN, INT16_MAX);
    }
    if (p->use_relu) {
        for (k = 0; k < h; k++) {
            pre[k] = pre[k] > 0 ? pre[k] : 0;
        }
    } else {
        rnnc_tanh_s16(pre, pre, h, 0);
    }
    for (k = 0; k < h; k++) {
        const int32_t v = rnnc_mbqm(pre[k], p->output_multiplier, p->output_shift);
        hidden[k] = (int8_t)rnnc_sat((int64_t)p->hidden_zero_point + v, RNNC_ACT_MIN, RNNC_ACT_MAX);
    }
}
