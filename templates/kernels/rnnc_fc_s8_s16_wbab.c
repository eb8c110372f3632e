/*
 * rnnc_fc_s8_s16_wbab.c - binary-coded weights x binary-coded activations (rnnc_fc_s8_s16_wbab.h):
 * the input's codes are formed in integers exactly as docs/numerics-lowbit.md defines them (scalar,
 * once per input), then each binary dot product is an XOR and a population count. One function,
 * its paths inside it, chosen by the compiler's target or, on x86-64, at run time (rnnc_common.h):
 * - x86 AVX-512 (BW): 16 rows per vector, counted by VPOPCNTD where the CPU has it, else by a
 *   VPSHUFB nibble table (rnnc_popcount_b16.h);
 * - x86 AVX2: the same on two 8-row halves of a block;
 * - Arm64 NEON: CNT on four 4-row quarters of a block;
 * - Helium (Cortex-M55): the same quarters, counted by SWAR on four lanes at once;
 * - portable C99, row by row: POPCNT/CNT where the build has it, SWAR elsewhere (Cortex-M3..M33).
 * The rows are stored in blocks of 16, word-interleaved (rnnc_types.h). Every count and sum is an
 * exact int32 (the quantizer bounds them), so all paths give identical results.
 */
#include "rnnc_common.h"
#include "rnnc_dispatch_x86.h"
#include "rnnc_fc_s8_s16_wbab.h"
#include "rnnc_popcount_b16.h"
#include "rnnc_requantize.h"
#include "rnnc_requantize_x4.h"
#include "rnnc_requantize_x16.h"
#include "rnnc_requantize_x8.h"
#include "rnnc_types.h"

/* the vector paths take whole blocks of 16 rows; the portable C goes row by row */
#define RNNC_WBAB_VECTOR (RNNC_USE_AVX512 || RNNC_USE_AVX2 || RNNC_USE_NEON || RNNC_USE_MVE)

#if !RNNC_WBAB_VECTOR
/* Set bits of x: the instruction where the build has one (x86 with POPCNT, Arm64 CNT), else SWAR
   (pairs, nibbles, bytes, then one multiply sums the four bytes; Cortex-M has no popcount). */
static inline int32_t rnnc_popcount32(uint32_t x)
{
#if (defined(__POPCNT__) || defined(__aarch64__)) && (defined(__GNUC__) || defined(__clang__))
    return (int32_t)__builtin_popcount(x);
#else
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0F0F0F0Fu;
    return (int32_t)((x * 0x01010101u) >> 24);
#endif
}
#endif

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
 * round(mean |r|), r -= beta * s. `codes` [bits][words] gets bit j set where s_j = +1. Without
 * branches on the data (the signs are unpredictable), 32 codes per word. */
static void rnnc_code_binary(const int8_t *in, int32_t zp, int32_t n, int32_t bits, int32_t words,
                             uint32_t *codes, int32_t *beta, int32_t *residual)
{
    int32_t k, j, b, total = 0;
    for (j = 0; j < n; j++) {
        residual[j] = (int32_t)in[j] - zp;
        total += rnnc_abs32(residual[j]);
    }
    for (k = 0; k < bits; k++) {
        const int32_t step = rnnc_mean_round(total, n);
        beta[k] = step;
        total = 0;   /* sum |r| after this plane: the next plane's mean */
        for (j = 0; j < words; j++) {
            int32_t *r = residual + 32 * j;
            const int32_t end = n - 32 * j < 32 ? n - 32 * j : 32;
            uint32_t word = 0u;
            b = 0;
#if RNNC_USE_AVX512
            {
                /* 16 codes at once: the signs as a mask, r -= step where set, += elsewhere */
                const __m512i step16 = _mm512_set1_epi32(step);
                __m512i sum = _mm512_setzero_si512();
                for (; b + 16 <= end; b += 16) {
                    __m512i v = _mm512_loadu_si512((const void *)(r + b));
                    const __mmask16 plus = _mm512_cmpge_epi32_mask(v, _mm512_setzero_si512());
                    v = _mm512_mask_sub_epi32(_mm512_add_epi32(v, step16), plus, v, step16);
                    _mm512_storeu_si512((void *)(r + b), v);
                    word |= (uint32_t)plus << b;
                    sum = _mm512_add_epi32(sum, _mm512_abs_epi32(v));
                }
                total += _mm512_reduce_add_epi32(sum);
            }
#elif RNNC_USE_AVX2
            {
                /* 8 codes at once: the sign bits by MOVMSKPS, +-step by a blend */
                const __m256i step8 = _mm256_set1_epi32(step), neg8 = _mm256_set1_epi32(-step);
                __m256i sum = _mm256_setzero_si256();
                for (; b + 8 <= end; b += 8) {
                    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(r + b));
                    const __m256i minus = _mm256_cmpgt_epi32(_mm256_setzero_si256(), v);
                    word |= (uint32_t)(~_mm256_movemask_ps(_mm256_castsi256_ps(minus)) & 0xFF) << b;
                    v = _mm256_sub_epi32(v, _mm256_blendv_epi8(step8, neg8, minus));
                    _mm256_storeu_si256((__m256i *)(void *)(r + b), v);
                    sum = _mm256_add_epi32(sum, _mm256_abs_epi32(v));
                }
                sum = _mm256_add_epi32(sum, _mm256_srli_si256(sum, 8));
                sum = _mm256_add_epi32(sum, _mm256_srli_si256(sum, 4));
                total += _mm256_cvtsi256_si32(sum) + _mm256_extract_epi32(sum, 4);
            }
#endif
            for (; b < end; b++) {
                const int32_t plus = r[b] >= 0;   /* sign(0) = +1 */
                word |= (uint32_t)plus << b;
                r[b] -= (2 * plus - 1) * step;
                total += rnnc_abs32(r[b]);
            }
            codes[k * words + j] = word;
        }
    }
}

