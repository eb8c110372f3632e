/*
 * rnnc_requantize_s8_s16 - int8 to int16 with another scale, the conversion layer between layers of
 * different integer schemes (mixed precision; TFLite REQUANTIZE arithmetic, docs/numerics-glue.md):
 *   out[i] = clamp(out_zero_point + MBQM(in[i] - in_zero_point, multiplier, shift))
 */
#ifndef RNNC_REQUANTIZE_S8_S16_H
#define RNNC_REQUANTIZE_S8_S16_H

#include <stdint.h>

void rnnc_requantize_s8_s16(const int8_t *in, int16_t *out, int32_t n, int32_t in_zero_point, int32_t multiplier,
                          int32_t shift, int32_t out_zero_point);

#endif /* RNNC_REQUANTIZE_S8_S16_H */
