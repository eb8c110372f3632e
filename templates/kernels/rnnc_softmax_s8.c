/*
 * rnnc_softmax_s8.c - int8 softmax with an exp table and rounded integer division (portable C).
 */
#include "rnnc_requantize.h"
#include "rnnc_softmax_s8.h"

#define RNNC_ACT_MIN INT8_MIN
#define RNNC_ACT_MAX INT8_MAX

void rnnc_softmax_s8(const rnnc_softmax_params_t *p, const int8_t *in, int8_t *out, int32_t n)
{
    int32_t k, max = in[0];
    int64_t sum = 0;
    for (k = 1; k < n; k++) {
        max = in[k] > max ? in[k] : max;
    }
    for (k = 0; k < n; k++) {
        int32_t idx = rnnc_mbqm(max - (int32_t)in[k], p->step_multiplier, p->step_shift);
        sum += p->exp_table[idx < p->table_size ? idx : p->table_size - 1];
    }
    for (k = 0; k < n; k++) {
        int32_t idx = rnnc_mbqm(max - (int32_t)in[k], p->step_multiplier, p->step_shift);
        const int64_t e = p->exp_table[idx < p->table_size ? idx : p->table_size - 1];
        const int64_t q = (e * p->one + sum / 2) / sum;
        out[k] = (int8_t)rnnc_sat(q + p->output_zero_point, RNNC_ACT_MIN, RNNC_ACT_MAX);
    }
}
