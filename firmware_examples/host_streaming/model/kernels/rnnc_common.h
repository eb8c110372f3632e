/*
 * rnnc_common.h - small definitions shared by every rnnc kernel, and which code paths the
 * kernels are built with. Identical for every model a given rnnc version generates, so one
 * copy of kernels/ serves a firmware that links several models.
 *
 * Every kernel with an optimized path keeps the portable C path beside it, inside the same
 * function; which one is built follows RNNC_KERNELS and what the compiler's target flags enable:
 *   RNNC_KERNELS_AUTO      the default. Arm: the best path the flags allow (MVE > DSP >
 *                          portable on Cortex-M, SDOT > NEON on Arm64). x86-64 with GCC or
 *                          Clang: every x86 path is compiled and the best one the running
 *                          CPU offers is chosen once, at program start (run-time dispatch,
 *                          below); with -DRNNC_X86_DISPATCH=0 the best path the flags allow.
 *   RNNC_KERNELS_PORTABLE  plain C99 everywhere
 *   RNNC_KERNELS_DSP       the Arm DSP-extension paths (SMLAD, SXTB16, ...); an error if the
 *                          flags do not enable the DSP extension
 *   RNNC_KERNELS_MVE       the Helium (MVE) paths, DSP paths where a kernel has no MVE path;
 *                          an error if the flags do not enable MVE
 *   RNNC_KERNELS_NEON      Arm64 NEON paths without SDOT (to compare with them); an error if
 *                          the flags do not target Arm64
 * All paths compute the same numbers bit for bit, so the choice is one of speed and size and
 * is made for a whole build: -DRNNC_KERNELS=RNNC_KERNELS_PORTABLE etc. (rnnc compile --kernels
 * records it; rnnc's builds and the generated Makefile pass it).
 *
 * x86-64 run-time dispatch: a kernel with x86 paths is compiled once per instruction-set level
 * (RNNC_ISA_*): its own file gives the portable path, named <kernel>_portable, and the public
 * <kernel>() that calls through a pointer set once by a constructor (rnnc_dispatch_x86.h);
 * the files <kernel>_avx2.c, _avxvnni.c and _avx512vnni.c include the same source again for
 * their level (RNNC_ISA_BUILD, set by rnnc_isa_x86.h). RNNC_ISA_FN(name) gives the name of
 * the function the current compilation defines.
 */
#ifndef RNNC_COMMON_H
#define RNNC_COMMON_H

#include <stdint.h>

#define RNNC_KERNELS_AUTO 0
#define RNNC_KERNELS_PORTABLE 1
#define RNNC_KERNELS_DSP 2
#define RNNC_KERNELS_MVE 3
#define RNNC_KERNELS_NEON 4

#ifndef RNNC_KERNELS
#define RNNC_KERNELS RNNC_KERNELS_AUTO
#endif

/* the x86 instruction-set levels of run-time dispatch, each including the ones below */
#define RNNC_ISA_PORTABLE 0
#define RNNC_ISA_AVX2 1       /* AVX2 + FMA (Haswell, Zen 1 and later) */
#define RNNC_ISA_AVXVNNI 2    /* + 256-bit VPDPBUSD (Alder Lake and later client cores) */
#define RNNC_ISA_AVX512VNNI 3 /* AVX-512 F/BW/VL + VNNI (Cascade Lake, Ice Lake, Zen 4 and later) */

#ifndef RNNC_X86_DISPATCH
#if RNNC_KERNELS == RNNC_KERNELS_AUTO && defined(__x86_64__) && defined(__GNUC__)
#define RNNC_X86_DISPATCH 1
#else
#define RNNC_X86_DISPATCH 0
#endif
#endif

