/*
 * rnnc_act_lut_s16 - int16 sigmoid / tanh: the input is rescaled to Q3.12, goes through the
 * int16 LUT sigmoid or tanh (Q0.15), and is requantized to the fixed output quantization
 * (scale 2^-15, zero point 0).
 */
#ifndef RNNC_ACT_LUT_S16_H
#define RNNC_ACT_LUT_S16_H

#include <stdint.h>

#include "rnnc_act_lut_s8.h" /* rnnc_act_lut_params_t */

void rnnc_act_lut_s16(const rnnc_act_lut_params_t *p, const int16_t *in, int16_t *out, int32_t n);

#endif /* RNNC_ACT_LUT_S16_H */
