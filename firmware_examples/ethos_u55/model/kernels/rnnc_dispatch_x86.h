/*
 * rnnc_dispatch_x86.h - run-time choice of a kernel's x86 path (see rnnc_common.h): the CPU's
 * instruction-set level, read once per kernel by a constructor, and the dispatcher each
 * dispatched kernel defines with RNNC_X86_DISPATCHER. Empty outside dispatching builds.
 *
 * The environment variable RNNC_X86_PATH (portable, avx2, avx-vnni, avx512-vnni) caps the
 * level, to measure or test a lower path on a CPU that offers more; it never raises it, and
 * never picks a level the CPU lacks.
 */
#ifndef RNNC_DISPATCH_X86_H
#define RNNC_DISPATCH_X86_H

#include "rnnc_common.h"

#if RNNC_X86_DISPATCH
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>

/* The levels this CPU and its operating system support, one bit per RNNC_ISA_* level: the
   instructions (CPUID) and the saved register state (XGETBV: YMM for AVX2, opmask and ZMM for
   AVX-512). The levels are not nested: AVX-512 VNNI CPUs without AVX-VNNI exist (Zen 4,
   Ice Lake), so a level is usable only when its own bit is set. */
static inline unsigned rnnc_x86_cpu_levels(void)
{
    unsigned int a, b, c, d, xcr0_lo, xcr0_hi;
    unsigned levels = 1u << RNNC_ISA_PORTABLE;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27)) || !(c & (1u << 28)) || !(c & (1u << 12)) ||
        !(c & (1u << 23))) {
        return levels; /* no OSXSAVE, AVX, FMA or POPCNT (every AVX2 CPU has it; the levels use it) */
    }
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    (void)xcr0_hi;
    if ((xcr0_lo & 0x6u) != 0x6u || !__get_cpuid_count(7, 0, &a, &b, &c, &d) || !((b >> 5) & 1u)) {
        return levels; /* no YMM state or no AVX2 */
    }
    levels |= 1u << RNNC_ISA_AVX2;
    if (RNNC_CC_AVX512VNNI && ((b >> 16) & 1u) && ((b >> 30) & 1u) && ((b >> 31) & 1u) && ((c >> 11) & 1u) &&
        (xcr0_lo & 0xE0u) == 0xE0u) {
        levels |= 1u << RNNC_ISA_AVX512VNNI;
    }
    if (RNNC_CC_AVXVNNI && __get_cpuid_count(7, 1, &a, &b, &c, &d) && ((a >> 4) & 1u)) {
        levels |= 1u << RNNC_ISA_AVXVNNI;
    }
    return levels;
}
static inline const char *rnnc_x86_path_name(int level)
{
    static const char *const names[4] = {"portable", "avx2", "avx-vnni", "avx512-vnni"};
    return names[level < 0 || level > 3 ? 0 : level];
}
/* the level the dispatched kernels use: the highest the CPU supports, or, when RNNC_X86_PATH
   names a level, the highest supported one at or below it (never one the CPU lacks) */
static inline int rnnc_x86_level(void)
{
    const unsigned levels = rnnc_x86_cpu_levels();
    const char *cap = getenv("RNNC_X86_PATH");
    int top = 3, level;
    for (level = 0; cap != NULL && level < 4; level++) {
        if (strcmp(cap, rnnc_x86_path_name(level)) == 0) {
            top = level;
        }
    }
    for (level = top; level > 0 && !(levels & (1u << level)); level--) {
    }
    return level;
}
#if RNNC_CC_AVXVNNI
#define RNNC_X86_AVXVNNI_FN(name) name##_avxvnni
#else
#define RNNC_X86_AVXVNNI_FN(name) name##_avx2
#endif

/* The public kernel `name`: the level's build, chosen once by a constructor (the portable
   build until then, and on a CPU without AVX2). params is the parameter list in parentheses,
   args the call's arguments in parentheses. */
#define RNNC_X86_DISPATCHER(name, params, args)                                                     \
    void name##_portable params;                                                                    \
    void name##_avx2 params;                                                                        \
    void RNNC_X86_AVXVNNI_FN(name) params;                                                          \
    void name##_avx512vnni params;                                                                  \
    static void (*name##_path) params = name##_portable;                                            \
    static void name##_choose(void) __attribute__((constructor));                                   \
    static void name##_choose(void)                                                                 \
    {                                                                                               \
        static void (*const paths[4]) params = {name##_portable, name##_avx2,                      \
                                                RNNC_X86_AVXVNNI_FN(name), name##_avx512vnni};      \
        name##_path = paths[rnnc_x86_level()];                                                      \
    }                                                                                               \
    void name params                                                                                \
    {                                                                                               \
        name##_path args;                                                                           \
    }
#endif /* RNNC_X86_DISPATCH */

#endif /* RNNC_DISPATCH_X86_H */
