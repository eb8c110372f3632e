/*
 * rnnc_lstm_step_s8 - one time step of an integer LSTM with int8 input and hidden state,
 * int16 cell state (TFLite Micro "8x8->16" arithmetic, docs/numerics-lstm.md).
 *
 * Gates are stored in the order i, f, c, o. The caller owns the params (const, usually in
 * flash), the state (h, c) and the scratch buffer of 5 * hidden_size int16 values.
 */
#ifndef RNNC_LSTM_STEP_S8_H
#define RNNC_LSTM_STEP_S8_H

#include <stdint.h>

typedef struct {
    int32_t input_size;
    int32_t hidden_size;
    const int8_t *input_weights;      /* [4] gates, packed 16x4 per gate, see rnnc_fc_s8_s16.h */
    const int8_t *recurrent_weights;  /* [4] gates, packed 16x4 per gate, see rnnc_fc_s8_s16.h */
    const int32_t *input_bias;        /* [4][hidden], effective: bias - zp_in * rowsum */
    const int32_t *recurrent_bias;    /* [4][hidden], effective: -zp_h * rowsum */
    int32_t input_multiplier[4];      /* input FC -> Q3.12 */
    int32_t input_shift[4];
    int32_t recurrent_multiplier[4];  /* recurrent FC -> Q3.12 */
    int32_t recurrent_shift[4];
    int32_t forget_cell_multiplier;   /* f * c -> cell scale */
    int32_t forget_cell_shift;
    int32_t input_gate_multiplier;    /* i * g -> cell scale */
    int32_t input_gate_shift;
    int32_t hidden_multiplier;        /* o * tanh(c) -> hidden scale */
    int32_t hidden_shift;
    int32_t tanh_input_shift;         /* 12 + log2(cell scale) */
    int32_t cell_clip;                /* quantized; 0 = none */
    int32_t hidden_zero_point;
    int32_t saturate_sums_only;       /* 0: TFLM (saturate each term), 1: CMSIS-NN */
} rnnc_lstm_s8_params_t;

void rnnc_lstm_step_s8(const rnnc_lstm_s8_params_t *p, const int8_t *input, int8_t *hidden,
                       int16_t *cell, int16_t *scratch);

#endif /* RNNC_LSTM_STEP_S8_H */
