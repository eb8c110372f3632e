/*
 * rnnc_fc_s8_fp32 - int8 fully connected layer with float32 requantization, as LiteRT's default
 * XNNPACK delegate computes FULLY_CONNECTED (the "litert" numerics flavour):
 *   out[o] = zp_out + rne(clamp((float)acc[o] * scale[o], act_min - zp_out, act_max - zp_out))
 * with acc[o] = bias[o] + sum_i w[o][i] * in[i] (int32) and rne rounding to nearest, ties to even.
 */
#ifndef RNNC_FC_S8_FP32_H
#define RNNC_FC_S8_FP32_H

#include <stdint.h>

#include "rnnc_types.h" /* rnnc_fc_s8_fp32_params_t */

void rnnc_fc_s8_fp32(const rnnc_fc_s8_fp32_params_t *p, const int8_t *in, int8_t *out);

#endif /* RNNC_FC_S8_FP32_H */
