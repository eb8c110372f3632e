/*
 * rnnc_gemmlowp_s16.h - gemmlowp's int16 fixed-point logistic and tanh (header only), as full
 * TFLite (LiteRT) computes its integer LSTM's activations (the "litert" numerics flavour;
 * docs/numerics-lstm.md). Bit-exact with gemmlowp on all 65536 inputs (the simulator,
 * codegen/fixedpoint_gemmlowp.py, is checked against gemmlowp's own outputs in the tests).
 *
 * Values are raw int16 of fixed-point numbers with k integer bits (15 - k fraction bits), held
 * in int32. gemmlowp's int16 +, - and negation wrap (rnnc_gl_wrap16: done on unsigned values,
 * so nothing is implementation-defined); products are rounding doubling high multiplies; right
 * shifts round half away from zero (rnnc_rounding_divide_by_pot).
 */
#ifndef RNNC_GEMMLOWP_S16_H
#define RNNC_GEMMLOWP_S16_H

#include <stdint.h>

#include "rnnc_requantize.h"

static inline int32_t rnnc_gl_wrap16(int32_t x)
{
    return (int32_t)(((uint32_t)x + 32768u) & 0xFFFFu) - 32768;
}

/* SaturatingRoundingDoublingHighMul for int16: round(a * b / 2^15), -32768 * -32768 saturated.
 * The division truncates toward zero after the nudge, as gemmlowp's does. */
static inline int32_t rnnc_gl_mul(int32_t a, int32_t b)
{
    const int32_t p = a * b;
    if (a == -32768 && b == -32768) {
        return 32767;
    }
    return rnnc_gl_wrap16((p + (p >= 0 ? (1 << 14) : 1 - (1 << 14))) / (1 << 15));
}

/* SaturatingRoundingMultiplyByPOT: x * 2^e, saturated for e > 0, rounded for e < 0 */
static inline int32_t rnnc_gl_mul_pot(int32_t x, int32_t e)
{
    if (e < 0) {
        return rnnc_rounding_divide_by_pot(x, -e);
    }
    if (e > 0) {
        const int32_t thr = (1 << (15 - e)) - 1;
        return x > thr ? 32767 : x < -thr ? -32768 : x * (1 << e);
    }
    return x;
}

/* exp(a) for a in [-1/4, 0), Q0.15: Taylor polynomial around -1/8 */
static inline int32_t rnnc_gl_exp_quarter(int32_t a)
{
    const int32_t exp_minus_eighth = 28918, one_third = 10923;
    const int32_t x = rnnc_gl_wrap16(a + (1 << 12));
    const int32_t x2 = rnnc_gl_mul(x, x);
    const int32_t x3 = rnnc_gl_mul(x2, x);
    const int32_t x4 = rnnc_gl_mul(x2, x2);
    const int32_t x4_4 = rnnc_rounding_divide_by_pot(x4, 2);
    const int32_t t = rnnc_gl_mul_pot(rnnc_gl_wrap16(rnnc_gl_mul(rnnc_gl_wrap16(x4_4 + x3), one_third) + x2), -1);
    return rnnc_sat(exp_minus_eighth + rnnc_gl_mul(exp_minus_eighth, rnnc_gl_wrap16(x + t)), -32768, 32767);
}

/* exp(a) for a <= 0 with ib integer bits (1..7), Q0.15 out */
static inline int32_t rnnc_gl_exp_negative(int32_t a, int32_t ib)
{
    /* exp(-2^e) in Q0.15 for e = -2..4: the barrel shifter over a's integer part */
    static const int32_t barrel[7] = {25520, 19875, 12055, 4435, 600, 11, 0};
    const int32_t fb = 15 - ib;
    const int32_t quarter = 1 << (fb - 2);
    const int32_t amq = rnnc_gl_wrap16((int32_t)((uint32_t)a & (uint32_t)(quarter - 1)) - quarter);
    const int32_t rem = rnnc_gl_wrap16(amq - a);
    int32_t r = rnnc_gl_exp_quarter(rnnc_gl_mul_pot(amq, ib));
    int32_t e;
    for (e = -2; e <= 4; e++) {
        if (ib > e && ((uint32_t)rem & (1u << (fb + e))) != 0) {
            r = rnnc_gl_mul(r, barrel[e + 2]);
        }
    }
    if (ib > 5 && a < rnnc_rounding_divide_by_pot(-(1 << (36 - ib)), 16)) {
        r = 0;
    }
    return a == 0 ? 32767 : r;
}

/* 1 / (1 + a) for a in [0, 1] (Q0.15 in), Q2.13 out: three Newton-Raphson steps */
static inline int32_t rnnc_gl_reciprocal(int32_t a)
{
    const int32_t s = a + 32767;
    const int32_t half = rnnc_gl_wrap16((s + (s >= 0 ? 1 : -1)) / 2);
    int32_t x = rnnc_gl_wrap16(23130 + rnnc_gl_mul(half, -15420));   /* 48/17 - 32/17 * half */
    int32_t i;
    for (i = 0; i < 3; i++) {
        x = rnnc_gl_wrap16(x + rnnc_gl_mul_pot(rnnc_gl_mul(x, rnnc_gl_wrap16(8192 - rnnc_gl_mul(half, x))), 2));
    }
    return x;
}

/* logistic of a Q3.12 value, Q0.15 out (range 11..32756) */
static inline int32_t rnnc_gl_logistic_s16(int32_t a)
{
    const int32_t abs_a = a > 0 ? a : rnnc_gl_wrap16(-a);
    const int32_t rp = rnnc_gl_mul_pot(rnnc_gl_reciprocal(rnnc_gl_exp_negative(rnnc_gl_wrap16(-abs_a), 3)), 1);
    if (a == 0) {
        return 16384;
    }
    return a > 0 ? rp : rnnc_gl_wrap16(32767 - rp);
}

/* tanh of a value with ib (0..6) integer bits, Q0.15 out */
static inline int32_t rnnc_gl_tanh_s16(int32_t a, int32_t ib)
{
    const int32_t n = a < 0 ? a : rnnc_gl_wrap16(-a);
    const int32_t t = rnnc_gl_mul_pot(rnnc_gl_wrap16(rnnc_gl_reciprocal(rnnc_gl_exp_negative(n, ib + 1)) - 8192), 2);
    if (a == 0) {
        return 0;
    }
    return a < 0 ? rnnc_gl_wrap16(-t) : t;
}

#endif /* RNNC_GEMMLOWP_S16_H */
