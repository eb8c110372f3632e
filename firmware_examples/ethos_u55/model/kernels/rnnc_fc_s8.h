/*
 * rnnc_fc_s8 - int8 fully connected layer with int8 output, TFLM FULLY_CONNECTED arithmetic
 * with per-output-channel requantization (per-tensor models repeat one multiplier):
 *   out[o] = clamp(zp_out + MBQM(bias[o] + sum_i w[o][i] * in[i], mult[o], shift[o]), act_min, act_max)
 * bias is the effective bias: it already contains -zero_point(in) * rowsum(w[o]).
 */
#ifndef RNNC_FC_S8_H
#define RNNC_FC_S8_H

#include <stdint.h>

#include "rnnc_types.h" /* rnnc_fc_s8_params_t */

void rnnc_fc_s8(const rnnc_fc_s8_params_t *p, const int8_t *in, int8_t *out);

#endif /* RNNC_FC_S8_H */
