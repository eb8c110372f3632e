/*
 * rnnc_fc_panel_f32 - float32 fully connected on weights stored in 16-row panels:
 * out[o] = bias[o] + sum_i W[o][i] * in[i], where panel p holds rows 16p..16p+15 input by
 * input: weight[(p * in_size + i) * 16 + r] = W[16p + r][i] (rows past out_size are zero).
 *
 * Every output is a running sum over the inputs in order, so no path needs a horizontal
 * reduction: the layout for short rows (an RNN's input projection), where reducing each
 * row's partial sums cost more than the products.
 */
#ifndef RNNC_FC_PANEL_F32_H
#define RNNC_FC_PANEL_F32_H

#include <stdint.h>

#define RNNC_PANEL_ROWS 16

/* bias: out_size values (not NULL); bias == out accumulates (out += W in): each panel group
   reads its bias before it writes its outputs */
void rnnc_fc_panel_f32(const float *in, const float *weight, const float *bias, float *out,
                       int32_t in_size, int32_t out_size);

#endif /* RNNC_FC_PANEL_F32_H */
