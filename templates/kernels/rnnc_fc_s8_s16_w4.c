/*
 * rnnc_fc_s8_s16_w4.c - int8 x int4 fully connected to int16 (rnnc_fc_s8_s16_w4.h). The codes are
 * offset binary, u = L + 8 in 0..15, in blocks of 16 rows x 8 columns (rnnc_types.h), and
 *   sum_i L[i] in[i] = sum_i u[i] in[i] - 8 sum_i in[i]
 * where the input sum is formed once per call. Every product and partial sum is an exact integer
 * within int32 (the quantizer bounds sum |L| for the accumulator), so any order of the additions
 * gives the same result. One function, its paths inside it, chosen by the compiler's target or,
 * on x86-64, at run time (rnnc_common.h):
 * - x86 AVX-512 VNNI: one 64-byte load is 16 rows x 8 columns; the low nibbles (columns 0..3 of
 *   the group) and the high nibbles (4..7) each go into one VPDPBUSD with the 4 inputs they
 *   multiply broadcast (unsigned codes x signed inputs, exact in int32); per-row requantization
 *   16 lanes at a time;
 * - x86 AVX2: the same products by VPMADDUBSW (pairs within int16: 2 * 15 * 128) and VPMADDWD
 *   on two 8-row halves, requantized row by row;
 * - Arm64 SDOT: 16 bytes are 4 rows x 8 columns; SDOT on the low and on the high nibbles (the
 *   codes 0..15 are valid signed bytes) with the 4 inputs each pairs with;
 * - Arm64 NEON without SDOT: SMULL of the nibbles and inputs, pairs added within int16, then
 *   pairwise to each row's lane; per-row requantization 4 lanes at a time;
 * - Helium (Cortex-M55): the same 4 rows x 8 columns by widening multiplies of even and odd
 *   bytes (VMULLB, VMULLT), with the NEON path's block loop;
 * - Arm DSP extension (Cortex-M4/M7/M33): 4 rows at a time, each group's 8 inputs sign-extended
 *   in pairs once (SXTB16), each row's nibbles zero-extended in pairs (UXTB16), four SMLADs;
 * - portable C99, row by row (every other target).
 */
#include <string.h>

#include "rnnc_common.h"
#include "rnnc_dispatch_x86.h"
#include "rnnc_dsp_ext.h"
#include "rnnc_fc_s8_s16_w4.h"
#include "rnnc_requantize.h"
#include "rnnc_requantize_x4.h"
#include "rnnc_requantize_x16.h"
#include "rnnc_types.h"

#define RNNC_W4_VECTOR (RNNC_USE_AVX512VNNI || RNNC_USE_AVX2 || RNNC_USE_NEON || RNNC_USE_MVE || RNNC_USE_DSP)

#if !RNNC_W4_VECTOR
/* one row's (L * in) sum plus 8 * sum(in): sum_i u[i] in[i] over the row's blocks */
static int32_t rnnc_dot_u4_row(const uint8_t *codes, int32_t o, const int8_t *in, int32_t n)
{
    const int32_t groups = (n + 7) / 8;
    const uint8_t *row = codes + (o >> 4) * groups * 64 + 4 * (o & 15);
    int32_t acc = 0, g, b;
    for (g = 0; g < groups; g++) {
        const uint8_t *u = row + 64 * g;
        const int8_t *x = in + 8 * g;
        if (n - 8 * g >= 8) {
            for (b = 0; b < 4; b++) {
                acc += (int32_t)(u[b] & 15u) * x[b] + (int32_t)(u[b] >> 4) * x[4 + b];
            }
            continue;
        }
        for (b = 0; b < 4; b++) {   /* the last group: only the columns that exist */
            acc += 8 * g + b < n ? (int32_t)(u[b] & 15u) * x[b] : 0;
            acc += 8 * g + 4 + b < n ? (int32_t)(u[b] >> 4) * x[4 + b] : 0;
        }
    }
    return acc;
}
#endif

#if RNNC_USE_AVX512VNNI
/* sum_i u[i] in[i] for the 16 rows of one block; `tail` holds the last partial group's inputs
   zero-padded (the codes of missing columns are 8, times 0) */
