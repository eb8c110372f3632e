/*
 * rnnc_fc_s8_s16_rows - int8 x int8 fully connected to int16 on plain rows, for Helium: the
 * gate pre-activations of the int8 LSTM/GRU/RNN on Cortex-M55 (TFLM FULLY_CONNECTED arithmetic):
 *   out[o] = sat16( MBQM(bias[o] + sum_i w[o][i] * in[i], multiplier, shift) )
 * Layout: weight[o * in_size + i] = w[o][i]; bias is the plain effective bias
 * (bias - zero_point(in) * rowsum(w)). VMLADAV forms dot products along a row, 16 inputs per
 * instruction.
 */
#ifndef RNNC_FC_S8_S16_ROWS_H
#define RNNC_FC_S8_S16_ROWS_H

#include <stdint.h>

void rnnc_fc_s8_s16_rows(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                         int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift);

#endif /* RNNC_FC_S8_S16_ROWS_H */
