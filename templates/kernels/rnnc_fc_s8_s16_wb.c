/*
 * rnnc_fc_s8_s16_wb.c - int8 x binary-coded fully connected to int16 (rnnc_fc_s8_s16_wb.h),
 * portable C99: each code plane selects the inputs it adds (no multiplications by weights).
 * Every partial sum is an exact integer within int32 (the quantizer bounds sum |weight|), so
 * the order of the additions does not matter.
 */
#include "rnnc_common.h"
#include "rnnc_fc_s8_s16_wb.h"
#include "rnnc_requantize.h"
#include "rnnc_types.h"

/* The sum of in[i] over the set bits of one plane row (bit i % 32 of word i / 32). */
static int32_t rnnc_selected_sum_s8(const uint32_t *bits, const int8_t *in, int32_t n)
{
    int32_t acc = 0, i;
    for (i = 0; i < n; i++) {
        acc += in[i] * (int32_t)((bits[i >> 5] >> (i & 31)) & 1u);
    }
    return acc;
}

void rnnc_fc_s8_s16_wb(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                       int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
    const rnnc_wb_weights_t *w = (const rnnc_wb_weights_t *)(const void *)weight;
    int32_t all = 0, o, k, i;
    for (i = 0; i < in_size; i++) {
        all += in[i];
    }
    for (o = 0; o < out_size; o++) {
        const uint32_t *planes = w->planes + o * w->bits * w->words;
        const int32_t kept = w->mask != NULL ? rnnc_selected_sum_s8(w->mask + o * w->words, in, in_size) : all;
        int32_t acc = bias[o];
        for (k = 0; k < w->bits; k++) {
            const int32_t plus = rnnc_selected_sum_s8(planes + k * w->words, in, in_size);
            acc += (int32_t)w->coef[o * w->bits + k] * (2 * plus - kept);
        }
        out[o] = (int16_t)rnnc_sat(rnnc_mbqm(acc, multiplier, shift), INT16_MIN, INT16_MAX);
    }
}
