/*
 * rnnc_fc_s8_s16_wb.c - int8 x binary-coded fully connected to int16 (rnnc_fc_s8_s16_wb.h),
 * exact: no multiplications by weights. The first gate of each input builds a table of input
 * sums by groups of 4 inputs (the T-MAC method with exact int16 entries); every 4 weights of a
 * code plane are then one lookup. Every partial sum is an exact integer within int32 (the
 * quantizer bounds sum |weight|), so the order of the additions does not matter. Paths, chosen
 * by the compiler's target or, on x86-64, at run time (rnnc_common.h):
 * - x86 AVX-512 (BW): 16 rows of a block at once; each 32-bit lane is split in two 16-bit
 *   halves, and one VPERMW looks up a nibble of all 32 halves in the 32 entries of two groups'
 *   tables (int16 sums, widened into the rows' 32-bit lanes by VPMADDWD every 15 words);
 * - Helium (Cortex-M55): 4 rows per vector, each nibble's entries fetched by a gather load;
 * - portable C99, row by row (every other target).
 *
 * Table layout: group g = 8 j + k (word j, nibble k of the word) has its 16 entries at
 *   table[128 j + 32 (k % 4) + 16 (k / 4) + b] = sum of in[4 g + i] over the set bits i of b,
 * so that nibble k and k + 4 (the same place in the low and high half of a word) share 32
 * consecutive entries: one VPERMW table.
 */
#include "rnnc_common.h"
#include "rnnc_dispatch_x86.h"
#include "rnnc_fc_s8_s16_wb.h"
#include "rnnc_requantize.h"
#include "rnnc_requantize_mve.h"
#include "rnnc_requantize_x16.h"
#include "rnnc_types.h"

/* where group k (0..7) of a word's 128 entries starts */
static inline int32_t rnnc_group_offset(int32_t k)
{
    return 32 * (k & 3) + 16 * (k >> 2);
}

/* The sum tables (layout above; inputs past n count as 0, so padding bits index zeros): entries
   4..7 are 0..3 plus the third input, 8..15 are 0..7 plus the fourth. */
static void rnnc_input_sum_table(const int8_t *in, int32_t n, int32_t words, int16_t *table)
{
    int32_t g, b;
    for (g = 0; g < 8 * words; g++) {
        int16_t *t = table + 128 * (g >> 3) + rnnc_group_offset(g & 7);
        int16_t x[4];
        for (b = 0; b < 4; b++) {
            x[b] = (int16_t)(4 * g + b < n ? in[4 * g + b] : 0);
        }
        t[0] = 0;
        t[1] = x[0];
        t[2] = x[1];
        t[3] = (int16_t)(x[0] + x[1]);
        for (b = 0; b < 4; b++) {
            t[4 + b] = (int16_t)(t[b] + x[2]);
        }
        for (b = 0; b < 8; b++) {
            t[8 + b] = (int16_t)(t[b] + x[3]);
        }
    }
}

#if !(RNNC_USE_AVX512 || RNNC_USE_MVE)
/* The sum of in[j] over the set bits of one plane row (bit j % 32 of word j / 32), by table;
   the row's words are 16 apart (rows interleaved in blocks of 16, rnnc_types.h). */
static int32_t rnnc_selected_sum_lut(const uint32_t *bits, const int16_t *table, int32_t words)
{
    int32_t acc = 0, j;
    for (j = 0; j < words; j++) {
        /* nibble k of the word indexes group k's 16 entries at rnnc_group_offset(k) */
        const uint32_t w = bits[16 * j];
        const int16_t *t = table + 128 * j;
        acc += t[w & 15u] + t[32 + ((w >> 4) & 15u)] + t[64 + ((w >> 8) & 15u)] + t[96 + ((w >> 12) & 15u)] +
               t[16 + ((w >> 16) & 15u)] + t[48 + ((w >> 20) & 15u)] + t[80 + ((w >> 24) & 15u)] + t[112 + (w >> 28)];
    }
    return acc;
}
#elif RNNC_USE_MVE
/* Per lane (4 rows of a block): the sum of in[j] over the set bits of the rows' plane words
   c[16 j], each nibble's entry fetched by a gather load (VLDRH with per-lane offsets). */
