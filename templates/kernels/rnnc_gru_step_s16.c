/*
 * rnnc_gru_step_s16.c - one integer GRU time step, int16 activations (portable C).
 */
#include "rnnc_fc_s16_s16.h"
#include "rnnc_gru_step_s16.h"
#include "rnnc_requantize.h"
#include "rnnc_sigmoid_s16.h"
#include "rnnc_tanh_s16.h"

#define RNNC_ACT_MIN INT16_MIN
#define RNNC_ACT_MAX INT16_MAX

void rnnc_gru_step_s16(const rnnc_gru_s16_params_t *p, const int16_t *input, int16_t *hidden,
                      int16_t *scratch, int16_t *rh_scratch)
{
    const int32_t h = p->hidden_size;
    const int32_t n_in = p->input_size;
    const int32_t zp = p->hidden_zero_point;
    int16_t *z = scratch, *r = scratch + h, *n = scratch + 2 * h, *t = scratch + 3 * h;
    int32_t g, k;
    /* z and r: sigmoid(sat16(FC_x + FC_h)) */
    for (g = 0; g < 2; g++) {
        int16_t *gate = scratch + g * h;
        rnnc_fc_s16_s16(input, p->input_weights + g * h * n_in, p->input_bias + g * h, gate, n_in, h,
                       p->input_multiplier[g], p->input_shift[g]);
        rnnc_fc_s16_s16(hidden, p->recurrent_weights + g * h * h, p->recurrent_bias + g * h, t, h, h,
                       p->recurrent_multiplier[g], p->recurrent_shift[g]);
        for (k = 0; k < h; k++) {
            gate[k] = (int16_t)rnnc_sat((int32_t)gate[k] + t[k], INT16_MIN, INT16_MAX);
        }
        rnnc_sigmoid_s16(gate, gate, h);
    }
    /* candidate pre-activation */
    rnnc_fc_s16_s16(input, p->input_weights + 2 * h * n_in, p->input_bias + 2 * h, n, n_in, h,
                   p->input_multiplier[2], p->input_shift[2]);
    if (p->linear_before_reset) {
        rnnc_fc_s16_s16(hidden, p->recurrent_weights + 2 * h * h, p->recurrent_bias + 2 * h, t, h, h,
                       p->recurrent_multiplier[2], p->recurrent_shift[2]);
        for (k = 0; k < h; k++) {
            const int32_t rb = rnnc_sat(rnnc_mbqm((int32_t)r[k] * t[k], p->rb_multiplier, p->rb_shift),
                                        INT16_MIN, INT16_MAX);
            n[k] = (int16_t)rnnc_sat((int32_t)n[k] + rb, INT16_MIN, INT16_MAX);
        }
    } else {
        for (k = 0; k < h; k++) {
            const int32_t v = rnnc_mbqm((int32_t)r[k] * ((int32_t)hidden[k] - zp), p->rh_multiplier, p->rh_shift);
            rh_scratch[k] = (int16_t)rnnc_sat((int64_t)zp + v, RNNC_ACT_MIN, RNNC_ACT_MAX);
        }
        rnnc_fc_s16_s16(rh_scratch, p->recurrent_weights + 2 * h * h, p->recurrent_bias + 2 * h, t, h, h,
                       p->recurrent_multiplier[2], p->recurrent_shift[2]);
        for (k = 0; k < h; k++) {
            n[k] = (int16_t)rnnc_sat((int32_t)n[k] + t[k], INT16_MIN, INT16_MAX);
        }
    }
    rnnc_tanh_s16(n, n, h, 0);
    /* h' = (1 - z) * n + z * h, each product requantized to the hidden scale */
    for (k = 0; k < h; k++) {
        const int32_t t1 = rnnc_sat((int64_t)zp + rnnc_mbqm((32768 - (int32_t)z[k]) * n[k], p->omz_multiplier,
                                                            p->omz_shift), RNNC_ACT_MIN, RNNC_ACT_MAX);
        const int32_t t2 = rnnc_sat((int64_t)zp + rnnc_mbqm((int32_t)z[k] * ((int32_t)hidden[k] - zp),
                                                            p->zh_multiplier, p->zh_shift), RNNC_ACT_MIN, RNNC_ACT_MAX);
        hidden[k] = (int16_t)rnnc_sat((int64_t)t1 + t2 - zp, RNNC_ACT_MIN, RNNC_ACT_MAX);
    }
}
