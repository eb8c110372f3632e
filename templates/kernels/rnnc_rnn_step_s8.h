/*
 * rnnc_rnn_step_s8 - one time step of rnnc's integer simple RNN, int8 input and hidden state:
 * h' = requantize(act(sat16(FC_x + FC_h))), act = tanh (Q3.12 -> Q0.15) or relu (docs/numerics-gru-rnn.md).
 * Scratch: 2 * hidden_size int16 values.
 */
#ifndef RNNC_RNN_STEP_S8_H
#define RNNC_RNN_STEP_S8_H

#include <stdint.h>

typedef struct {
    int32_t input_size;
    int32_t hidden_size;
    const int8_t *input_weights;      /* [hidden][input] */
    const int8_t *recurrent_weights;  /* [hidden][hidden] */
    const int32_t *input_bias;        /* [hidden] effective */
    const int32_t *recurrent_bias;    /* [hidden] effective */
    int32_t input_multiplier;
    int32_t input_shift;
    int32_t recurrent_multiplier;
    int32_t recurrent_shift;
    int32_t output_multiplier;        /* activation -> hidden scale */
    int32_t output_shift;
    int32_t hidden_zero_point;
    int32_t use_relu;                 /* 0: tanh, 1: relu */
} rnnc_rnn_s8_params_t;

void rnnc_rnn_step_s8(const rnnc_rnn_s8_params_t *p, const int8_t *input, int8_t *hidden,
                      int16_t *scratch);

#endif /* RNNC_RNN_STEP_S8_H */
