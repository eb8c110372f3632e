/*
 * rnnc_requantize.h - fixed-point rescaling shared by every integer kernel (header only).
 *
 * rnnc_mbqm():     TFLite/TFLM MultiplyByQuantizedMultiplier for int32 values: left shift,
 *                  rounding doubling high multiply (Q31), then rounding right shift; two
 *                  roundings, half away from zero, exactly as TFLM's reference kernels.
 * rnnc_mbqm_s64(): the int64-accumulator variant of the 16x8 kernels: the multiplier is
 *                  reduced to 16 bits and applied with a single rounding.
 * Products are formed in int64, so nothing overflows. Right shifts of negative values are
 * implementation-defined in C99; rnnc requires them to be arithmetic (floor), as gcc, clang,
 * armclang and IAR implement them and as TFLM and CMSIS-NN also assume; the check below stops
 * the build on a compiler that does otherwise. The helpers are branch-free: with real data
 * the sign of every value is unpredictable, and mispredicted branches cost more than the math.
 */
#ifndef RNNC_REQUANTIZE_H
#define RNNC_REQUANTIZE_H

#include <stdint.h>

#if (-1 >> 1) != -1
#error "rnnc kernels need arithmetic right shifts of negative integers"
#endif

/* floor(x / 2^e): an arithmetic right shift (see above) */
static inline int64_t rnnc_floor_shift(int64_t x, int32_t e)
{
    return x >> e;
}

/* x / 2^exponent rounded half away from zero (gemmlowp's RoundingDivideByPOT), 0 <= exponent <= 31 */
static inline int32_t rnnc_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
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
    /* trunc((ab + nudge) / 2^31) with nudge = 2^30 (ab >= 0) or 1 - 2^30 (ab < 0) equals
       floor((ab + 2^30) / 2^31) for both signs */
    high = rnnc_floor_shift(ab + ((int64_t)1 << 30), 31);
    return rnnc_rounding_divide_by_pot((int32_t)high, right);
}

static inline int32_t rnnc_mbqm_s64(int64_t acc, int32_t multiplier, int32_t shift)
{
    const int64_t reduced = multiplier < 0x7FFF0000 ? (((int64_t)multiplier + (1 << 15)) >> 16) : 0x7FFF;
    const int32_t total = 15 - shift;
    const int64_t v = acc * reduced + ((int64_t)1 << (total - 1));
    return (int32_t)rnnc_floor_shift(v, total);
}

static inline int32_t rnnc_sat(int64_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : (int32_t)v);
}

#endif /* RNNC_REQUANTIZE_H */
