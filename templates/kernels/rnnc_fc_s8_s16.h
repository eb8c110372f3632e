/*
 * rnnc_fc_s8_s16 - int8 x int8 fully connected layer with int16 output, the gate
 * pre-activations of integer LSTM/GRU/RNN layers (TFLM FULLY_CONNECTED arithmetic):
 *   out[o] = sat16( MBQM(bias[o] + sum_i w[o][i] * in[i], multiplier, shift) )
 * bias is the effective bias: it already contains -zero_point(in) * rowsum(w[o]).
 */
#ifndef RNNC_FC_S8_S16_H
#define RNNC_FC_S8_S16_H

#include <stdint.h>

void rnnc_fc_s8_s16(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                    int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift);

#endif /* RNNC_FC_S8_S16_H */
