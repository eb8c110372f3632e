/*
 * rnnc_types.h - the parameter structs of every rnnc kernel, in one place (CMSIS-NN keeps
 * its own in arm_nn_types.h). A model's const parameter blocks (<prefix>_weights.h) fill
 * them with designated initializers. Identical for every model.
 *
 * Gate FCs: the integer recurrent kernels compute each gate's input and recurrent terms with
 * the FC function the parameters name. It is chosen when the weights are emitted, because it
 * must match their layout (see rnnc_fc_s8_s16_b16x4.h, rnnc_fc_s8_s16_b16x4_signed.h,
 * rnnc_fc_s8_s16_rows.h): two models laid out differently link into one program, each calling
 * the FC its weights were made for.
 */
#ifndef RNNC_TYPES_H
#define RNNC_TYPES_H

#include <stddef.h> /* NULL in the low-bit weight descriptors */
#include <stdint.h>

/* int8 input, int16 (Q3.12) output: gate terms of the int8 recurrent layers */
typedef void (*rnnc_gate_fc_s8_fn)(const int8_t *in, const int8_t *weight, const int32_t *bias, int16_t *out,
                                   int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift);
/* int16 input, int16 (Q3.12) output, int64 accumulators: gate terms of the int16x8 layers */
typedef void (*rnnc_gate_fc_s16_fn)(const int16_t *in, const int8_t *weight, const int64_t *bias, int16_t *out,
                                    int32_t in_size, int32_t out_size, int32_t multiplier, int32_t shift);

/*
 * Low-bit gate weights (docs/numerics-lowbit.md). The low-bit gate FCs rnnc_fc_s8_s16_w4,
 * rnnc_fc_s8_s16_wb and rnnc_fc_s8_s16_wbab have the rnnc_gate_fc_s8_fn signature, but their
 * `weight` argument points at one of these descriptors (cast to const int8_t *): a layer's
 * input_weights and recurrent_weights point at an array of one descriptor per gate, and the
 * gate strides are the descriptor's size. int4 rows each have their own scale, so their
 * multipliers are per row here and the FC's multiplier and shift arguments are unused; binary
 * planes share one scale per gate (integer coefficients per row) and use those arguments.
 */
typedef struct {
    const uint8_t *codes;          /* [rows / 16][cols / 8][64] (rounded up): byte 4 r + b of a block holds
                                      L + 8 (0..15) of row r, column 8 g + b in its low nibble and
                                      column 8 g + 4 + b in its high nibble (g: the column group) */
    const uint8_t *residual;       /* second int4 tensor in the same layout, or NULL */
    const int8_t *residual_shift;  /* [rows] m: weight = codes * 2^m + residual */
    const int32_t *multiplier;     /* [rows] accumulator -> Q3.12 */
    const int32_t *shift;          /* [rows] */
} rnnc_w4_weights_t;

typedef struct {
    /* Rows in blocks of 16, word-interleaved: word j of plane i of row r is
     * planes[((r / 16 * bits + i) * words + j) * 16 + r % 16] (one vector holds 16 rows' word j);
     * bit j % 32 of word j / 32 is set where the code of column j is +1 (clear for -1 and pruned). */
    const uint32_t *planes;        /* [blocks][bits][words][16] */
    const uint32_t *mask;          /* [blocks][words][16]: set for the weights kept, or NULL: none pruned */
    const int16_t *coef;           /* [blocks][bits][16]: weight = sum_i coef[i] * code_i, code_i = +-1 */
    int32_t bits;                  /* code planes per row, 1..4 */
    int32_t words;                 /* 32-bit words per plane row: (cols + 31) / 32 */
} rnnc_wb_weights_t;

/* Binary-coded weights with int8 inputs (rnnc_fc_s8_s16_wb): the first gate of each input builds
 * a table of its sums by 4 inputs; every 4 weights of a code plane are then one lookup. */
typedef struct {
    rnnc_wb_weights_t weights;     /* codes and coefficients */
    int16_t *table;                /* scratch [128 * words]: sums of in[4 g + i] over the bits i of b (layout: rnnc_fc_s8_s16_wb.c) */
    int32_t code_input;            /* 1: build the table from `in` in this call; 0: the call before did */
} rnnc_wb8_weights_t;

