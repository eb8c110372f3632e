/*
 * rnnc_tanh_s16 - int16 tanh, Q0.15 out, in place allowed.
 * input_left_shift L scales the input like TFLM's LSTM: L >= 0 multiplies by 3 << L,
 * L < 0 multiplies by 3 and divides by 2^-L with rounding. Q3.12 input: L = 0.
 */
#ifndef RNNC_TANH_S16_H
#define RNNC_TANH_S16_H

#include <stdint.h>

void rnnc_tanh_s16(const int16_t *in, int16_t *out, int32_t n, int32_t input_left_shift);

#endif /* RNNC_TANH_S16_H */
