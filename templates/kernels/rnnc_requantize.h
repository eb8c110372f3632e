/*
 * rnnc_requantize.h - fixed-point rescaling shared by every integer kernel (header only).
 *
 * rnnc_mbqm():     TFLite/TFLM MultiplyByQuantizedMultiplier for int32 values: left shift,
 *                  rounding doubling high multiply (Q31), then rounding right shift; two
 *                  roundings, half away from zero, exactly as TFLM's reference kernels.
 * rnnc_mbqm_s64(): the int64-accumulator variant of the 16x8 kernels: the multiplier is
 *                  reduced to 16 bits and applied with a single rounding.
 * All intermediate products are formed in int64, so nothing overflows; right shifts of
 * negative values are written as exact divisions (no implementation-defined shifts).
 */
#ifndef RNNC_REQUANTIZE_H
#define RNNC_REQUANTIZE_H

#include <stdint.h>

/* x / 2^exponent rounded half away from zero (gemmlowp's RoundingDivideByPOT). */
static inline int64_t rnnc_rounding_divide_by_pot(int64_t x, int32_t exponent)
{
    const int64_t mask = ((int64_t)1 << exponent) - 1;
    const int64_t remainder = x & mask;
    const int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    /* (x - remainder) is an exact multiple of 2^exponent: dividing equals a floor shift */
    return (x - remainder) / ((int64_t)1 << exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t rnnc_mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    int64_t xs = (int64_t)x * ((int64_t)1 << left);
    int64_t ab, high;
    if (xs > INT32_MAX) {
        xs = INT32_MAX;
    } else if (xs < INT32_MIN) {
        xs = INT32_MIN;
    }
    /* saturating rounding doubling high multiply: (xs * m + 2^30) / 2^31, toward zero */
    ab = xs * (int64_t)multiplier;
    high = (ab >= 0 ? ab + ((int64_t)1 << 30) : ab + 1 - ((int64_t)1 << 30)) / ((int64_t)1 << 31);
    return (int32_t)rnnc_rounding_divide_by_pot(high, right);
}

static inline int32_t rnnc_mbqm_s64(int64_t acc, int32_t multiplier, int32_t shift)
{
    const int64_t reduced = multiplier < 0x7FFF0000 ? (((int64_t)multiplier + (1 << 15)) / (1 << 16)) : 0x7FFF;
    const int32_t total = 15 - shift;
    const int64_t v = acc * reduced + ((int64_t)1 << (total - 1));
    /* floor division by 2^total, as an arithmetic right shift would do */
    const int64_t d = (int64_t)1 << total;
    return (int32_t)(v >= 0 ? v / d : -((-v + d - 1) / d));
}

static inline int32_t rnnc_sat(int64_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}

#endif /* RNNC_REQUANTIZE_H */
