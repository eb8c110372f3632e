/*
 * rnnc_fc_s8_s16_b16x4.c - int8 fully connected to int16 on 16x4-packed weights
 * (rnnc_fc_s8_s16_b16x4.h). One function, three paths inside it, chosen by the compiler's
 * target (rnnc_common.h):
 * - x86 AVX-512 VNNI (built with -mavx512vnni -mavx512bw, e.g. -march=native on such CPUs):
 *   one VPDPBUSD per 16 rows x 4 inputs, each lane accumulating one row exactly in int32;
 *   the input is the unsigned operand (x ^ 0x80 = x + 128), compensated in the bias.
 * - Arm DSP extension (Cortex-M4/M7/M33/M55): the 4 bytes of a row's group are sign-extended
 *   in pairs (SXTB16), the 4 offset inputs zero-extended in pairs (UXTB16, once per group), and
 *   two SMLADs accumulate the four products exactly in int32.
 * - portable C99 (every other target).
 * All give bit-identical results.
 */
#include "rnnc_common.h"
#include "rnnc_fc_s8_s16_b16x4.h"
#include "rnnc_requantize.h"

/* the 4 inputs of group kg, each + 128, as one little-endian word of bytes
   (inputs beyond in_size contribute 0: their packed weights are 0 too) */
static inline uint32_t rnnc_fc_group_u8(const int8_t *in, int32_t in_size, int32_t kg)
{
    uint32_t word = 0;
    int32_t j;
    if (kg * 4 + 4 <= in_size) { /* a full group: four bytes, each flipped to x + 128 */
        for (j = 0; j < 4; j++) {
            word |= (uint32_t)((uint8_t)in[kg * 4 + j] ^ 0x80u) << (8 * j);
        }
        return word;
    }
    for (j = 0; j < 4; j++) {
        const int32_t i = kg * 4 + j;
        const uint32_t q = i < in_size ? (uint32_t)((int32_t)in[i] + 128) : 0u;
        word |= q << (8 * j);
    }
    return word;
}

#if RNNC_USE_AVX512VNNI
#include <immintrin.h>
#include <string.h>

#include "rnnc_requantize_x16.h"

/* accumulate nb (1..4) consecutive 16-row blocks over all input groups */
static inline void rnnc_fc_blocks_vnni(const int8_t *in, int32_t in_size, const int8_t *w, int32_t k4,
                                       __m512i acc[4], int32_t nb)
{
    const int32_t full = in_size / 4;
    int32_t kg, b;
    for (kg = 0; kg < k4; kg++) {
        uint32_t word;
        __m512i xb;
        if (kg < full) {
            memcpy(&word, in + kg * 4, 4);
            word ^= 0x80808080u; /* x + 128 in every byte */
        } else {
            word = rnnc_fc_group_u8(in, in_size, kg);
        }
        xb = _mm512_set1_epi32((int32_t)word);
        for (b = 0; b < nb; b++) {
            acc[b] = _mm512_dpbusd_epi32(acc[b], xb, _mm512_loadu_si512(w + ((int32_t)b * k4 + kg) * 64));
        }
    }
}
#elif RNNC_USE_DSP
#include <arm_acle.h>
#include <string.h>

/* SXTB16/UXTB16 of the odd bytes: the rotate is part of the instruction, which gcc does not
   fold from a separate ror, so it is written out where GNU inline assembly exists */
