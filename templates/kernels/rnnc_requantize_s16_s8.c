/*
 * rnnc_requantize_s16_s8.c - int16 to int8 with another scale (portable C).
 */
#include "rnnc_requantize.h"
#include "rnnc_requantize_s16_s8.h"

void rnnc_requantize_s16_s8(const int16_t *in, int8_t *out, int32_t n, int32_t in_zero_point, int32_t multiplier,
                          int32_t shift, int32_t out_zero_point)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        const int32_t v = rnnc_mbqm((int32_t)in[i] - in_zero_point, multiplier, shift);
        out[i] = (int8_t)rnnc_sat((int64_t)out_zero_point + v, INT8_MIN, INT8_MAX);
    }
}
