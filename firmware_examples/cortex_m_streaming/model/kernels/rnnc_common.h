/*
 * rnnc_common.h - small definitions shared by every rnnc kernel.
 */
#ifndef RNNC_COMMON_H
#define RNNC_COMMON_H

#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define RNNC_ALIGN(n) __attribute__((aligned(n)))
#else
#define RNNC_ALIGN(n)
#endif

#define RNNC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define RNNC_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Clamp a 32-bit value into [lo, hi]. */
static inline int32_t rnnc_clamp_s32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

#endif /* RNNC_COMMON_H */
