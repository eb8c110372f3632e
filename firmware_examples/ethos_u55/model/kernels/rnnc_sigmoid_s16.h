/*
 * rnnc_sigmoid_s16 - int16 logistic, Q3.12 in, Q0.15 out, in place allowed.
 * Table lookup with linear interpolation (rnnc_sigmoid_table); output in [11, 32757].
 */
#ifndef RNNC_SIGMOID_S16_H
#define RNNC_SIGMOID_S16_H

#include <stdint.h>

void rnnc_sigmoid_s16(const int16_t *in, int16_t *out, int32_t n);

#endif /* RNNC_SIGMOID_S16_H */
