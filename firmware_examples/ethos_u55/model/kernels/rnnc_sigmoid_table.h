/*
 * rnnc_sigmoid_table - sigmoid(i/24), i = 0..255, in unsigned 0.16: the interpolation table
 * of the int16 logistic and tanh kernels (the same numbers as TFLite Micro and CMSIS-NN).
 */
#ifndef RNNC_SIGMOID_TABLE_H
#define RNNC_SIGMOID_TABLE_H

#include <stdint.h>

extern const uint16_t rnnc_sigmoid_table_u16[256];

#endif /* RNNC_SIGMOID_TABLE_H */