static inline int32x4_t rnnc_selected_sum_x4(const uint32_t *c, const int16_t *table, int32_t words)
{
    int32x4_t acc = vdupq_n_s32(0);
    int32_t j;
    for (j = 0; j < words; j++) {
        const uint32x4_t x = vldrwq_u32(c + 16 * j);
        const int16_t *t = table + 128 * j;
        const uint32x4_t nibble = vdupq_n_u32(15u);
        /* entry index: nibble k of each lane, in group k's 16 entries (rnnc_group_offset) */
        acc = vaddq_s32(acc, vldrhq_gather_shifted_offset_s32(t, vandq_u32(x, nibble)));
        acc = vaddq_s32(acc, vldrhq_gather_shifted_offset_s32(t + 32, vandq_u32(vshrq_n_u32(x, 4), nibble)));
        acc = vaddq_s32(acc, vldrhq_gather_shifted_offset_s32(t + 64, vandq_u32(vshrq_n_u32(x, 8), nibble)));
        acc = vaddq_s32(acc, vldrhq_gather_shifted_offset_s32(t + 96, vandq_u32(vshrq_n_u32(x, 12), nibble)));
        acc = vaddq_s32(acc, vldrhq_gather_shifted_offset_s32(t + 16, vandq_u32(vshrq_n_u32(x, 16), nibble)));
        acc = vaddq_s32(acc, vldrhq_gather_shifted_offset_s32(t + 48, vandq_u32(vshrq_n_u32(x, 20), nibble)));
        acc = vaddq_s32(acc, vldrhq_gather_shifted_offset_s32(t + 80, vandq_u32(vshrq_n_u32(x, 24), nibble)));
        acc = vaddq_s32(acc, vldrhq_gather_shifted_offset_s32(t + 112, vshrq_n_u32(x, 28)));
    }
    return acc;
}
#else
/* part + the entries that nibble k of each 16-bit half of `shifted` (x >> 4k) selects: the low
   halves index group k's entries (0..15 of the 32 at t), the high halves group k + 4's (16..31) */
static inline __m512i rnnc_lookup_x16(__m512i part, __m512i shifted, const int16_t *t)
{
    /* (shifted AND 0x000F000F) OR 0x00100000 in one VPTERNLOGD */
    const __m512i index = _mm512_ternarylogic_epi32(shifted, _mm512_set1_epi32(0x000F000F),
                                                    _mm512_set1_epi32(0x00100000), 0xEA);
    return _mm512_add_epi16(part, _mm512_permutexvar_epi16(index, _mm512_loadu_si512((const void *)t)));
}

/* Per lane (row of the block): the sum of in[j] over the set bits of the row's plane words
   c[16 j]. Four int16 partial sums per half lane, one per nibble place, each gathering at most 15
   lookups of |sum of 4 int8| <= 512 (so the four add up to at most 30720, within int16); then
   VPMADDWD adds each row's two halves into its 32-bit lane, exactly. */
static inline __m512i rnnc_selected_sum_x16(const uint32_t *c, const int16_t *table, int32_t words)
{
    __m512i total = _mm512_setzero_si512();
    int32_t j = 0;
    while (j < words) {
        const int32_t end = words - j > 15 ? j + 15 : words;
        /* one partial sum per nibble place: four independent chains of additions */
        __m512i p0 = _mm512_setzero_si512(), p1 = p0, p2 = p0, p3 = p0;
        for (; j < end; j++) {
            const __m512i x = _mm512_loadu_si512((const void *)(c + 16 * j));
            const int16_t *t = table + 128 * j;
            p0 = rnnc_lookup_x16(p0, x, t);
            p1 = rnnc_lookup_x16(p1, _mm512_srli_epi32(x, 4), t + 32);
            p2 = rnnc_lookup_x16(p2, _mm512_srli_epi32(x, 8), t + 64);
            p3 = rnnc_lookup_x16(p3, _mm512_srli_epi32(x, 12), t + 96);
        }
        total = _mm512_add_epi32(total, _mm512_madd_epi16(_mm512_add_epi16(_mm512_add_epi16(p0, p1),
                                                                           _mm512_add_epi16(p2, p3)),
                                                          _mm512_set1_epi16(1)));
    }
    return total;
}
#endif

