/*
 * rnnc_fc_s8_s16 - int8 x int8 fully connected layer with int16 output, the gate
 * pre-activations of integer LSTM/GRU/RNN layers (TFLM FULLY_CONNECTED arithmetic):
 *   out[o] = sat16( MBQM(bias[o] + sum_i w[o][i] * (in[i] + 128), multiplier, shift) )
 *
 * Weights are packed in blocks of 16 rows by 4 inputs (codegen/emit/packing.py):
 *   weight[((block * k4 + kg) * 16 + r) * 4 + j] = w[block * 16 + r][kg * 4 + j]
 * zero-padded to a multiple of 16 rows and 4 inputs (RNNC_FC_S8_S16_PACKED_SIZE bytes).
 * bias is the effective bias: it already contains -zero_point(in) * rowsum(w) and
 * -128 * rowsum(w), so the +128 on the input cancels exactly.
 *
 * Models built for Helium (RNNC_FC_S8_ROWS = 1 in rnnc_common.h) keep plain rows instead,
 * weight[o * in_size + i] = w[o][i], and the plain effective bias (no +128 offset):
 * VMLADAV forms dot products along a row, 16 inputs per instruction.
 */
#ifndef RNNC_FC_S8_S16_H
#define RNNC_FC_S8_S16_H

#include <stdint.h>

#include "rnnc_common.h"

#if RNNC_FC_S8_ROWS
#define RNNC_FC_S8_S16_PACKED_SIZE(rows, cols) ((rows) * (cols))
#else
#define RNNC_FC_S8_S16_PACKED_SIZE(rows, cols) ((((rows) + 15) / 16 * 16) * (((cols) + 3) / 4 * 4))
#endif

void rnnc_fc_s8_s16(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                    int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift);

#endif /* RNNC_FC_S8_S16_H */
