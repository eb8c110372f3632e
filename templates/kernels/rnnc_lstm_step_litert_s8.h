/*
 * rnnc_lstm_step_litert_s8 - one time step of an int8 LSTM computing what full TFLite (LiteRT)
 * computes (the "litert" numerics flavour, docs/numerics-lstm.md): the recurrent gate term is
 * added unsaturated, gemmlowp's fixed-point logistic and tanh replace the LUT, f * c and i * g
 * are each rounded once to the cell scale. Portable C (LiteRT's own kernel is portable too).
 *
 * Parameters as rnnc_lstm_step_s8 (rnnc_lstm_s8_params_t); the recurrent weights must be plain
 * rows ([4][hidden][hidden]); tanh_input_shift + 3 is the cell's integer bits (0..6).
 */
#ifndef RNNC_LSTM_STEP_LITERT_S8_H
#define RNNC_LSTM_STEP_LITERT_S8_H

#include <stdint.h>

#include "rnnc_types.h"

void rnnc_lstm_step_litert_s8(const rnnc_lstm_s8_params_t *p, const int8_t *input, int8_t *hidden, int16_t *cell,
                              int16_t *scratch);

#endif /* RNNC_LSTM_STEP_LITERT_S8_H */
