/*
 * rnnc_common.h - small definitions shared by every rnnc kernel, and which code paths the
 * kernels are built with. Identical for every model a given rnnc version generates, so one
 * copy of kernels/ serves a firmware that links several models.
 *
 * Every kernel with an optimized path keeps the portable C path beside it, inside the same
 * function; which one is built follows RNNC_KERNELS and what the compiler's target flags enable:
 *   RNNC_KERNELS_AUTO      the best path the flags allow (MVE > DSP > portable on Arm,
 *                          AVX-512 VNNI > portable on x86); the default
 *   RNNC_KERNELS_PORTABLE  plain C99 everywhere
 *   RNNC_KERNELS_DSP       the Arm DSP-extension paths (SMLAD, SXTB16, ...); an error if the
 *                          flags do not enable the DSP extension
 *   RNNC_KERNELS_MVE       the Helium (MVE) paths, DSP paths where a kernel has no MVE path;
 *                          an error if the flags do not enable MVE
 * All paths compute the same numbers bit for bit, so the choice is one of speed and size and
 * is made for a whole build: -DRNNC_KERNELS=RNNC_KERNELS_PORTABLE etc. (rnnc compile --kernels
 * records it; rnnc's builds and the generated Makefile pass it).
 */
#ifndef RNNC_COMMON_H
#define RNNC_COMMON_H

#include <stdint.h>

#define RNNC_KERNELS_AUTO 0
#define RNNC_KERNELS_PORTABLE 1
#define RNNC_KERNELS_DSP 2
#define RNNC_KERNELS_MVE 3

#ifndef RNNC_KERNELS
#define RNNC_KERNELS RNNC_KERNELS_AUTO
#endif

/* what the compiler's target flags offer */
#if defined(__ARM_FEATURE_DSP) && (__ARM_FEATURE_DSP == 1)
#define RNNC_HAVE_DSP 1
#else
#define RNNC_HAVE_DSP 0
#endif
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define RNNC_HAVE_MVE 1
#else
#define RNNC_HAVE_MVE 0
#endif
#if defined(__AVX512F__) && defined(__AVX512BW__)
#define RNNC_HAVE_AVX512 1
#else
#define RNNC_HAVE_AVX512 0
#endif
#if RNNC_HAVE_AVX512 && defined(__AVX512VNNI__)
#define RNNC_HAVE_AVX512VNNI 1
#else
#define RNNC_HAVE_AVX512VNNI 0
#endif

#if RNNC_KERNELS == RNNC_KERNELS_AUTO
#define RNNC_USE_MVE RNNC_HAVE_MVE
#define RNNC_USE_DSP RNNC_HAVE_DSP
#define RNNC_USE_AVX512 RNNC_HAVE_AVX512
#define RNNC_USE_AVX512VNNI RNNC_HAVE_AVX512VNNI
#elif RNNC_KERNELS == RNNC_KERNELS_PORTABLE
#define RNNC_USE_MVE 0
#define RNNC_USE_DSP 0
#define RNNC_USE_AVX512 0
#define RNNC_USE_AVX512VNNI 0
#elif RNNC_KERNELS == RNNC_KERNELS_DSP
#if !RNNC_HAVE_DSP
#error "rnnc: kernels built for the Arm DSP extension, but the compiler flags do not enable it (e.g. -mcpu=cortex-m4)"
#endif
#define RNNC_USE_MVE 0
#define RNNC_USE_DSP 1
#define RNNC_USE_AVX512 0
#define RNNC_USE_AVX512VNNI 0
#elif RNNC_KERNELS == RNNC_KERNELS_MVE
#if !RNNC_HAVE_MVE
#error "rnnc: kernels built for Helium (MVE), but the compiler flags do not enable it (e.g. -mcpu=cortex-m55)"
#endif
#define RNNC_USE_MVE 1
#define RNNC_USE_DSP RNNC_HAVE_DSP
#define RNNC_USE_AVX512 0
#define RNNC_USE_AVX512VNNI 0
#else
#error "rnnc: unknown RNNC_KERNELS value"
#endif

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