void RNNC_ISA_FN(rnnc_fc_s8_s16_wb)(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                                    int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
    const rnnc_wb8_weights_t *p = (const rnnc_wb8_weights_t *)(const void *)weight;
    const rnnc_wb_weights_t *w = &p->weights;
    const int32_t words = w->words;
    int32_t o, k, all;
    if (p->code_input) {
        rnnc_input_sum_table(in, in_size, words, p->table);
    }
    all = 0;   /* the sum of every input: the mask's sum where nothing is pruned */
    for (k = 0; k < (in_size + 3) / 4; k++) {
        all += p->table[128 * (k >> 3) + rnnc_group_offset(k & 7) + 15];
    }
#if RNNC_USE_AVX512
    for (o = 0; o < out_size; o += 16) {
        const __mmask16 valid = (__mmask16)(out_size - o >= 16 ? 0xFFFFu : (1u << (out_size - o)) - 1u);
        const uint32_t *planes = w->planes + (o >> 4) * w->bits * words * 16;
        const int16_t *coef = w->coef + (o >> 4) * w->bits * 16;
        const __m512i kept = w->mask != NULL ? rnnc_selected_sum_x16(w->mask + (o >> 4) * words * 16, p->table, words)
                                             : _mm512_set1_epi32(all);
        __m512i acc = _mm512_maskz_loadu_epi32(valid, bias + o);
        for (k = 0; k < w->bits; k++) {
            const __m512i plus = rnnc_selected_sum_x16(planes + k * words * 16, p->table, words);
            const __m512i c = _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(coef + 16 * k)));
            acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(c, _mm512_sub_epi32(_mm512_add_epi32(plus, plus), kept)));
        }
        _mm256_mask_storeu_epi16(out + o, valid, _mm512_cvtsepi32_epi16(rnnc_mbqm_x16(acc, multiplier, shift)));
    }
#elif RNNC_USE_MVE
    for (o = 0; o < out_size; o += 4) {
        /* 4 rows: a quarter of their block of 16 */
        const int32_t lane0 = o & 15, rows = out_size - o < 4 ? out_size - o : 4;
        const uint32_t *planes = w->planes + (o >> 4) * w->bits * words * 16 + lane0;
        const int16_t *coef = w->coef + (o >> 4) * w->bits * 16 + lane0;
        const mve_pred16_t valid = vctp32q((uint32_t)rows);
        const int32x4_t kept = w->mask != NULL
            ? rnnc_selected_sum_x4(w->mask + (o >> 4) * words * 16 + lane0, p->table, words) : vdupq_n_s32(all);
        int32x4_t acc = vldrwq_z_s32(bias + o, valid);
        for (k = 0; k < w->bits; k++) {
            const int32x4_t plus = rnnc_selected_sum_x4(planes + k * words * 16, p->table, words);
            acc = vaddq_s32(acc, vmulq_s32(vldrhq_s32(coef + 16 * k), vsubq_s32(vaddq_s32(plus, plus), kept)));
        }
        vstrhq_p_s32(out + o, rnnc_clamp_mve(rnnc_mbqm_mve(acc, multiplier, shift), INT16_MIN, INT16_MAX), valid);
    }
#else
    for (o = 0; o < out_size; o++) {
        /* row o of its block of 16: plane k's words at planes[(k * words + j) * 16] */
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
#endif
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_fc_s8_s16_wb,
                    (const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out, int32_t in_size,
                     int32_t out_size, int32_t multiplier, int32_t shift),
                    (in, weight, bias, out, in_size, out_size, multiplier, shift))
#endif
