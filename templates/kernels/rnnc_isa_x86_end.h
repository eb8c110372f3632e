/*
 * rnnc_isa_x86_end.h - closes what rnnc_isa_x86.h opened (Clang's attribute push; GCC's
 * target pragma lasts to the end of the file by itself).
 */
#if RNNC_ISA_ACTIVE && defined(__clang__)
#pragma clang attribute pop
#endif
