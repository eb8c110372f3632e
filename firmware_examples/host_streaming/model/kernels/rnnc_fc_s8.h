/*
 * rnnc_fc_s8 - int8 fully connected layer with int8 output, TFLM FULLY_CONNECTED arithmetic
 * with per-output-channel requantization (per-tensor models repeat one multiplier):
 *   out[o] = clamp(zp_out + MBQM(bias[o] + sum_i w[o][i] * in[i], mult[o], shift[o]), act_min, act_max)
 * bias is the effective bias: it already contains -zero_point(in) * rowsum(w[o]).
 */
#ifndef RNNC_FC_S8_H
#define RNNC_FC_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_size;
    int32_t out_size;
    const int8_t *weight;       /* [out][in] */
    const int32_t *bias;        /* [out] effective bias */
    const int32_t *multiplier;  /* [out] */
    const int32_t *shift;       /* [out] */
    int32_t output_zero_point;
    int32_t act_min;            /* fused activation clamp (relu, relu6) or the int8 range */
    int32_t act_max;
} rnnc_fc_s8_params_t;

void rnnc_fc_s8(const rnnc_fc_s8_params_t *p, const int8_t *in, int8_t *out);

#endif /* RNNC_FC_S8_H */
