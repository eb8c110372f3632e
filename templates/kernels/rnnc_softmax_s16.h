/*
 * rnnc_softmax_s16 - int16 softmax over one vector (rnnc's integer spec, docs/numerics-glue.md):
 *   d_i = max - x_i;  k_i = min(MBQM(d_i, step), table_size - 1);  e_i = exp_table[k_i]
 *   out_i = clamp(zero_point + (e_i * one + sum/2) / sum)
 * exp_table[k] = round(65536 * exp(-k * step_scale)) is computed at compile time.
 */
#ifndef RNNC_SOFTMAX_S16_H
#define RNNC_SOFTMAX_S16_H

#include <stdint.h>

#include "rnnc_softmax_s8.h" /* rnnc_softmax_params_t */

void rnnc_softmax_s16(const rnnc_softmax_params_t *p, const int16_t *in, int16_t *out, int32_t n);

#endif /* RNNC_SOFTMAX_S16_H */