static inline __m512i rnnc_dot_u4_x16(const uint8_t *block, const int8_t *in, int32_t full, int32_t groups,
                                      const int8_t *tail)
{
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0;
    int32_t g;
    for (g = 0; g < groups; g++) {
        const __m512i v = _mm512_loadu_si512((const void *)(block + 64 * g));
        const int8_t *x = g < full ? in + 8 * g : tail;
        int32_t first, second;
        memcpy(&first, x, 4);
        memcpy(&second, x + 4, 4);
        acc0 = _mm512_dpbusd_epi32(acc0, _mm512_and_si512(v, nibble), _mm512_set1_epi32(first));
        acc1 = _mm512_dpbusd_epi32(acc1, _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble), _mm512_set1_epi32(second));
    }
    return _mm512_add_epi32(acc0, acc1);
}
#elif RNNC_USE_AVX2
/* the same for one 8-row half of a block (`half` 0 or 1) */
static inline __m256i rnnc_dot_u4_x8(const uint8_t *block, int32_t half, const int8_t *in, int32_t full,
                                     int32_t groups, const int8_t *tail)
{
    const __m256i nibble = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    __m256i acc = _mm256_setzero_si256();
    int32_t g;
    for (g = 0; g < groups; g++) {
        const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(block + 64 * g + 32 * half));
        const int8_t *x = g < full ? in + 8 * g : tail;
        int32_t first, second;
        __m256i pairs;
        memcpy(&first, x, 4);
        memcpy(&second, x + 4, 4);
        /* each pair of products within int16 (2 * 15 * 128 twice), then the row's lane */
        pairs = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_and_si256(v, nibble), _mm256_set1_epi32(first)),
                                 _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(v, 4), nibble),
                                                      _mm256_set1_epi32(second)));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, ones));
    }
    return acc;
}
#elif RNNC_USE_MVE
/* sum_i u[i] in[i] for 4 rows (`quarter` 0..3 of a block): the 16 bytes of a group are 4 rows x
   4 bytes; widening multiplies of the even and odd bytes (VMULLB, VMULLT) give int16 pairs, four
   of them add within int16 (4 * 15 * 128), and VMOVLB/VMOVLT widen each row's two halves */
static inline int32x4_t rnnc_dot_u4_x4(const uint8_t *block, int32_t quarter, const int8_t *in, int32_t full,
                                       int32_t groups, const int8_t *tail)
{
    int32x4_t acc = vdupq_n_s32(0);
    int32_t g;
    for (g = 0; g < groups; g++) {
        const uint8x16_t v = vldrbq_u8(block + 64 * g + 16 * quarter);
        const int8x16_t lo = vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(0x0F)));
        const int8x16_t hi = vreinterpretq_s8_u8(vshrq_n_u8(v, 4));
        const int8_t *x = g < full ? in + 8 * g : tail;
        int32_t first, second;
        int8x16_t x0, x1;
        int16x8_t pairs;
        memcpy(&first, x, 4);
        memcpy(&second, x + 4, 4);
        x0 = vreinterpretq_s8_s32(vdupq_n_s32(first));
        x1 = vreinterpretq_s8_s32(vdupq_n_s32(second));
        pairs = vaddq_s16(vaddq_s16(vmullbq_int_s8(lo, x0), vmulltq_int_s8(lo, x0)),
                          vaddq_s16(vmullbq_int_s8(hi, x1), vmulltq_int_s8(hi, x1)));
        acc = vaddq_s32(acc, vaddq_s32(vmovlbq_s16(pairs), vmovltq_s16(pairs)));
    }
    return acc;
}
#elif RNNC_USE_NEON
/* sum_i u[i] in[i] for 4 rows (`quarter` 0..3 of a block) */
static inline int32x4_t rnnc_dot_u4_x4(const uint8_t *block, int32_t quarter, const int8_t *in, int32_t full,
                                       int32_t groups, const int8_t *tail)
{
    int32x4_t acc = vdupq_n_s32(0);
    int32_t g;
    for (g = 0; g < groups; g++) {
        const uint8x16_t v = vld1q_u8(block + 64 * g + 16 * quarter);
        const int8x16_t lo = vreinterpretq_s8_u8(vandq_u8(v, vdupq_n_u8(0x0F)));
        const int8x16_t hi = vreinterpretq_s8_u8(vshrq_n_u8(v, 4));
        const int8_t *x = g < full ? in + 8 * g : tail;
        int32_t first, second;
        memcpy(&first, x, 4);
        memcpy(&second, x + 4, 4);
#if RNNC_USE_SDOT
        acc = vdotq_s32(acc, lo, vreinterpretq_s8_s32(vdupq_n_s32(first)));
        acc = vdotq_s32(acc, hi, vreinterpretq_s8_s32(vdupq_n_s32(second)));
#else
        {
            /* rows r, r+1 in the low halves, r+2, r+3 in the high halves; 4 columns per row */
            const int8x8_t x0 = vreinterpret_s8_s32(vdup_n_s32(first)), x1 = vreinterpret_s8_s32(vdup_n_s32(second));
            const int16x8_t near = vaddq_s16(vmull_s8(vget_low_s8(lo), x0), vmull_s8(vget_low_s8(hi), x1));
            const int16x8_t far = vaddq_s16(vmull_s8(vget_high_s8(lo), x0), vmull_s8(vget_high_s8(hi), x1));
            acc = vaddq_s32(acc, vpaddq_s32(vpaddlq_s16(near), vpaddlq_s16(far)));
        }
#endif
    }
    return acc;
}
#elif RNNC_USE_DSP
/* acc + the 8 products of one row's group: the 4 bytes' low nibbles (columns 0..3) and high
   nibbles (4..7) zero-extended in pairs (UXTB16), times the inputs sign-extended in pairs */
