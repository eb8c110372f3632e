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
    const int32_t mask = (int32_t)((1u << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^left saturated to int32, 0 <= left <= 30 */
static inline int32_t rnnc_sat_shift_left(int32_t x, int32_t left)
{
    if (x > (INT32_MAX >> left)) {
        return INT32_MAX;
    }
    if (x < (INT32_MIN >> left)) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << left);
}

/* All in 32-bit operands and one 32x32->64 multiply (SMULL on Arm): multipliers are
   non-negative Q31 values, so the doubling high multiply cannot overflow. */
static inline int32_t rnnc_mbqm(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t xs = shift > 0 ? rnnc_sat_shift_left(x, shift) : x;
    /* saturating rounding doubling high multiply: floor((xs * m + 2^30) / 2^31), which equals
       gemmlowp's trunc((ab + nudge) / 2^31) with nudge = 2^30 or 1 - 2^30 for both signs */
    const int64_t ab = (int64_t)xs * (int64_t)multiplier;
    const int32_t high = (int32_t)rnnc_floor_shift(ab + ((int64_t)1 << 30), 31);
    return shift > 0 ? high : rnnc_rounding_divide_by_pot(high, -shift);
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