/* Binary-coded weights with binary-coded activations (rnnc_fc_s8_s16_wbab): the input is coded
 * online into act_bits planes; gates after the first reuse the codes of the same input. */
typedef struct {
    rnnc_wb_weights_t weights;     /* codes and coefficients */
    uint32_t *act_codes;           /* scratch [act_bits][words]: the input's codes */
    int32_t *act_beta;             /* scratch [act_bits]: their integer coefficients */
    int32_t *residual;             /* scratch [cols]: the greedy coder's residual */
    const int32_t *kept;           /* [blocks][16]: each row's unpruned weights, or NULL: none pruned (cols) */
    int32_t act_bits;              /* activation planes, 1..4 (2 for ternary) */
    int32_t act_ternary;           /* 0: greedy binary codes, 1: threshold ternary as two planes */
    int32_t code_input;            /* 1: code `in` in this call; 0: the previous call coded the same input */
    int32_t input_zero_point;
} rnnc_wbab_weights_t;

/* ---- int8 recurrent layers (s8) ---- */

/* Integer LSTM (TFLite Micro arithmetic, docs/numerics-lstm.md); gates in the order i, f, c, o. */
typedef struct {
    int32_t input_size;
    int32_t hidden_size;
    rnnc_gate_fc_s8_fn gate_fc;         /* the FC that matches the weights' layout */
    const int8_t *input_weights;      /* 4 gates, input_gate_stride bytes apart */
    const int8_t *recurrent_weights;  /* 4 gates, recurrent_gate_stride bytes apart */
    int32_t input_gate_stride;
    int32_t recurrent_gate_stride;
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
    int32_t weights_b16x4;            /* 1: W and R packed for rnnc_fc_s8_s16_b16x4 (gate_fc): the
                                         AVX-512 VNNI step then goes by blocks of 16 units */
    /* x86 outputs whose packed weights all lie in [-127, 127]: the FC their AVX2 level calls
       instead (rnnc_fc_s8_s16_b16x4_signed, the inputs as they are) and its plain biases
       (rnnc_gate_fc_s8.h); NULL elsewhere */
    rnnc_gate_fc_s8_fn signed_fc;
    const int32_t *input_bias_signed;      /* [4][hidden]: input_bias less its -128 * rowsum */
    const int32_t *recurrent_bias_signed;  /* [4][hidden]: recurrent_bias less its -128 * rowsum */
} rnnc_lstm_s8_params_t;

/* Integer GRU (docs/numerics-gru-rnn.md), both ONNX variants; gates in the order z, r, h. */
typedef struct {
    int32_t input_size;
    int32_t hidden_size;
    rnnc_gate_fc_s8_fn gate_fc;
    const int8_t *input_weights;      /* 3 gates, input_gate_stride bytes apart */
    const int8_t *recurrent_weights;
    int32_t input_gate_stride;
    int32_t recurrent_gate_stride;
    const int32_t *input_bias;        /* [3][hidden] effective */
    const int32_t *recurrent_bias;    /* [3][hidden] effective */
    int32_t input_multiplier[3];      /* -> Q3.12 */
    int32_t input_shift[3];
    int32_t recurrent_multiplier[3];
    int32_t recurrent_shift[3];
    int32_t rh_multiplier;            /* r * (h - zp) -> hidden scale (linear_before_reset = 0) */
    int32_t rh_shift;
    int32_t rb_multiplier;            /* r * (R h + Rb) -> Q3.12 (linear_before_reset = 1) */
    int32_t rb_shift;
    int32_t omz_multiplier;           /* (1 - z) * n -> hidden scale */
    int32_t omz_shift;
    int32_t zh_multiplier;            /* z * (h - zp) -> hidden scale */
    int32_t zh_shift;
    int32_t hidden_zero_point;
    int32_t linear_before_reset;
    int32_t weights_b16x4;            /* 1: W and R packed for rnnc_fc_s8_s16_b16x4 (gate_fc): with
                                         linear_before_reset, the AVX-512 VNNI step goes by blocks */
    /* x86 outputs whose packed weights all lie in [-127, 127]: the FC their AVX2 level calls
       instead (rnnc_fc_s8_s16_b16x4_signed, the inputs as they are) and its plain biases
       (rnnc_gate_fc_s8.h); NULL elsewhere */
    rnnc_gate_fc_s8_fn signed_fc;
    const int32_t *input_bias_signed;      /* [3][hidden]: input_bias less its -128 * rowsum */
    const int32_t *recurrent_bias_signed;  /* [3][hidden]: recurrent_bias less its -128 * rowsum */
} rnnc_gru_s8_params_t;

