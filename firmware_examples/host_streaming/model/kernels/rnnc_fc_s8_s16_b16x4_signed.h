/*
 * rnnc_fc_s8_s16_b16x4_signed - int8 x int8 fully connected to int16 on weights packed in
 * blocks of 16 rows by 4 inputs (the layout of rnnc_fc_s8_s16_b16x4), the inputs taken as
 * they are: the gate pre-activations of the int8 LSTM/GRU/RNN on Arm64 (TFLM FULLY_CONNECTED
 * arithmetic):
 *   out[o] = sat16( MBQM(bias[o] + sum_i w[o][i] * in[i], multiplier, shift) )
 *
 * Arm64's SDOT and SMULL multiply signed bytes by signed bytes, so unlike
 * rnnc_fc_s8_s16_b16x4 (whose x86 VPDPBUSD needs an unsigned operand, x + 128) nothing is
 * offset: bias is the plain effective bias, -zero_point(in) * rowsum(w) included, and one
 * SDOT covers 4 rows x 4 inputs (the offset form needs two).
 */
#ifndef RNNC_FC_S8_S16_B16X4_SIGNED_H
#define RNNC_FC_S8_S16_B16X4_SIGNED_H

#include <stdint.h>

void rnnc_fc_s8_s16_b16x4_signed(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                                 int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift);

#endif /* RNNC_FC_S8_S16_B16X4_SIGNED_H */
