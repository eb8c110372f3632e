/*
 * rnnc_fc_s8_s16_wbab.c - binary-coded weights x binary-coded activations (rnnc_fc_s8_s16_wbab.h),
 * portable C99: the input's codes are formed in integers exactly as docs/numerics-lowbit.md
 * defines them, then each binary dot product is an XOR and a population count.
 */
#include "rnnc_common.h"
#include "rnnc_dispatch_x86.h"
#include "rnnc_fc_s8_s16_wbab.h"
#include "rnnc_requantize.h"
#include "rnnc_types.h"

/* Set bits of x: the instruction where the build has one (POPCNT in the x86-64 run-time levels,
   CNT on Arm64), else SWAR (pairs, nibbles, bytes, then one multiply sums the four bytes). */
static inline int32_t rnnc_popcount32(uint32_t x)
{
#if (RNNC_USE_AVX2 || RNNC_USE_NEON) && (defined(__GNUC__) || defined(__clang__))
    return (int32_t)__builtin_popcount(x);
#else
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0F0F0F0Fu;
    return (int32_t)((x * 0x01010101u) >> 24);
#endif
}

static inline int32_t rnnc_abs32(int32_t v)
{
    return v < 0 ? -v : v;
}

/* (sum + n / 2) / n for sum >= 0, n > 0: the mean rounded half up. */
static inline int32_t rnnc_mean_round(int32_t sum, int32_t n)
{
    return (sum + n / 2) / n;
}

/* Code v = in - zp into `bits` greedy binary planes: s = +1 where the residual r >= 0, beta =
 * round(mean |r|), r -= beta * s. `codes` [bits][words] gets bit j set where s_j = +1. */
static void rnnc_code_binary(const int8_t *in, int32_t zp, int32_t n, int32_t bits, int32_t words,
                             uint32_t *codes, int32_t *beta, int32_t *residual)
{
    int32_t k, j;
    for (j = 0; j < n; j++) {
        residual[j] = (int32_t)in[j] - zp;
    }
    for (k = 0; k < bits; k++) {
        uint32_t *plane = codes + k * words;
        int32_t total = 0;
        for (j = 0; j < words; j++) {
            plane[j] = 0u;
        }
        for (j = 0; j < n; j++) {
            total += rnnc_abs32(residual[j]);
        }
        beta[k] = rnnc_mean_round(total, n);
        for (j = 0; j < n; j++) {
            if (residual[j] >= 0) {
                plane[j >> 5] |= 1u << (j & 31);
                residual[j] -= beta[k];
            } else {
                residual[j] += beta[k];
            }
        }
    }
}

/* Threshold ternary: t = sign(v) where 10 n |v| > 7 sum|v| (|v| above 0.7 of the mean), else 0;
 * beta = round(mean |v| over the kept); stored as planes (+1, +1), (-1, -1), (+1, -1). */
static void rnnc_code_ternary(const int8_t *in, int32_t zp, int32_t n, int32_t words, uint32_t *codes,
                              int32_t *beta)
{
    int32_t total = 0, kept_sum = 0, kept = 0, j;
    for (j = 0; j < 2 * words; j++) {
        codes[j] = 0u;
    }
    for (j = 0; j < n; j++) {
        total += rnnc_abs32((int32_t)in[j] - zp);
    }
    for (j = 0; j < n; j++) {
        const int32_t v = (int32_t)in[j] - zp;
        const uint32_t bit = 1u << (j & 31);
        if (10 * n * rnnc_abs32(v) > 7 * total) {
            kept_sum += rnnc_abs32(v);
            kept++;
            if (v > 0) {
                codes[j >> 5] |= bit;
                codes[words + (j >> 5)] |= bit;
            }
        } else {
            codes[j >> 5] |= bit;   /* zero: (+1, -1) */
        }
    }
    beta[0] = kept > 0 ? rnnc_mean_round(kept_sum, kept) : 0;
    beta[1] = beta[0];
}

void RNNC_ISA_FN(rnnc_fc_s8_s16_wbab)(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                                      int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
    const rnnc_wbab_weights_t *p = (const rnnc_wbab_weights_t *)(const void *)weight;
    const rnnc_wb_weights_t *w = &p->weights;
    const int32_t words = w->words;
    int32_t o, i, k, j;
    if (p->code_input) {
        if (p->act_ternary) {
            rnnc_code_ternary(in, p->input_zero_point, in_size, words, p->act_codes, p->act_beta);
        } else {
            rnnc_code_binary(in, p->input_zero_point, in_size, p->act_bits, words, p->act_codes, p->act_beta,
                             p->residual);
        }
    }
    for (o = 0; o < out_size; o++) {
        const uint32_t *planes = w->planes + o * w->bits * words;
        const uint32_t *mask = w->mask != NULL ? w->mask + o * words : NULL;
        int32_t kept = in_size, acc = bias[o];
        if (mask != NULL) {
            kept = 0;
            for (j = 0; j < words; j++) {
                kept += rnnc_popcount32(mask[j]);
            }
        }
        for (i = 0; i < w->bits; i++) {
            const uint32_t *c = planes + i * words;
            int32_t sum = 0;
            for (k = 0; k < p->act_bits; k++) {
                /* code disagreements; padding bits are clear in both codes, pruned weights masked out */
                const uint32_t *s = p->act_codes + k * words;
                int32_t differ = 0;
                if (mask == NULL) {
                    for (j = 0; j < words; j++) {
                        differ += rnnc_popcount32(c[j] ^ s[j]);
                    }
                } else {
                    for (j = 0; j < words; j++) {
                        differ += rnnc_popcount32((c[j] ^ s[j]) & mask[j]);
                    }
                }
                sum += p->act_beta[k] * (kept - 2 * differ);
            }
            acc += (int32_t)w->coef[o * w->bits + i] * sum;
        }
        out[o] = (int16_t)rnnc_sat(rnnc_mbqm(acc, multiplier, shift), INT16_MIN, INT16_MAX);
    }
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_fc_s8_s16_wbab,
                    (const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out, int32_t in_size,
                     int32_t out_size, int32_t multiplier, int32_t shift),
                    (in, weight, bias, out, in_size, out_size, multiplier, shift))
#endif
