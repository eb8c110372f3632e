/*
 * rnnc_fc_s8_s16_b16x4_signed_avx2.c - rnnc_fc_s8_s16_b16x4_signed.c compiled once more with AVX2 and FMA
 * instructions, as rnnc_fc_s8_s16_b16x4_signed_avx2(): one level of the kernel's x86 run-time
 * dispatch (rnnc_common.h). Only a declaration elsewhere (other CPUs, other compilers, builds
 * that choose a path at compile time).
 */
#define RNNC_ISA_BUILD RNNC_ISA_AVX2
#include "rnnc_isa_x86.h"
#if RNNC_ISA_ACTIVE
#include "rnnc_fc_s8_s16_b16x4_signed.c"
#include "rnnc_isa_x86_end.h"
#else
typedef int rnnc_fc_s8_s16_b16x4_signed_avx2_not_built_t;
#endif
