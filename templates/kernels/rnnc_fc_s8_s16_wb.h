/*
 * rnnc_fc_s8_s16_wb - int8 input x multi-bit binary-coded weights to int16 (Q3.12): the gate
 * terms of the 'binary-w{K}a8' and 'ternary-a8' LSTM/GRU/RNN (docs/numerics-lowbit.md).
 * Per output row o with codes c_k in {-1, +1} (0 where pruned) and integer coefficients a_k:
 *   out[o] = sat16( MBQM(bias[o] + sum_k a_k * sum_i c_k[i] * in[i], multiplier, shift) )
 * computed as sum_i c_k[i] * in[i] = 2 * (sum of in[i] where c_k[i] = +1) - (sum of in[i] kept).
 * `weight` points at a rnnc_wb8_weights_t (rnnc_types.h); one multiplier and shift for the gate.
 */
#ifndef RNNC_FC_S8_S16_WB_H
#define RNNC_FC_S8_S16_WB_H

#include <stdint.h>

void rnnc_fc_s8_s16_wb(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                       int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift);

#endif /* RNNC_FC_S8_S16_WB_H */
