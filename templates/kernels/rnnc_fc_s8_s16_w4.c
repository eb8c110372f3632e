/*
 * rnnc_fc_s8_s16_w4.c - int8 x int4 fully connected to int16 (rnnc_fc_s8_s16_w4.h), portable
 * C99. Every product and partial sum is an exact integer within int32 (the quantizer bounds
 * sum |L| for the accumulator), so any order of the additions gives the same result.
 */
#include "rnnc_common.h"
#include "rnnc_fc_s8_s16_w4.h"
#include "rnnc_requantize.h"
#include "rnnc_types.h"

/* The 4-bit two's complement value in the low nibble of b, -8..7. */
static inline int32_t rnnc_int4_lo(uint32_t b)
{
    return (int32_t)(b & 0x7u) - (int32_t)(b & 0x8u);
}

/* sum_i v[i] * in[i] over one packed row of n int4 values. */
static int32_t rnnc_dot_int4_s8(const uint8_t *row, const int8_t *in, int32_t n)
{
    int32_t acc = 0, i;
    for (i = 0; i + 2 <= n; i += 2) {
        const uint32_t b = row[i >> 1];
        acc += rnnc_int4_lo(b) * in[i] + rnnc_int4_lo(b >> 4) * in[i + 1];
    }
    if (i < n) {
        acc += rnnc_int4_lo(row[i >> 1]) * in[i];
    }
    return acc;
}

void rnnc_fc_s8_s16_w4(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                       int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
    const rnnc_w4_weights_t *w = (const rnnc_w4_weights_t *)(const void *)weight;
    const int32_t row_bytes = (in_size + 1) / 2;
    int32_t o;
    (void)multiplier; /* per row: w->multiplier, w->shift */
    (void)shift;
    for (o = 0; o < out_size; o++) {
        int32_t acc = rnnc_dot_int4_s8(w->codes + o * row_bytes, in, in_size);
        if (w->residual != NULL) {
            /* codes * 2^m + residual; a multiplication, as left shifts of negative values are UB */
            acc = acc * ((int32_t)1 << w->residual_shift[o]) + rnnc_dot_int4_s8(w->residual + o * row_bytes, in, in_size);
        }
        out[o] = (int16_t)rnnc_sat(rnnc_mbqm(bias[o] + acc, w->multiplier[o], w->shift[o]), INT16_MIN, INT16_MAX);
    }
}
