/*
 * rnnc_act_lut_s8 - int8 sigmoid / tanh: the input is rescaled to Q3.12, goes through the
 * int16 LUT sigmoid or tanh (Q0.15), and is requantized to the fixed output quantization
 * (sigmoid: scale 1/256, zero point -128; tanh: scale 1/128, zero point 0).
 */
#ifndef RNNC_ACT_LUT_S8_H
#define RNNC_ACT_LUT_S8_H

#include <stdint.h>

typedef struct {
    int32_t use_tanh;           /* 0: sigmoid, 1: tanh */
    int32_t input_zero_point;
    int32_t input_multiplier;   /* input scale -> Q3.12 */
    int32_t input_shift;
    int32_t output_multiplier;  /* Q0.15 -> output scale */
    int32_t output_shift;
    int32_t output_zero_point;
} rnnc_act_lut_params_t;

void rnnc_act_lut_s8(const rnnc_act_lut_params_t *p, const int8_t *in, int8_t *out, int32_t n);

#endif /* RNNC_ACT_LUT_S8_H */