/* Threshold ternary: t = sign(v) where 10 n |v| > 7 sum|v| (|v| above 0.7 of the mean), else 0;
 * beta = round(mean |v| over the kept); stored as planes (+1, +1), (-1, -1), (+1, -1): the first
 * plane's bit is set unless t = -1, the second's where t = +1. */
static void rnnc_code_ternary(const int8_t *in, int32_t zp, int32_t n, int32_t words, uint32_t *codes,
                              int32_t *beta)
{
    int32_t total = 0, kept_sum = 0, kept = 0, j, b;
    for (j = 0; j < n; j++) {
        total += rnnc_abs32((int32_t)in[j] - zp);
    }
    for (j = 0; j < words; j++) {
        const int32_t end = n - 32 * j < 32 ? n - 32 * j : 32;
        uint32_t first = 0u, second = 0u;
        for (b = 0; b < end; b++) {
            const int32_t v = (int32_t)in[32 * j + b] - zp;
            const int32_t keep = 10 * n * rnnc_abs32(v) > 7 * total;
            const int32_t plus = keep & (v > 0);
            kept_sum += keep * rnnc_abs32(v);
            kept += keep;
            first |= (uint32_t)(plus | !keep) << b;
            second |= (uint32_t)plus << b;
        }
        codes[j] = first;
        codes[words + j] = second;
    }
    beta[0] = kept > 0 ? rnnc_mean_round(kept_sum, kept) : 0;
    beta[1] = beta[0];
}

#if !RNNC_WBAB_VECTOR
/* One row, portable: acc = bias + sum_i coef_i sum_k beta_k (kept - 2 differ_ik). The row's words
   are 16 apart in the interleaved blocks; `kept` (its unpruned weights) is stored per row. */
static int32_t rnnc_wbab_row(const rnnc_wbab_weights_t *p, int32_t o, int32_t bias, int32_t in_size)
{
    const rnnc_wb_weights_t *w = &p->weights;
    const int32_t words = w->words;
    const uint32_t *planes = w->planes + (o >> 4) * w->bits * words * 16 + (o & 15);
    const int16_t *coef = w->coef + (o >> 4) * w->bits * 16 + (o & 15);
    const uint32_t *mask = w->mask != NULL ? w->mask + (o >> 4) * words * 16 + (o & 15) : NULL;
    const int32_t kept = p->kept != NULL ? p->kept[o] : in_size;
    int32_t acc = bias, i, k, j;
    for (i = 0; i < w->bits; i++) {
        const uint32_t *c = planes + i * words * 16;
        int32_t sum = 0;
        for (k = 0; k < p->act_bits; k++) {
            /* code disagreements; padding bits are clear in both codes, pruned weights masked out */
            const uint32_t *s = p->act_codes + k * words;
            int32_t differ = 0;
            if (mask == NULL) {
                for (j = 0; j < words; j++) {
                    differ += rnnc_popcount32(c[16 * j] ^ s[j]);
                }
            } else {
                for (j = 0; j < words; j++) {
                    differ += rnnc_popcount32((c[16 * j] ^ s[j]) & mask[16 * j]);
                }
            }
            sum += p->act_beta[k] * (kept - 2 * differ);
        }
        acc += (int32_t)coef[16 * i] * sum;
    }
    return acc;
}
#endif

