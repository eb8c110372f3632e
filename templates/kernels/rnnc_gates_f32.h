/*
 * rnnc_gates_f32 - the element-wise part of float RNN steps with ONNX's default activations:
 *   rnnc_lstm_cell_f32   g = [i f c o] pre-activations (4n): c = sig(f) c + sig(i) tanh(g),
 *                        h = sig(o) tanh(c)
 *   rnnc_sigmoid_ip_f32  x = sig(x) in place (GRU's z and r)
 *   rnnc_tanh_ip_f32     x = tanh(x) in place (GRU's candidate, the simple RNN)
 * Layers with other activations, a clip or peepholes are computed inline by the layer code.
 */
#ifndef RNNC_GATES_F32_H
#define RNNC_GATES_F32_H

#include <stdint.h>

void rnnc_lstm_cell_f32(const float *g, float *c, float *h, int32_t n);
void rnnc_sigmoid_ip_f32(float *x, int32_t n);
void rnnc_tanh_ip_f32(float *x, int32_t n);

#endif /* RNNC_GATES_F32_H */