/* Integer simple RNN: h = act(W x + R h + b), act tanh or relu. */
typedef struct {
    int32_t input_size;
    int32_t hidden_size;
    rnnc_gate_fc_s8_fn gate_fc;
    const int8_t *input_weights;
    const int8_t *recurrent_weights;
    const int32_t *input_bias;        /* [hidden] effective */
    const int32_t *recurrent_bias;
    int32_t input_multiplier;         /* -> Q3.12 */
    int32_t input_shift;
    int32_t recurrent_multiplier;
    int32_t recurrent_shift;
    int32_t output_multiplier;        /* activation (Q0.15 tanh, Q3.12 relu) -> hidden scale */
    int32_t output_shift;
    int32_t hidden_zero_point;
    int32_t use_relu;
    /* x86 outputs whose packed weights all lie in [-127, 127]: the FC their AVX2 level calls
       instead (rnnc_fc_s8_s16_b16x4_signed, the inputs as they are) and its plain biases
       (rnnc_gate_fc_s8.h); NULL elsewhere */
    rnnc_gate_fc_s8_fn signed_fc;
    const int32_t *input_bias_signed;      /* [hidden]: input_bias less its -128 * rowsum */
    const int32_t *recurrent_bias_signed;  /* [hidden]: recurrent_bias less its -128 * rowsum */
} rnnc_rnn_s8_params_t;

/* Dense layer, TFLM FULLY_CONNECTED arithmetic with per-output-channel requantization:
 *   out[o] = clamp(zp_out + MBQM(bias[o] + sum_i w[o][i] * in[i], mult[o], shift[o]), act_min, act_max) */
typedef struct {
    int32_t in_size;
    int32_t out_size;
    const int8_t *weight;       /* [out][in] */
    const int32_t *bias;        /* [out] effective bias: already contains -zero_point(in) * rowsum(w) */
    const int32_t *multiplier;  /* [out] */
    const int32_t *shift;       /* [out] */
    int32_t output_zero_point;
    int32_t act_min;            /* fused activation clamp (relu, relu6) or the int8 range */
    int32_t act_max;
} rnnc_fc_s8_params_t;

/* ---- int16 (zero point 0, int64 FC accumulators) recurrent layers (s16) ---- */

/* Integer LSTM (TFLite Micro arithmetic, docs/numerics-lstm.md); gates in the order i, f, c, o. */
typedef struct {
    int32_t input_size;
    int32_t hidden_size;
    rnnc_gate_fc_s16_fn gate_fc;         /* the FC that matches the weights' layout */
    const int8_t *input_weights;      /* 4 gates, input_gate_stride bytes apart */
    const int8_t *recurrent_weights;  /* 4 gates, recurrent_gate_stride bytes apart */
    int32_t input_gate_stride;
    int32_t recurrent_gate_stride;
    const int64_t *input_bias;        /* [4][hidden], effective: bias - zp_in * rowsum */
    const int64_t *recurrent_bias;    /* [4][hidden], effective: -zp_h * rowsum */
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
    int32_t weights_b16x4;            /* 1: W and R packed for rnnc_fc_s8_s16_b16x4 (gate_fc): the
                                         AVX-512 VNNI step then goes by blocks of 16 units */
} rnnc_lstm_s16_params_t;