#if defined(__GNUC__)
static inline uint32_t rnnc_sxtb16_ror8(uint32_t v)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
static inline uint32_t rnnc_uxtb16_ror8(uint32_t v)
{
    uint32_t r;
    __asm__("uxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
#else
static inline uint32_t rnnc_sxtb16_ror8(uint32_t v)
{
    return __sxtb16((v >> 8) | (v << 24));
}
static inline uint32_t rnnc_uxtb16_ror8(uint32_t v)
{
    return __uxtb16((v >> 8) | (v << 24));
}
#endif

/* acc += the 4 products of one row's group: bytes 0,2 and 1,3 in two SMLADs */
static inline int32_t rnnc_fc_mac4(const int8_t *w, uint32_t x02, uint32_t x13, int32_t acc)
{
    uint32_t wv;
    memcpy(&wv, w, 4);
    acc = __smlad(__sxtb16(wv), x02, acc);
    return __smlad(rnnc_sxtb16_ror8(wv), x13, acc);
}

/* one group (4 inputs) into four rows' accumulators */
#define RNNC_FC_GROUP_DSP(in, w)                                   \
    do {                                                           \
        uint32_t word_, x02_, x13_;                                \
        memcpy(&word_, (in), 4);                                   \
        word_ ^= 0x80808080u; /* x + 128 in every byte */          \
        x02_ = __uxtb16(word_);                                    \
        x13_ = rnnc_uxtb16_ror8(word_);                            \
        a0 = rnnc_fc_mac4((w), x02_, x13_, a0);                    \
        a1 = rnnc_fc_mac4((w) + 4, x02_, x13_, a1);                \
        a2 = rnnc_fc_mac4((w) + 8, x02_, x13_, a2);                \
        a3 = rnnc_fc_mac4((w) + 12, x02_, x13_, a3);               \
    } while (0)

/* four rows over groups [0, groups) of whole inputs: w points at the rows' first group.
   Kept out of line so the four accumulators and the two input pairs own the registers
   (unrolling further makes gcc hoist the loads and spill them). */
static void __attribute__((noinline))
rnnc_fc_rows4_dsp(const int8_t *in, const int8_t *w, int32_t groups, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int8_t *const end = in + 4 * groups;
    for (; in < end; in += 4, w += 64) {
        RNNC_FC_GROUP_DSP(in, w);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}
#endif

void rnnc_fc_s8_s16_b16x4(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                          int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
#if RNNC_USE_AVX512VNNI
    const int32_t k4 = (in_size + 3) / 4;
    const int32_t blocks = (out_size + 15) / 16;
    int32_t block, b;
    for (block = 0; block < blocks; block += 4) {
        const int32_t nb = blocks - block < 4 ? blocks - block : 4;
        __m512i acc[4];
        __mmask16 m[4];
        for (b = 0; b < nb; b++) {
            const int32_t rows = out_size - (block + b) * 16 < 16 ? out_size - (block + b) * 16 : 16;
            m[b] = (__mmask16)((1u << rows) - 1u);
            acc[b] = _mm512_maskz_loadu_epi32(m[b], bias + (block + b) * 16);
        }
        if (nb == 4) {
            rnnc_fc_blocks_vnni(in, in_size, weight + (int32_t)block * k4 * 64, k4, acc, 4);
        } else {
            for (b = 0; b < nb; b++) {
                rnnc_fc_blocks_vnni(in, in_size, weight + (int32_t)(block + b) * k4 * 64, k4, acc + b, 1);
            }
        }
        for (b = 0; b < nb; b++) {
            _mm256_mask_storeu_epi16(out + (block + b) * 16, m[b],
                                     _mm512_cvtsepi32_epi16(rnnc_mbqm_x16(acc[b], multiplier, shift)));
        }
    }
#elif RNNC_USE_DSP
    const int32_t k4 = (in_size + 3) / 4;
    const int32_t full = in_size / 4;
    const int32_t whole = out_size & ~3;
    int32_t o, r;
    int32_t acc[4];
    for (o = 0; o < out_size; o += 4) {
        const int8_t *w = weight + (int32_t)(o / 16) * k4 * 64 + (o % 16) * 4;
        const int32_t n = o < whole ? 4 : out_size - o;
        if (n == 4) {
            acc[0] = bias[o];
            acc[1] = bias[o + 1];
            acc[2] = bias[o + 2];
            acc[3] = bias[o + 3];
        } else {   /* the last rows: padding rows have zero weights and no bias */
            for (r = 0; r < 4; r++) {
                acc[r] = r < n ? bias[o + r] : 0;
            }
        }
        rnnc_fc_rows4_dsp(in, w, full, acc);
        if (full < k4) { /* the last, partial group: missing inputs count as 0 */
            const uint32_t word = rnnc_fc_group_u8(in, in_size, full);
            const uint32_t x02 = __uxtb16(word), x13 = rnnc_uxtb16_ror8(word);
            for (r = 0; r < 4; r++) {
                acc[r] = rnnc_fc_mac4(w + full * 64 + 4 * r, x02, x13, acc[r]);
            }
        }
        for (r = 0; r < n; r++) {
            out[o + r] = (int16_t)rnnc_sat(rnnc_mbqm(acc[r], multiplier, shift), INT16_MIN, INT16_MAX);
        }
    }
#else /* portable C */
    const int32_t k4 = (in_size + 3) / 4;
    int32_t block, kg, r;
    for (block = 0; block * 16 < out_size; block++) {
        const int32_t rows = out_size - block * 16 < 16 ? out_size - block * 16 : 16;
        const int8_t *w = weight + (int32_t)block * k4 * 64;
        int32_t acc[16];
        for (r = 0; r < rows; r++) {
            acc[r] = bias[block * 16 + r];
        }
        for (kg = 0; kg < k4; kg++) {
            const uint32_t word = rnnc_fc_group_u8(in, in_size, kg);
            const int32_t q0 = (int32_t)(word & 0xFFu), q1 = (int32_t)((word >> 8) & 0xFFu);
            const int32_t q2 = (int32_t)((word >> 16) & 0xFFu), q3 = (int32_t)(word >> 24);
            const int8_t *wg = w + kg * 64;
            for (r = 0; r < rows; r++) {
                acc[r] += wg[4 * r] * q0 + wg[4 * r + 1] * q1 + wg[4 * r + 2] * q2 + wg[4 * r + 3] * q3;
            }
        }
        for (r = 0; r < rows; r++) {
            out[block * 16 + r] = (int16_t)rnnc_sat(rnnc_mbqm(acc[r], multiplier, shift), INT16_MIN, INT16_MAX);
        }
    }
#endif
}
