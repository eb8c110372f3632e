/*
 * rnnc_fc_s16 - int16 x int8 fully connected with int16 output (TFLM 16x8 FULLY_CONNECTED:
 * int64 accumulation and bias, single-rounding int64 requantization, zero points 0):
 *   out[o] = clamp(rnnc_mbqm_s64(bias[o] + sum_i w[o][i] * in[i], mult[o], shift[o]), act_min, act_max)
 */
#ifndef RNNC_FC_S16_H
#define RNNC_FC_S16_H

#include <stdint.h>

#include "rnnc_types.h" /* rnnc_fc_s16_params_t */

void rnnc_fc_s16(const rnnc_fc_s16_params_t *p, const int16_t *in, int16_t *out);

#endif /* RNNC_FC_S16_H */
