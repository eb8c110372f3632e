/*
 * main.c - stream audio feature frames through an rnnc model on a Cortex-M core, one frame
 * per vowels_step() call, and print the running speaker decision over semihosting.
 */
#include <stdint.h>

#include "frames.h"
#include "rnnc_semihost.h"
#include "vowels.h"

static vowels_state_t state; /* all the model's memory between frames: caller-owned */

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

int main(void)
{
    int32_t t, k;
    vowels_output_t logits[VOWELS_OUTPUT_SIZE];
    vowels_reset(&state);
    for (t = 0; t < N_FRAMES; t++) {
        int32_t best = 0;
        vowels_step(&state, frames[t], logits);
        for (k = 1; k < VOWELS_OUTPUT_SIZE; k++) {
            best = logits[k] > logits[best] ? k : best;
        }
        rnnc_sh_puts("frame ");
        print_int(t);
        rnnc_sh_puts(" speaker ");
        print_int(best + 1);
        rnnc_sh_puts(" logits");
        for (k = 0; k < VOWELS_OUTPUT_SIZE; k++) {
            rnnc_sh_puts(" ");
            print_int(logits[k]);
        }
        rnnc_sh_puts("\n");
    }
    return 0;
}
