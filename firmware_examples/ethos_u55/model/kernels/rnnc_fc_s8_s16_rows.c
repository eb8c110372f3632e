/*
 * rnnc_fc_s8_s16_rows.c - int8 fully connected to int16 on plain rows (rnnc_fc_s8_s16_rows.h):
 * - Helium (Cortex-M55): four rows at a time, VMLADAVA.S8 over 16 inputs per instruction, the
 *   last partial vector predicated (tail-predicated loads read nothing beyond a row);
 * - portable C99 everywhere else (and in builds forced to --kernels portable or dsp).
 * Both give bit-identical results.
 */
#include "rnnc_common.h"
#include "rnnc_dot4_s8.h"
#include "rnnc_fc_s8_s16_rows.h"
#include "rnnc_requantize.h"
#include "rnnc_requantize_mve.h"

static inline int16_t rnnc_fc_rows_out_s16(int32_t acc, int32_t multiplier, int32_t shift)
{
    return (int16_t)rnnc_sat(rnnc_mbqm(acc, multiplier, shift), INT16_MIN, INT16_MAX);
}

void rnnc_fc_s8_s16_rows(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                         int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift)
{
#if RNNC_USE_MVE
    int32_t o = 0, i;
    for (; o + 4 <= out_size; o += 4) {
        int32_t a[4] = {0, 0, 0, 0};
        int32x4_t acc;
        rnnc_dot4_s8(in, weight + o * in_size, in_size, a);
        acc = vsetq_lane_s32(a[3], vsetq_lane_s32(a[2], vsetq_lane_s32(a[1], vdupq_n_s32(a[0]), 1), 2), 3);
        acc = rnnc_mbqm_mve(vaddq_s32(acc, vldrwq_s32(bias + o)), multiplier, shift);
        vstrhq_s32(out + o, rnnc_clamp_mve(acc, INT16_MIN, INT16_MAX));
    }
    for (; o < out_size; o++) {
        const int8_t *w0 = weight + o * in_size;
        int32_t a0 = bias[o];
        for (i = 0; i < in_size; i += 16) {
            const mve_pred16_t p = vctp8q((uint32_t)(in_size - i));
            a0 = vmladavaq_s8(a0, vldrbq_z_s8(w0 + i, p), vldrbq_z_s8(in + i, p));
        }
        out[o] = rnnc_fc_rows_out_s16(a0, multiplier, shift);
    }
#else /* portable C */
    int32_t o, i;
    for (o = 0; o < out_size; o++) {
        const int8_t *w = weight + o * in_size;
        int32_t acc = bias[o];
        for (i = 0; i < in_size; i++) {
            acc += (int32_t)w[i] * in[i];
        }
        out[o] = rnnc_fc_rows_out_s16(acc, multiplier, shift);
    }
#endif
}
