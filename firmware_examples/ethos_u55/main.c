/*
 * main.c - stream audio feature frames through an rnnc model on a Cortex-M55 + Ethos-U55
 * system (Corstone-300, e.g. the MPS3 AN547 FPGA image or Arm's Corstone-300 FVP): each frame
 * runs once on the NPU (vowels_npu_run, Vela's command stream) and once on the Cortex-M55
 * (vowels_step, rnnc's Helium kernels), each with its own caller-owned state, and the program
 * prints both decisions and whether the NPU's logits equal the CPU's bit for bit.
 *
 * Exit status: 0 when every frame matched, 1 when the NPU differed, 2 when the driver failed.
 */
#include <stdint.h>

#include "ethosu_driver.h"
#include "frames.h"
#include "rnnc_semihost.h"
#include "vowels.h"
#include "vowels_npu.h"

#ifndef ETHOSU_BASE_ADDRESS
#define ETHOSU_BASE_ADDRESS 0x48102000u /* Corstone-300: the Ethos-U55 register block */
#endif
#ifndef ETHOSU_IRQ
#define ETHOSU_IRQ 56                   /* Corstone-300: the Ethos-U55 interrupt */
#endif

static struct ethosu_driver npu;
static vowels_state_t npu_state, cpu_state; /* the model's memory between frames, one per path */

/* A vector table in RAM with the NPU's interrupt: the system entries are copied from the
 * table the core started with (rnnc_startup.c), the driver's handler goes to IRQ ETHOSU_IRQ. */
#define N_VECTORS 128
static uint32_t ram_vectors[N_VECTORS] __attribute__((aligned(512)));

static void npu_irq_handler(void)
{
    ethosu_irq_handler(&npu);
}

static void install_npu_interrupt(void)
{
    volatile uint32_t *const vtor = (volatile uint32_t *)0xE000ED08u;
    volatile uint32_t *const nvic_iser = (volatile uint32_t *)0xE000E100u;
    const uint32_t *rom = (const uint32_t *)(uintptr_t)*vtor;
    int32_t i;
    for (i = 0; i < N_VECTORS; i++) {
        ram_vectors[i] = i < 16 ? rom[i] : rom[3]; /* unexpected interrupts: the fault handler */
    }
    ram_vectors[16 + ETHOSU_IRQ] = (uint32_t)(uintptr_t)npu_irq_handler;
    *vtor = (uint32_t)(uintptr_t)ram_vectors;
    nvic_iser[ETHOSU_IRQ / 32] = 1u << (ETHOSU_IRQ % 32);
}

static void print_int(int32_t v)
{
    char buf[12];
    int32_t i = 11;
    uint32_t u = v < 0 ? (uint32_t)(-(v + 1)) + 1u : (uint32_t)v;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + u % 10u);
        u /= 10u;
    } while (u && i > 1);
    if (v < 0) {
        buf[--i] = '-';
    }
    rnnc_sh_puts(buf + i);
}

static int32_t argmax(const vowels_output_t *v)
{
    int32_t k, best = 0;
    for (k = 1; k < VOWELS_OUTPUT_SIZE; k++) {
        best = v[k] > v[best] ? k : best;
    }
    return best;
}

int main(void)
{
    int32_t t, k, differ = 0;
    vowels_output_t on_npu[VOWELS_NPU_OUTPUT_STEPS * VOWELS_OUTPUT_SIZE];
    vowels_output_t on_cpu[VOWELS_OUTPUT_SIZE];

    install_npu_interrupt();
    if (ethosu_init(&npu, (void *)(uintptr_t)ETHOSU_BASE_ADDRESS, 0, 0, 1, 1) != 0) {
        rnnc_sh_puts("ethosu_init failed\n");
        return 2;
    }
    vowels_reset(&npu_state);
    vowels_reset(&cpu_state);
    for (t = 0; t < N_FRAMES; t++) {
        int rc = vowels_npu_run(&npu_state, frames[t], on_npu); /* VOWELS_NPU_STEPS is 1 */
        if (rc != 0) {
            rnnc_sh_puts("vowels_npu_run failed: ");
            print_int(rc);
            rnnc_sh_puts("\n");
            return 2;
        }
        vowels_step(&cpu_state, frames[t], on_cpu);
        rnnc_sh_puts("frame ");
        print_int(t);
        rnnc_sh_puts(" speaker npu ");
        print_int(argmax(on_npu) + 1);
        rnnc_sh_puts(" cpu ");
        print_int(argmax(on_cpu) + 1);
        rnnc_sh_puts(" logits");
        for (k = 0; k < VOWELS_OUTPUT_SIZE; k++) {
            rnnc_sh_puts(" ");
            print_int(on_npu[k]);
            differ += on_npu[k] != on_cpu[k];
        }
        rnnc_sh_puts("\n");
    }
    rnnc_sh_puts(differ ? "NPU and CPU differ\n" : "NPU equals CPU bit for bit\n");
    return differ ? 1 : 0;
}
