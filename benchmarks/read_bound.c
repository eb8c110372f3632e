/*
 * read_bound.c - how fast this machine reads N bytes of weights, once per step, step after step.
 *
 * Every step of a recurrent layer reads all of its weights, so the time to read them (and do
 * nothing else) is a lower bound for any step: run_all.py divides onnxruntime's time per step by
 * it to say how large a speed-up the memory of this machine allows at all. The buffer is read
 * front to back each pass, as the packed weights are, with the widest loads the compiler finds
 * for -O3 -march=native (eight independent XOR chains it vectorizes); the buffer stays resident
 * wherever it fits (L1, L2, L3), as the weights do between steps.
 *
 * Build: cc -O3 -march=native read_bound.c -o read_bound
 * Usage: read_bound BYTES   prints nanoseconds per pass (median of REPEATS timings)
 */
#define _POSIX_C_SOURCE 200112L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

#define REPEATS 15

/* one pass: XOR of every 64-bit word, eight chains so that no chain's latency limits the loads */
static uint64_t read_pass(const uint64_t *w, size_t words)
{
    uint64_t a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i;
    int k;
    for (i = 0; i + 8 <= words; i += 8) {
        for (k = 0; k < 8; k++) {
            a[k] ^= w[i + k];
        }
    }
    return a[0] ^ a[1] ^ a[2] ^ a[3] ^ a[4] ^ a[5] ^ a[6] ^ a[7];
}

int main(int argc, char **argv)
{
    size_t bytes = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 0;
    size_t words = (bytes + 63) / 64 * 8; /* whole 64-byte lines */
    double runs[REPEATS];
    uint64_t sink = 0;
    void *mem = NULL;
    long passes, p;
    int r;
    if (words == 0 || posix_memalign(&mem, 64, words * 8) != 0) {
        fprintf(stderr, "usage: read_bound BYTES (BYTES > 0)\n");
        return 2;
    }
    memset(mem, 0x5a, words * 8);
    passes = (long)(2e7 / (double)(words * 8)) + 1; /* about 20 MB read per timing */
    for (p = 0; p < passes; p++) {              /* warm: the buffer where it stays resident */
        sink ^= read_pass((const uint64_t *)mem, words);
    }
    for (r = 0; r < REPEATS; r++) {
        double t0 = now_ns();
        for (p = 0; p < passes; p++) {
            sink ^= read_pass((const uint64_t *)mem, words);
            ((volatile uint64_t *)mem)[p % words] ^= 0; /* keeps the passes from being merged */
        }
        runs[r] = (now_ns() - t0) / (double)passes;
    }
    printf("%.1f\n", median_ns(runs, REPEATS));
    free(mem);
    return sink == 1 ? 3 : 0;
}
