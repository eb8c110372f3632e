/*
 * rnnc_fc_s8_s16_w4 - int8 input x int4 weights to int16 (Q3.12): the gate terms of the 'int4'
 * LSTM/GRU/RNN (docs/numerics-lowbit.md). Per output row o, with L the row's exact integer
 * weights (codes * 2^m + residual when a residual tensor is present, else codes):
 *   out[o] = sat16( MBQM(bias[o] + sum_i L[o][i] * in[i], multiplier[o], shift[o]) )
 * `weight` points at a rnnc_w4_weights_t (rnnc_types.h); multiplier and shift are unused.
 */
#ifndef RNNC_FC_S8_S16_W4_H
#define RNNC_FC_S8_S16_W4_H

#include <stdint.h>

void rnnc_fc_s8_s16_w4(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                       int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift);

#endif /* RNNC_FC_S8_S16_W4_H */
