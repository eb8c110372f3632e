/*
 * rnnc_fc_s16_s16 - int16 x int8 fully connected with int64 accumulation and int16 output
 * (TFLM 16x8 FULLY_CONNECTED arithmetic, single-rounding int64 requantization):
 *   out[o] = sat16( rnnc_mbqm_s64(bias[o] + sum_i w[o][i] * in[i], multiplier, shift) )
 */
#ifndef RNNC_FC_S16_S16_H
#define RNNC_FC_S16_S16_H

#include <stdint.h>

void rnnc_fc_s16_s16(const int16_t *in, const int8_t *weight, const int64_t *bias, int16_t *out,
                     int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift);

#endif /* RNNC_FC_S16_S16_H */