static inline int32_t rnnc_u4_mac8(const uint8_t *w, uint32_t f02, uint32_t f13, uint32_t s02, uint32_t s13,
                                   int32_t acc)
{
    uint32_t v, lo, hi;
    memcpy(&v, w, 4);
    lo = v & 0x0F0F0F0Fu;
    hi = (v >> 4) & 0x0F0F0F0Fu;
    acc = __smlad(__uxtb16(lo), f02, acc);
    acc = __smlad(rnnc_uxtb16_ror8(lo), f13, acc);
    acc = __smlad(__uxtb16(hi), s02, acc);
    return __smlad(rnnc_uxtb16_ror8(hi), s13, acc);
}

/* sum_i u[i] in[i] for 4 rows (`quarter` 0..3 of a block); the inputs unpacked once per group */
static inline void rnnc_dot_u4_dsp(const uint8_t *block, int32_t quarter, const int8_t *in, int32_t full,
                                   int32_t groups, const int8_t *tail, int32_t *sums)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, g;
    for (g = 0; g < groups; g++) {
        const uint8_t *w = block + 64 * g + 16 * quarter;
        const int8_t *x = g < full ? in + 8 * g : tail;
        uint32_t first, second, f02, f13, s02, s13;
        memcpy(&first, x, 4);
        memcpy(&second, x + 4, 4);
        f02 = __sxtb16(first);
        f13 = rnnc_sxtb16_ror8(first);
        s02 = __sxtb16(second);
        s13 = rnnc_sxtb16_ror8(second);
        a0 = rnnc_u4_mac8(w, f02, f13, s02, s13, a0);
        a1 = rnnc_u4_mac8(w + 4, f02, f13, s02, s13, a1);
        a2 = rnnc_u4_mac8(w + 8, f02, f13, s02, s13, a2);
        a3 = rnnc_u4_mac8(w + 12, f02, f13, s02, s13, a3);
    }
    sums[0] = a0;
    sums[1] = a1;
    sums[2] = a2;
    sums[3] = a3;
}
#endif

#if !(RNNC_USE_AVX512VNNI || RNNC_USE_NEON || RNNC_USE_MVE)
/* one row from its two sums (with the 8 * sum(in) offset), requantized */
static inline int16_t rnnc_w4_row_out(const rnnc_w4_weights_t *w, int32_t o, int32_t bias, int32_t first,
                                      int32_t second, int32_t offset)
{
    int32_t acc = first - offset;
    if (w->residual != NULL) {
        /* codes * 2^m + residual; a multiplication, as left shifts of negative values are UB */
        acc = acc * ((int32_t)1 << w->residual_shift[o]) + (second - offset);
    }
    return (int16_t)rnnc_sat(rnnc_mbqm(bias + acc, w->multiplier[o], w->shift[o]), INT16_MIN, INT16_MAX);
}
#endif

