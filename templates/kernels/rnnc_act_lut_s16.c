/*
 * rnnc_act_lut_s16.c - int16 sigmoid / tanh through the int16 LUT kernels (portable C).
 */
#include "rnnc_act_lut_s16.h"
#include "rnnc_requantize.h"
#include "rnnc_sigmoid_s16.h"
#include "rnnc_tanh_s16.h"

#define RNNC_ACT_MIN INT16_MIN
#define RNNC_ACT_MAX INT16_MAX

void rnnc_act_lut_s16(const rnnc_act_lut_params_t *p, const int16_t *in, int16_t *out, int32_t n)
{
    int32_t k;
    for (k = 0; k < n; k++) {
        int16_t v = (int16_t)rnnc_sat(rnnc_mbqm((int32_t)in[k] - p->input_zero_point, p->input_multiplier,
                                                p->input_shift), INT16_MIN, INT16_MAX);
        if (p->use_tanh) {
            rnnc_tanh_s16(&v, &v, 1, 0);
        } else {
            rnnc_sigmoid_s16(&v, &v, 1);
        }
        out[k] = (int16_t)rnnc_sat((int64_t)p->output_zero_point + rnnc_mbqm(v, p->output_multiplier, p->output_shift),
                                  RNNC_ACT_MIN, RNNC_ACT_MAX);
    }
}
