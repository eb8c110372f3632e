/*
 * main.c - the same streaming loop on the host: frames in, one vowels_step() per frame,
 * running speaker decision printed with stdio. Build and run: make run
 */
#include <stdint.h>
#include <stdio.h>

#include "frames.h"
#include "vowels.h"

int main(void)
{
    static vowels_state_t state; /* caller-owned model state */
    vowels_output_t logits[VOWELS_OUTPUT_SIZE];
    int t, k;
    vowels_reset(&state);
    for (t = 0; t < N_FRAMES; t++) {
        int best = 0;
        vowels_step(&state, frames[t], logits);
        for (k = 1; k < VOWELS_OUTPUT_SIZE; k++) {
            best = logits[k] > logits[best] ? k : best;
        }
        printf("frame %d speaker %d logits", t, best + 1);
        for (k = 0; k < VOWELS_OUTPUT_SIZE; k++) {
            printf(" %d", (int)logits[k]);
        }
        printf("\n");
    }
    return 0;
}