void RNNC_ISA_FN(rnnc_fc_s8_s16_wbab)(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                                      int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
    const rnnc_wbab_weights_t *p = (const rnnc_wbab_weights_t *)(const void *)weight;
    const rnnc_wb_weights_t *w = &p->weights;
    const int32_t words = w->words;
    int32_t o;
    if (p->code_input) {
        if (p->act_ternary) {
            rnnc_code_ternary(in, p->input_zero_point, in_size, words, p->act_codes, p->act_beta);
        } else {
            rnnc_code_binary(in, p->input_zero_point, in_size, p->act_bits, words, p->act_codes, p->act_beta,
                             p->residual);
        }
    }
#if RNNC_WBAB_VECTOR
    for (o = 0; o < out_size; o += 16) {
        /* one block of 16 rows, a group of RNNC_GROUP_ROWS rows (one vector) at a time */
        const uint32_t *planes = w->planes + (o >> 4) * w->bits * words * 16;
        const uint32_t *mask = w->mask != NULL ? w->mask + (o >> 4) * words * 16 : NULL;
        const int16_t *coef = w->coef + (o >> 4) * w->bits * 16;
        const int32_t rows = out_size - o < 16 ? out_size - o : 16;
        int32_t tail_bias[16];
        int16_t tail_out[16];
        const int32_t *acc = bias + o;   /* the last block's partial rows go through the tail arrays */
        int16_t *result = out + o;
        int32_t lane, i, k;
        if (rows < 16) {
            for (lane = 0; lane < 16; lane++) {
                tail_bias[lane] = lane < rows ? bias[o + lane] : 0;
            }
            acc = tail_bias;
            result = tail_out;
        }
        for (lane = 0; lane < 16; lane += RNNC_GROUP_ROWS) {
            rnnc_group_t differ[16];
            rnnc_differ_group(planes + lane, p->act_codes, mask != NULL ? mask + lane : NULL, words, w->bits,
                              p->act_bits, differ);
#if RNNC_USE_AVX512
            {
                const __m512i kept = p->kept != NULL ? _mm512_loadu_si512((const void *)(p->kept + o)) : _mm512_set1_epi32(in_size);
                __m512i a = _mm512_loadu_si512((const void *)acc);
                for (i = 0; i < w->bits; i++) {
                    __m512i sum = _mm512_setzero_si512();
                    for (k = 0; k < p->act_bits; k++) {
                        const __m512i d = differ[4 * i + k];
                        sum = _mm512_add_epi32(sum, _mm512_mullo_epi32(_mm512_set1_epi32(p->act_beta[k]),
                                                                       _mm512_sub_epi32(kept, _mm512_add_epi32(d, d))));
                    }
                    a = _mm512_add_epi32(a, _mm512_mullo_epi32(sum, _mm512_cvtepi16_epi32(
                        _mm256_loadu_si256((const __m256i *)(const void *)(coef + i * 16)))));
                }
                rnnc_x16_store_s16(result, _mm512_max_epi32(_mm512_min_epi32(rnnc_mbqm_x16(a, multiplier, shift),
                                                                               _mm512_set1_epi32(INT16_MAX)),
                                                              _mm512_set1_epi32(INT16_MIN)));
            }
#elif RNNC_USE_AVX2
            {
                const __m256i kept = p->kept != NULL ? _mm256_loadu_si256((const __m256i *)(const void *)(p->kept + o + lane))
                                                 : _mm256_set1_epi32(in_size);
                __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(acc + lane));
                for (i = 0; i < w->bits; i++) {
                    __m256i sum = _mm256_setzero_si256();
                    for (k = 0; k < p->act_bits; k++) {
                        const __m256i d = differ[4 * i + k];
                        sum = _mm256_add_epi32(sum, _mm256_mullo_epi32(_mm256_set1_epi32(p->act_beta[k]),
                                                                       _mm256_sub_epi32(kept, _mm256_add_epi32(d, d))));
                    }
                    a = _mm256_add_epi32(a, _mm256_mullo_epi32(sum, rnnc_x8_load_s16(coef + i * 16 + lane)));
                }
                rnnc_x8_store_s16(result + lane, rnnc_clamp_x8(rnnc_mbqm_x8(a, multiplier, shift), INT16_MIN, INT16_MAX));
            }
#else /* NEON, Helium */
            {
                const int32x4_t kept = p->kept != NULL ? vld1q_s32(p->kept + o + lane) : vdupq_n_s32(in_size);
                int32x4_t a = vld1q_s32(acc + lane);
                for (i = 0; i < w->bits; i++) {
                    int32x4_t sum = vdupq_n_s32(0);
                    for (k = 0; k < p->act_bits; k++) {
                        const int32x4_t d = vreinterpretq_s32_u32(differ[4 * i + k]);
                        sum = vmlaq_n_s32(sum, vsubq_s32(kept, vaddq_s32(d, d)), p->act_beta[k]);
                    }
                    a = vaddq_s32(a, vmulq_s32(sum, rnnc_x4_load_s16(coef + i * 16 + lane)));
                }
                rnnc_x4_store_sat_s16(result + lane, rnnc_x4_mbqm(a, multiplier, shift));
            }
#endif
        }
        for (lane = 0; rows < 16 && lane < rows; lane++) {
            out[o + lane] = tail_out[lane];
        }
    }
#else
    for (o = 0; o < out_size; o++) {
        const int32_t acc = rnnc_wbab_row(p, o, bias[o], in_size);
        out[o] = (int16_t)rnnc_sat(rnnc_mbqm(acc, multiplier, shift), INT16_MIN, INT16_MAX);
    }
#endif
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_fc_s8_s16_wbab,
                    (const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out, int32_t in_size,
                     int32_t out_size, int32_t multiplier, int32_t shift),
                    (in, weight, bias, out, in_size, out_size, multiplier, shift))
#endif