/* which levels this compiler can build (the AVX-VNNI target option came with GCC 11, Clang 12) */
#if defined(__clang__)
#define RNNC_CC_AVXVNNI (__clang_major__ >= 12)
#define RNNC_CC_AVX512VNNI (__clang_major__ >= 6)
#elif defined(__GNUC__)
#define RNNC_CC_AVXVNNI (__GNUC__ >= 11)
#define RNNC_CC_AVX512VNNI (__GNUC__ >= 8)
#else
#define RNNC_CC_AVXVNNI 0
#define RNNC_CC_AVX512VNNI 0
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
#if defined(__aarch64__) && defined(__ARM_NEON)
#define RNNC_HAVE_NEON 1
#else
#define RNNC_HAVE_NEON 0
#endif
#if RNNC_HAVE_NEON && defined(__ARM_FEATURE_DOTPROD)
#define RNNC_HAVE_SDOT 1
#else
#define RNNC_HAVE_SDOT 0
#endif
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define RNNC_HAVE_AVX512 1
#else
#define RNNC_HAVE_AVX512 0
#endif
#if RNNC_HAVE_AVX512 && defined(__AVX512VNNI__)
#define RNNC_HAVE_AVX512VNNI 1
#else
#define RNNC_HAVE_AVX512VNNI 0
#endif
#if defined(__AVX2__) && defined(__FMA__)
#define RNNC_HAVE_AVX2 1
#else
#define RNNC_HAVE_AVX2 0
#endif
#if RNNC_HAVE_AVX2 && defined(__AVXVNNI__)
#define RNNC_HAVE_AVXVNNI 1
#else
#define RNNC_HAVE_AVXVNNI 0
#endif

#if defined(RNNC_ISA_BUILD)
/* one level of a run-time dispatched kernel (the <kernel>_<level>.c files) */
#define RNNC_USE_MVE 0
#define RNNC_USE_DSP 0
#define RNNC_USE_NEON 0
#define RNNC_USE_SDOT 0
#define RNNC_USE_AVX2 (RNNC_ISA_BUILD >= RNNC_ISA_AVX2)
#define RNNC_USE_AVXVNNI (RNNC_ISA_BUILD == RNNC_ISA_AVXVNNI)
#define RNNC_USE_AVX512 (RNNC_ISA_BUILD == RNNC_ISA_AVX512VNNI)
#define RNNC_USE_AVX512VNNI (RNNC_ISA_BUILD == RNNC_ISA_AVX512VNNI)
#if RNNC_ISA_BUILD == RNNC_ISA_AVX2
#define RNNC_ISA_SUFFIX _avx2
#elif RNNC_ISA_BUILD == RNNC_ISA_AVXVNNI
#define RNNC_ISA_SUFFIX _avxvnni
#else
#define RNNC_ISA_SUFFIX _avx512vnni
#endif
#elif RNNC_X86_DISPATCH
/* the kernel's own file in a dispatching build: the portable path and the dispatcher */
#define RNNC_USE_MVE 0
#define RNNC_USE_DSP 0
#define RNNC_USE_NEON 0
#define RNNC_USE_SDOT 0
#define RNNC_USE_AVX512 0
#define RNNC_USE_AVX512VNNI 0
#define RNNC_USE_AVX2 0
#define RNNC_USE_AVXVNNI 0
#define RNNC_ISA_SUFFIX _portable
#elif RNNC_KERNELS == RNNC_KERNELS_AUTO
#define RNNC_USE_MVE RNNC_HAVE_MVE
#define RNNC_USE_DSP RNNC_HAVE_DSP
#define RNNC_USE_NEON RNNC_HAVE_NEON
#define RNNC_USE_SDOT RNNC_HAVE_SDOT
#define RNNC_USE_AVX512 RNNC_HAVE_AVX512
#define RNNC_USE_AVX512VNNI RNNC_HAVE_AVX512VNNI
#define RNNC_USE_AVX2 RNNC_HAVE_AVX2
#define RNNC_USE_AVXVNNI RNNC_HAVE_AVXVNNI
#elif RNNC_KERNELS == RNNC_KERNELS_PORTABLE
#define RNNC_USE_MVE 0
#define RNNC_USE_DSP 0
#define RNNC_USE_NEON 0
#define RNNC_USE_SDOT 0
#define RNNC_USE_AVX512 0
#define RNNC_USE_AVX512VNNI 0
#define RNNC_USE_AVX2 0
#define RNNC_USE_AVXVNNI 0
#elif RNNC_KERNELS == RNNC_KERNELS_DSP
#if !RNNC_HAVE_DSP
#error "rnnc: kernels built for the Arm DSP extension, but the compiler flags do not enable it (e.g. -mcpu=cortex-m4)"
#endif
#define RNNC_USE_MVE 0
#define RNNC_USE_DSP 1
#define RNNC_USE_NEON 0
#define RNNC_USE_SDOT 0
#define RNNC_USE_AVX512 0
#define RNNC_USE_AVX512VNNI 0
#define RNNC_USE_AVX2 0
#define RNNC_USE_AVXVNNI 0
#elif RNNC_KERNELS == RNNC_KERNELS_MVE
#if !RNNC_HAVE_MVE
#error "rnnc: kernels built for Helium (MVE), but the compiler flags do not enable it (e.g. -mcpu=cortex-m55)"
#endif
#define RNNC_USE_MVE 1
#define RNNC_USE_DSP RNNC_HAVE_DSP
#define RNNC_USE_NEON 0
#define RNNC_USE_SDOT 0
#define RNNC_USE_AVX512 0
#define RNNC_USE_AVX512VNNI 0
#define RNNC_USE_AVX2 0
#define RNNC_USE_AVXVNNI 0
#elif RNNC_KERNELS == RNNC_KERNELS_NEON
#if !RNNC_HAVE_NEON
#error "rnnc: kernels built for Arm64 NEON, but the compiler does not target Arm64 (aarch64-linux-gnu-gcc)"
#endif
#define RNNC_USE_MVE 0
#define RNNC_USE_DSP 0
#define RNNC_USE_NEON 1
#define RNNC_USE_SDOT 0
#define RNNC_USE_AVX512 0
#define RNNC_USE_AVX512VNNI 0
#define RNNC_USE_AVX2 0
#define RNNC_USE_AVXVNNI 0
#else
#error "rnnc: unknown RNNC_KERNELS value"
#endif