void RNNC_ISA_FN(rnnc_fc_s8_s16_w4)(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                                    int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
    const rnnc_w4_weights_t *w = (const rnnc_w4_weights_t *)(const void *)weight;
    int32_t o, i, offset = 0;
    (void)multiplier; /* per row: w->multiplier, w->shift */
    (void)shift;
    for (i = 0; i < in_size; i++) {
        offset += 8 * (int32_t)in[i];
    }
#if RNNC_W4_VECTOR
    {
        const int32_t groups = (in_size + 7) / 8, full = in_size / 8;
        int8_t tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (i = 8 * full; i < in_size; i++) {
            tail[i - 8 * full] = in[i];
        }
        for (o = 0; o < out_size; o += 16) {
            const uint8_t *codes = w->codes + (o >> 4) * groups * 64;
            const uint8_t *residual = w->residual != NULL ? w->residual + (o >> 4) * groups * 64 : NULL;
#if RNNC_USE_AVX512VNNI
            const __mmask16 valid = (__mmask16)(out_size - o >= 16 ? 0xFFFFu : (1u << (out_size - o)) - 1u);
            __m512i acc = _mm512_sub_epi32(rnnc_dot_u4_x16(codes, in, full, groups, tail), _mm512_set1_epi32(offset));
            if (residual != NULL) {
                /* codes * 2^m + residual (VPSLLVD: a bit shift, defined for negative lanes) */
                const __m512i m = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(valid, w->residual_shift + o));
                acc = _mm512_add_epi32(_mm512_sllv_epi32(acc, m),
                                       _mm512_sub_epi32(rnnc_dot_u4_x16(residual, in, full, groups, tail),
                                                        _mm512_set1_epi32(offset)));
            }
            acc = _mm512_add_epi32(acc, _mm512_maskz_loadu_epi32(valid, bias + o));
            acc = rnnc_mbqm_rows_x16(acc, _mm512_maskz_loadu_epi32(valid, w->multiplier + o),
                                     _mm512_maskz_loadu_epi32(valid, w->shift + o));
            _mm256_mask_storeu_epi16(out + o, valid, _mm512_cvtsepi32_epi16(acc));
#elif RNNC_USE_NEON || RNNC_USE_MVE
            int32_t quarter;
            for (quarter = 0; quarter < 4 && o + 4 * quarter < out_size; quarter++) {
                const int32_t row = o + 4 * quarter, rows = out_size - row < 4 ? out_size - row : 4;
                int32_t m4[4] = {0, 0, 0, 0}, s4[4] = {0, 0, 0, 0}, b4[4] = {0, 0, 0, 0}, r4[4] = {0, 0, 0, 0};
                int16_t result[4];
                int32x4_t acc;
                int32_t lane;
                for (lane = 0; lane < rows; lane++) {   /* the rows' own values; missing rows 0 */
                    m4[lane] = w->multiplier[row + lane];
                    s4[lane] = w->shift[row + lane];
                    b4[lane] = bias[row + lane];
                    r4[lane] = residual != NULL ? w->residual_shift[row + lane] : 0;
                }
                acc = vsubq_s32(rnnc_dot_u4_x4(codes, quarter, in, full, groups, tail), vdupq_n_s32(offset));
                if (residual != NULL) {
                    /* codes * 2^m + residual (VSHL: a bit shift, defined for negative lanes) */
                    acc = vaddq_s32(vshlq_s32(acc, vld1q_s32(r4)),
                                    vsubq_s32(rnnc_dot_u4_x4(residual, quarter, in, full, groups, tail),
                                              vdupq_n_s32(offset)));
                }
                acc = rnnc_x4_mbqm_rows(vaddq_s32(acc, vld1q_s32(b4)), vld1q_s32(m4), vld1q_s32(s4));
                rnnc_x4_store_sat_s16(result, acc);
                for (lane = 0; lane < rows; lane++) {
                    out[row + lane] = result[lane];
                }
            }
#elif RNNC_USE_DSP
            int32_t quarter, lane, sums[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
            for (quarter = 0; quarter < 4 && o + 4 * quarter < out_size; quarter++) {
                const int32_t row = o + 4 * quarter;
                rnnc_dot_u4_dsp(codes, quarter, in, full, groups, tail, sums[0]);
                if (residual != NULL) {
                    rnnc_dot_u4_dsp(residual, quarter, in, full, groups, tail, sums[1]);
                }
                for (lane = 0; lane < 4 && row + lane < out_size; lane++) {
                    out[row + lane] = rnnc_w4_row_out(w, row + lane, bias[row + lane], sums[0][lane], sums[1][lane],
                                                      offset);
                }
            }
#else
            int32_t sums[2][16], half, lane;
            for (half = 0; half < 2; half++) {
                _mm256_storeu_si256((__m256i *)(void *)(sums[0] + 8 * half),
                                    rnnc_dot_u4_x8(codes, half, in, full, groups, tail));
                if (residual != NULL) {
                    _mm256_storeu_si256((__m256i *)(void *)(sums[1] + 8 * half),
                                        rnnc_dot_u4_x8(residual, half, in, full, groups, tail));
                }
            }
            for (lane = 0; lane < 16 && o + lane < out_size; lane++) {
                out[o + lane] = rnnc_w4_row_out(w, o + lane, bias[o + lane], sums[0][lane],
                                                residual != NULL ? sums[1][lane] : 0, offset);
            }
#endif
        }
    }
#else
    for (o = 0; o < out_size; o++) {
        const int32_t first = rnnc_dot_u4_row(w->codes, o, in, in_size);
        const int32_t second = w->residual != NULL ? rnnc_dot_u4_row(w->residual, o, in, in_size) : 0;
        out[o] = rnnc_w4_row_out(w, o, bias[o], first, second, offset);
    }
#endif
}

#if RNNC_X86_DISPATCH && !defined(RNNC_ISA_BUILD)
RNNC_X86_DISPATCHER(rnnc_fc_s8_s16_w4,
                    (const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out, int32_t in_size,
                     int32_t out_size, int32_t multiplier, int32_t shift),
                    (in, weight, bias, out, in_size, out_size, multiplier, shift))
#endif
