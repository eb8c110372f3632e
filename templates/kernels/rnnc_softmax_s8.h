/*
 * rnnc_softmax_s8 - int8 softmax over one vector (rnnc's integer spec, docs/numerics-glue.md):
 *   d_i = max - x_i;  k_i = min(MBQM(d_i, step), table_size - 1);  e_i = exp_table[k_i]
 *   out_i = clamp(zero_point + (e_i * one + sum/2) / sum)
 * exp_table[k] = round(65536 * exp(-k * step_scale)) is computed at compile time.
 */
#ifndef RNNC_SOFTMAX_S8_H
#define RNNC_SOFTMAX_S8_H

#include <stdint.h>

typedef struct {
    const int32_t *exp_table;
    int32_t table_size;
    int32_t step_multiplier;    /* input scale -> table step */
    int32_t step_shift;
    int32_t one;                /* 1.0 in output units: 256 (int8) or 32768 (int16) */
    int32_t output_zero_point;
} rnnc_softmax_params_t;

void rnnc_softmax_s8(const rnnc_softmax_params_t *p, const int8_t *in, int8_t *out, int32_t n);

#endif /* RNNC_SOFTMAX_S8_H */
