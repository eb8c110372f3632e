/*
 * rnnc_isa_x86.h - opens one instruction-set level's build of a dispatched kernel (the
 * <kernel>_<level>.c files, see rnnc_common.h): RNNC_ISA_BUILD names the level, and every
 * function compiled after this header may use that level's instructions (#pragma GCC target,
 * or Clang's attribute push, closed by rnnc_isa_x86_end.h). RNNC_ISA_ACTIVE is 0 where the
 * level is not built: outside x86-64 GCC/Clang dispatching builds, or a compiler without it.
 */
#ifndef RNNC_ISA_X86_H
#define RNNC_ISA_X86_H

#include "rnnc_common.h"

#if RNNC_X86_DISPATCH && (RNNC_ISA_BUILD != RNNC_ISA_AVXVNNI || RNNC_CC_AVXVNNI) && \
    (RNNC_ISA_BUILD != RNNC_ISA_AVX512VNNI || RNNC_CC_AVX512VNNI)
#define RNNC_ISA_ACTIVE 1
/* the system headers first, so that only rnnc's own functions take the target options */
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#if RNNC_ISA_BUILD == RNNC_ISA_AVX2
#pragma clang attribute push(__attribute__((target("avx2,fma,popcnt"))), apply_to = function)
#elif RNNC_ISA_BUILD == RNNC_ISA_AVXVNNI
#pragma clang attribute push(__attribute__((target("avx2,fma,popcnt,avxvnni"))), apply_to = function)
#else
#pragma clang attribute push(__attribute__((target("avx2,fma,popcnt,avx512f,avx512bw,avx512vl,avx512vnni"))), apply_to = function)
#endif
#else
#if RNNC_ISA_BUILD == RNNC_ISA_AVX2
#pragma GCC target("avx2,fma,popcnt")
#elif RNNC_ISA_BUILD == RNNC_ISA_AVXVNNI
#pragma GCC target("avx2,fma,popcnt,avxvnni")
#else
#pragma GCC target("avx2,fma,popcnt,avx512f,avx512bw,avx512vl,avx512vnni")
#endif
#endif
#else
#define RNNC_ISA_ACTIVE 0
#endif

#endif /* RNNC_ISA_X86_H */
