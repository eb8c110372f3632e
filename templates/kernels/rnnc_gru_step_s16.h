/*
 * rnnc_gru_step_s16 - one time step of rnnc's integer GRU with int16 input and hidden state (16x8: int64 FC accumulators)
 * (both ONNX variants, linear_before_reset 0 and 1; docs/numerics-gru-rnn.md).
 * Gates are stored in the order z, r, h. Scratch: 4 * hidden_size int16 values, plus
 * hidden_size int16 values in rh_scratch for linear_before_reset = 0.
 */
#ifndef RNNC_GRU_STEP_S16_H
#define RNNC_GRU_STEP_S16_H

#include <stdint.h>

typedef struct {
    int32_t input_size;
    int32_t hidden_size;
    const int8_t *input_weights;      /* [3][hidden][input] */
    const int8_t *recurrent_weights;  /* [3][hidden][hidden] */
    const int64_t *input_bias;        /* [3][hidden] effective */
    const int64_t *recurrent_bias;    /* [3][hidden] effective */
    int32_t input_multiplier[3];      /* -> Q3.12 */
    int32_t input_shift[3];
    int32_t recurrent_multiplier[3];
    int32_t recurrent_shift[3];
    int32_t rh_multiplier;            /* r * (h - zp) -> hidden scale (lbr = 0) */
    int32_t rh_shift;
    int32_t rb_multiplier;            /* r * (R h + Rb) -> Q3.12 (lbr = 1) */
    int32_t rb_shift;
    int32_t omz_multiplier;           /* (1 - z) * n -> hidden scale */
    int32_t omz_shift;
    int32_t zh_multiplier;            /* z * (h - zp) -> hidden scale */
    int32_t zh_shift;
    int32_t hidden_zero_point;
    int32_t linear_before_reset;
} rnnc_gru_s16_params_t;

void rnnc_gru_step_s16(const rnnc_gru_s16_params_t *p, const int16_t *input, int16_t *hidden,
                      int16_t *scratch, int16_t *rh_scratch);

#endif /* RNNC_GRU_STEP_S16_H */
