/*
 * rnnc_fc_s8_s16_wb.c - int8 x binary-coded fully connected to int16 (rnnc_fc_s8_s16_wb.h),
 * portable C99, exact: no multiplications by weights. The first gate of each input builds a
 * table of input sums, table[16 * g + b] = the sum of in[4g + i] over the set bits i of b (the
 * T-MAC method with exact int16 entries); every 4 weights of a code plane are then one lookup.
 * Every partial sum is an exact integer within int32 (the quantizer bounds sum |weight|), so the
 * order of the additions does not matter.
 */
#include "rnnc_common.h"
#include "rnnc_fc_s8_s16_wb.h"
#include "rnnc_requantize.h"
#include "rnnc_types.h"

/* table[16 * g + b] = sum of in[4 g + i] for the set bits i of b, for the 8 groups of every
   32-bit word (inputs past n count as 0, so padding bits index zeros). */
static void rnnc_input_sum_table(const int8_t *in, int32_t n, int32_t words, int16_t *table)
{
    int32_t g, b;
    for (g = 0; g < 8 * words; g++) {
        int16_t *t = table + 16 * g;
        t[0] = 0;
        for (b = 1; b < 16; b++) {
            /* b without its lowest set bit, plus the input of that bit */
            const int32_t low = b & -b;
            const int32_t i = 4 * g + (low == 1 ? 0 : low == 2 ? 1 : low == 4 ? 2 : 3);
            t[b] = (int16_t)(t[b & (b - 1)] + (i < n ? in[i] : 0));
        }
    }
}

/* The sum of in[j] over the set bits of one plane row (bit j % 32 of word j / 32), by table;
   the row's words are 16 apart (rows interleaved in blocks of 16, rnnc_types.h). */
static int32_t rnnc_selected_sum_lut(const uint32_t *bits, const int16_t *table, int32_t words)
{
    int32_t acc = 0, j, k;
    for (j = 0; j < words; j++) {
        const uint32_t w = bits[16 * j];
        const int16_t *t = table + 128 * j;
        for (k = 0; k < 8; k++) {
            acc += t[16 * k + ((w >> (4 * k)) & 15u)];
        }
    }
    return acc;
}

void rnnc_fc_s8_s16_wb(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                       int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
    const rnnc_wb8_weights_t *p = (const rnnc_wb8_weights_t *)(const void *)weight;
    const rnnc_wb_weights_t *w = &p->weights;
    const int32_t words = w->words;
    int32_t o, k, all;
    if (p->code_input) {
        rnnc_input_sum_table(in, in_size, words, p->table);
    }
    all = 0;
    for (k = 0; k < (in_size + 3) / 4; k++) {
        all += p->table[16 * k + 15];
    }
    for (o = 0; o < out_size; o++) {
        /* row o of its block of 16: plane i's words at planes[(i * words + j) * 16] */
        const uint32_t *planes = w->planes + (o >> 4) * w->bits * words * 16 + (o & 15);
        const int16_t *coef = w->coef + (o >> 4) * w->bits * 16 + (o & 15);
        const int32_t kept = w->mask != NULL
            ? rnnc_selected_sum_lut(w->mask + (o >> 4) * words * 16 + (o & 15), p->table, words) : all;
        int32_t acc = bias[o];
        for (k = 0; k < w->bits; k++) {
            const int32_t plus = rnnc_selected_sum_lut(planes + k * words * 16, p->table, words);
            acc += (int32_t)coef[16 * k] * (2 * plus - kept);
        }
        out[o] = (int16_t)rnnc_sat(rnnc_mbqm(acc, multiplier, shift), INT16_MIN, INT16_MAX);
    }
}
