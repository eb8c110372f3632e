/*
 * rnnc_dsp_ext.h - byte-pair extensions of the Arm DSP extension shared by the kernels' DSP paths
 * (header only; empty unless the DSP kernels are built): SXTB16/UXTB16 of the even bytes are the
 * ACLE's __sxtb16/__uxtb16; these take the odd bytes.
 */
#ifndef RNNC_DSP_EXT_H
#define RNNC_DSP_EXT_H

#include "rnnc_common.h"

#if RNNC_USE_DSP
#include <arm_acle.h>
#include <stdint.h>

/* SXTB16/UXTB16 of the odd bytes: the rotate is part of the instruction, which gcc does not
   fold from a separate ror, so it is written out where GNU inline assembly exists */
#if defined(__GNUC__)
static inline uint32_t rnnc_sxtb16_ror8(uint32_t v)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
static inline uint32_t rnnc_uxtb16_ror8(uint32_t v)
{
    uint32_t r;
    __asm__("uxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
#else
static inline uint32_t rnnc_sxtb16_ror8(uint32_t v)
{
    return __sxtb16((v >> 8) | (v << 24));
}
static inline uint32_t rnnc_uxtb16_ror8(uint32_t v)
{
    return __uxtb16((v >> 8) | (v << 24));
}
#endif
#endif

#endif /* RNNC_DSP_EXT_H */