/* the path a build without run-time dispatch uses, by name */
#if RNNC_USE_MVE
#define RNNC_PATH_NAME "mve"
#elif RNNC_USE_DSP
#define RNNC_PATH_NAME "dsp"
#elif RNNC_USE_SDOT
#define RNNC_PATH_NAME "neon-sdot"
#elif RNNC_USE_NEON
#define RNNC_PATH_NAME "neon"
#elif RNNC_USE_AVX512VNNI
#define RNNC_PATH_NAME "avx512-vnni"
#elif RNNC_USE_AVXVNNI
#define RNNC_PATH_NAME "avx-vnni"
#elif RNNC_USE_AVX2
#define RNNC_PATH_NAME "avx2"
#else
#define RNNC_PATH_NAME "portable"
#endif

#ifndef RNNC_ISA_SUFFIX
#define RNNC_ISA_SUFFIX
#endif
#define RNNC_PASTE_(a, b) a##b
#define RNNC_PASTE(a, b) RNNC_PASTE_(a, b)
/* the name a dispatched kernel's function has in this compilation (see above) */
#define RNNC_ISA_FN(name) RNNC_PASTE(name, RNNC_ISA_SUFFIX)

#if defined(__GNUC__) || defined(__clang__)
#define RNNC_ALIGN(n) __attribute__((aligned(n)))
/* a vector helper of a step loop: inlined whatever the compiler's size heuristics say (called
   out of line it passes its vectors through memory) */
#define RNNC_VECTOR_INLINE static inline __attribute__((always_inline))
#else
#define RNNC_ALIGN(n)
#define RNNC_VECTOR_INLINE static inline
#endif

#define RNNC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define RNNC_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Clamp a 32-bit value into [lo, hi]. */
static inline int32_t rnnc_clamp_s32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

#endif /* RNNC_COMMON_H */
