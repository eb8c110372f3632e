/*
 * rnnc_fc_s8_s16_b16x4 - int8 x int8 fully connected to int16 on weights packed in blocks of
 * 16 rows by 4 inputs: the gate pre-activations of the int8 LSTM/GRU/RNN (TFLM
 * FULLY_CONNECTED arithmetic):
 *   out[o] = sat16( MBQM(bias[o] + sum_i w[o][i] * (in[i] + 128), multiplier, shift) )
 *
 * Layout (codegen/emit/packing.py), zero-padded to a multiple of 16 rows and 4 inputs:
 *   weight[((block * k4 + kg) * 16 + r) * 4 + j] = w[block * 16 + r][kg * 4 + j]
 * Each 64-byte group feeds one x86 VPDPBUSD (16 rows x 4 inputs) and is just as easy for the
 * Arm DSP extension and portable C. bias is the effective bias: it already contains
 * -zero_point(in) * rowsum(w) and -128 * rowsum(w), so the +128 on the input cancels exactly.
 */
#ifndef RNNC_FC_S8_S16_B16X4_H
#define RNNC_FC_S8_S16_B16X4_H

#include <stdint.h>

void rnnc_fc_s8_s16_b16x4(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                          int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift);

#endif /* RNNC_FC_S8_S16_B16X4_H */
