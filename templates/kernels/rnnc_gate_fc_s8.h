/*
 * rnnc_gate_fc_s8.h - the gate FC an int8 recurrent step calls, and its biases (header only).
 *
 * The FC the weights were laid out for (p->gate_fc, p->input_bias, p->recurrent_bias), except
 * on x86's AVX2 level without VNNI, where an output whose packed weights all lie in
 * [-127, 127] also names rnnc_fc_s8_s16_b16x4_signed and the plain biases (p->signed_fc,
 * p->input_bias_signed, p->recurrent_bias_signed): the same packed weights, the inputs taken as
 * they are, 32 products per VPMADDUBSW where rnnc_fc_s8_s16_b16x4's AVX2 path, whose +128-offset
 * inputs could saturate VPMADDUBSW, widens the weights to int16 first. The VNNI levels keep the
 * offset form that VPDPBUSD's unsigned operand needs (flipping each weight's sign there would
 * cost an instruction per weight vector: 57% slower at H = 64, measured). Both forms give the
 * same sums, so the step's results do not depend on the level.
 */
#ifndef RNNC_GATE_FC_S8_H
#define RNNC_GATE_FC_S8_H

#include <stddef.h>
#include <stdint.h>

#include "rnnc_common.h"
#include "rnnc_types.h"

typedef struct {
    rnnc_gate_fc_s8_fn call;
    const int32_t *input_bias;     /* [gates][hidden] */
    const int32_t *recurrent_bias;
} rnnc_gate_fc_s8_t;

static inline rnnc_gate_fc_s8_t rnnc_gate_fc_s8(rnnc_gate_fc_s8_fn fc, const int32_t *input_bias,
                                                const int32_t *recurrent_bias, rnnc_gate_fc_s8_fn signed_fc,
                                                const int32_t *input_bias_signed,
                                                const int32_t *recurrent_bias_signed)
{
    rnnc_gate_fc_s8_t g;
#if RNNC_USE_AVX2 && !RNNC_USE_AVXVNNI && !RNNC_USE_AVX512VNNI
    if (signed_fc != NULL) {
        g.call = signed_fc;
        g.input_bias = input_bias_signed;
        g.recurrent_bias = recurrent_bias_signed;
        return g;
    }
#else
    (void)signed_fc;
    (void)input_bias_signed;
    (void)recurrent_bias_signed;
#endif
    g.call = fc;
    g.input_bias = input_bias;
    g.recurrent_bias = recurrent_bias;
    return g;
}

#endif /* RNNC_GATE_FC_S8_H */
