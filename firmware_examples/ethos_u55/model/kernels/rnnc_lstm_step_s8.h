/*
 * rnnc_lstm_step_s8 - one time step of an integer LSTM with int8 input and hidden state,
 * int16 cell state (TFLite Micro "8x8->16" arithmetic, docs/numerics-lstm.md).
 *
 * The caller owns the parameters (rnnc_lstm_s8_params_t in rnnc_types.h, const, usually in
 * flash), the state (hidden, cell) and the scratch buffer of 5 * hidden_size int16 values.
 */
#ifndef RNNC_LSTM_STEP_S8_H
#define RNNC_LSTM_STEP_S8_H

#include <stdint.h>

#include "rnnc_types.h"

void rnnc_lstm_step_s8(const rnnc_lstm_s8_params_t *p, const int8_t *input, int8_t *hidden,
                       int16_t *cell, int16_t *scratch);

#endif /* RNNC_LSTM_STEP_S8_H */
