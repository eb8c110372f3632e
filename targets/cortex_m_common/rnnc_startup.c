/*
 * rnnc_startup.c - minimal Cortex-M startup for rnnc's emulated targets: vector table, reset
 * handler (FPU/MVE enable, .data copy, .bss zero), main(), exit through semihosting so the
 * return value of main() becomes QEMU's exit status. Faults exit with status 99.
 */
#include <stdint.h>

#include "rnnc_semihost.h"

extern uint32_t __data_load__, __data_start__, __data_end__, __bss_start__, __bss_end__, __stack_top__;
extern int main(void);

void rnnc_reset_handler(void);
void rnnc_fault_handler(void);

void rnnc_fault_handler(void)
{
    rnnc_sh_exit(99);
}

void rnnc_reset_handler(void)
{
    uint32_t *src = &__data_load__;
    uint32_t *dst = &__data_start__;
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CPACR: full access to CP10 and CP11 (FPU and MVE) */
    *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20);
    __asm volatile("dsb\n\tisb");
#endif
    while (dst < &__data_end__) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start__; dst < &__bss_end__; dst++) {
        *dst = 0;
    }
    rnnc_sh_exit(main());
}

typedef void (*rnnc_handler_t)(void);

/* The vector table: initial stack pointer, then the handlers (16 words in all). */
typedef struct {
    uint32_t *stack_top;
    rnnc_handler_t handlers[15];
} rnnc_vector_table_t;

__attribute__((section(".vectors"), used)) static const rnnc_vector_table_t rnnc_vectors = {
    &__stack_top__,
    {
        rnnc_reset_handler,
        rnnc_fault_handler, /* NMI */
        rnnc_fault_handler, /* HardFault */
        rnnc_fault_handler, /* MemManage */
        rnnc_fault_handler, /* BusFault */
        rnnc_fault_handler, /* UsageFault */
        rnnc_fault_handler, /* SecureFault */
        0, 0, 0,
        rnnc_fault_handler, /* SVC */
        rnnc_fault_handler, /* DebugMon */
        0,
        rnnc_fault_handler, /* PendSV */
        rnnc_fault_handler, /* SysTick */
    },
};