/* Integer GRU (docs/numerics-gru-rnn.md), both ONNX variants; gates in the order z, r, h. */
typedef struct {
    int32_t input_size;
    int32_t hidden_size;
    rnnc_gate_fc_s16_fn gate_fc;
    const int8_t *input_weights;      /* 3 gates, input_gate_stride bytes apart */
    const int8_t *recurrent_weights;
    int32_t input_gate_stride;
    int32_t recurrent_gate_stride;
    const int64_t *input_bias;        /* [3][hidden] effective */
    const int64_t *recurrent_bias;    /* [3][hidden] effective */
    int32_t input_multiplier[3];      /* -> Q3.12 */
    int32_t input_shift[3];
    int32_t recurrent_multiplier[3];
    int32_t recurrent_shift[3];
    int32_t rh_multiplier;            /* r * (h - zp) -> hidden scale (linear_before_reset = 0) */
    int32_t rh_shift;
    int32_t rb_multiplier;            /* r * (R h + Rb) -> Q3.12 (linear_before_reset = 1) */
    int32_t rb_shift;
    int32_t omz_multiplier;           /* (1 - z) * n -> hidden scale */
    int32_t omz_shift;
    int32_t zh_multiplier;            /* z * (h - zp) -> hidden scale */
    int32_t zh_shift;
    int32_t hidden_zero_point;
    int32_t linear_before_reset;
    int32_t weights_b16x4;            /* 1: W and R packed for rnnc_fc_s8_s16_b16x4 (gate_fc): with
                                         linear_before_reset, the AVX-512 VNNI step goes by blocks */
} rnnc_gru_s16_params_t;

/* Integer simple RNN: h = act(W x + R h + b), act tanh or relu. */
typedef struct {
    int32_t input_size;
    int32_t hidden_size;
    rnnc_gate_fc_s16_fn gate_fc;
    const int8_t *input_weights;
    const int8_t *recurrent_weights;
    const int64_t *input_bias;        /* [hidden] effective */
    const int64_t *recurrent_bias;
    int32_t input_multiplier;         /* -> Q3.12 */
    int32_t input_shift;
    int32_t recurrent_multiplier;
    int32_t recurrent_shift;
    int32_t output_multiplier;        /* activation (Q0.15 tanh, Q3.12 relu) -> hidden scale */
    int32_t output_shift;
    int32_t hidden_zero_point;
    int32_t use_relu;
} rnnc_rnn_s16_params_t;

/* Dense layer, TFLM FULLY_CONNECTED arithmetic with per-output-channel requantization:
 *   out[o] = clamp(zp_out + MBQM(bias[o] + sum_i w[o][i] * in[i], mult[o], shift[o]), act_min, act_max) */
typedef struct {
    int32_t in_size;
    int32_t out_size;
    const int8_t *weight;       /* [out][in] */
    const int64_t *bias;        /* [out] effective bias: already contains -zero_point(in) * rowsum(w) */
    const int32_t *multiplier;  /* [out] */
    const int32_t *shift;       /* [out] */
    int32_t output_zero_point;
    int32_t act_min;            /* fused activation clamp (relu, relu6) or the int16 range */
    int32_t act_max;
} rnnc_fc_s16_params_t;

/* Dense int8 layer as LiteRT's default delegate (XNNPACK) computes it (the "litert" numerics
 * flavour, docs/numerics-glue.md): float32 requantization, rounding to nearest even:
 *   out[o] = zp_out + rne(clamp((float)(bias[o] + sum_i w[o][i] * in[i]) * scale[o],
 *                               act_min - zp_out, act_max - zp_out)) */
typedef struct {
    int32_t in_size;
    int32_t out_size;
    const int8_t *weight;       /* [out][in] */
    const int32_t *bias;        /* [out] effective bias: already contains -zero_point(in) * rowsum(w) */
    const float *scale;         /* [out] s_in * s_w[o] / s_out, float32 */
    int32_t output_zero_point;
    int32_t act_min;
    int32_t act_max;
} rnnc_fc_s8_fp32_params_t;

/* Sigmoid / tanh of a quantized tensor through the int16 LUT (rnnc_act_lut_s8/_s16). */
typedef struct {
    int32_t use_tanh;           /* 0: sigmoid, 1: tanh */
    int32_t input_zero_point;
    int32_t input_multiplier;   /* input scale -> Q3.12 */
    int32_t input_shift;
    int32_t output_multiplier;  /* Q0.15 -> output scale */
    int32_t output_shift;
    int32_t output_zero_point;
} rnnc_act_lut_params_t;

/* Softmax of a quantized vector (rnnc_softmax_s8/_s16, docs/numerics-glue.md). */
typedef struct {
    const int32_t *exp_table;   /* exp_table[k] = round(65536 * exp(-k * step_scale)) */
    int32_t table_size;
    int32_t step_multiplier;    /* input scale -> table step */
    int32_t step_shift;
    int32_t one;                /* 1.0 in output units: 256 (int8) or 32768 (int16) */
    int32_t output_zero_point;
} rnnc_softmax_params_t;

#endif /* RNNC_TYPES_H */
