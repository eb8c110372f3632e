/*
 * rnnc_fc_s8_s16_wbab - binary-coded weights x binary-coded activations to int16 (Q3.12): the
 * gate terms of the 'binary-w{K}a{K}' and 'ternary' LSTM/GRU/RNN (docs/numerics-lowbit.md).
 * The int8 input v = in - zero_point is coded online into planes s_k in {-1, +1} with integer
 * coefficients beta_k (greedy binary codes, or threshold ternary as two planes); then per row
 *   acc = bias[o] + sum_i sum_k coef_i * beta_k * (kept - 2 * popcount((c_i XOR s_k) AND mask))
 *   out[o] = sat16( MBQM(acc, multiplier, shift) )
 * with `kept` the row's unpruned weight count. `weight` points at a rnnc_wbab_weights_t
 * (rnnc_types.h); one multiplier and shift for the gate. `bias` is the plain bias (no zero-point fold).
 */
#ifndef RNNC_FC_S8_S16_WBAB_H
#define RNNC_FC_S8_S16_WBAB_H

#include <stdint.h>

void rnnc_fc_s8_s16_wbab(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                         int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift);

#endif /* RNNC_FC_S8_S16_WBAB_H */
