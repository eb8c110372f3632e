/*
 * A recording test double of the Ethos-U driver for host tests of rnnc's NPU glue.
 *
 * ethosu_invoke_v3() checks what the driver itself checks (payload starts with "COP1", its size
 * is a multiple of 4, payload and every base address 16-byte aligned, reserve/release paired),
 * records the payload, the regions and their sizes, and stands in for the NPU: it saves the
 * arena as the glue prepared it and fills it from a file the test wrote (the simulator's
 * output and final state placed at Vela's offsets). main() drives one <prefix>_npu_run call:
 *
 *   double ARENA_IN ARENA_OUT INPUT.bin STATE.bin RECORD.txt
 *
 * reads INPUT.bin (the input) and STATE.bin (the state struct), runs the glue, and writes
 * RECORD.txt (per invocation the payload checksum, the regions and their sizes; then the
 * return code), ARENA_IN.k (the arena at invocation k, from 0), the output to stdout as raw
 * bytes, and the final state struct to STATE.bin. Invocation k reads ARENA_OUT.k.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ethosu_driver.h"
#include MODEL_NPU_HEADER

struct ethosu_driver { int reserved; };
static struct ethosu_driver the_driver;
static int reserved;
static FILE *record;
static const char *arena_in_path, *arena_out_path;
static int invocations;

struct ethosu_driver *ethosu_reserve_driver(void)
{
    if (reserved) {
        fprintf(stderr, "double: driver reserved twice\n");
        exit(10);
    }
    reserved = 1;
    return &the_driver;
}

void ethosu_release_driver(struct ethosu_driver *drv)
{
    if (drv != &the_driver || !reserved) {
        fprintf(stderr, "double: release without reserve\n");
        exit(11);
    }
    reserved = 0;
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    return h;
}

int ethosu_invoke_v3(struct ethosu_driver *drv, const void *custom_data_ptr, const int custom_data_size,
                     uint64_t *const base_addr, const size_t *base_addr_size, const int num_base_addr,
                     void *user_arg)
{
    int i;
    FILE *f;
    uint8_t *arena;
    size_t got;
    char path[4096];
    (void)user_arg;
    if (drv != &the_driver || !reserved) {
        fprintf(stderr, "double: invoke without a reserved driver\n");
        exit(12);
    }
    if (custom_data_size <= 0 || custom_data_size % 4 != 0 || ((uintptr_t)custom_data_ptr & 15u) != 0 ||
        memcmp(custom_data_ptr, "COP1", 4) != 0) {
        fprintf(stderr, "double: bad payload\n");
        exit(13);
    }
    fprintf(record, "payload %d %08lx\n", custom_data_size,
            (unsigned long)fnv1a((const uint8_t *)custom_data_ptr, (size_t)custom_data_size));
    fprintf(record, "regions %d\n", num_base_addr);
    for (i = 0; i < num_base_addr; i++) {
        if ((base_addr[i] & 15u) != 0) {
            fprintf(stderr, "double: region %d not 16-byte aligned\n", i);
            exit(14);
        }
        fprintf(record, "region %d %lu\n", i, (unsigned long)base_addr_size[i]);
    }
    arena = (uint8_t *)(uintptr_t)base_addr[1];
    snprintf(path, sizeof path, "%s.%d", arena_in_path, invocations);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(arena, 1, base_addr_size[1], f) != base_addr_size[1]) {
        exit(15);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s.%d", arena_out_path, invocations);
    invocations++;
    f = fopen(path, "rb");
    if (f == NULL) {
        exit(16);
    }
    got = fread(arena, 1, base_addr_size[1], f);
    fclose(f);
    if (got != base_addr_size[1]) {
        exit(17);
    }
    return 0;
}

static void read_file(const char *path, void *dst, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL || fread(dst, 1, n, f) != n) {
        fprintf(stderr, "double: cannot read %s\n", path);
        exit(18);
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    static MODEL_INPUT_T input[MODEL_NPU_STEPS * MODEL_INPUT_SIZE];
    static MODEL_OUTPUT_T output[MODEL_NPU_OUTPUT_STEPS * MODEL_OUTPUT_SIZE];
    static MODEL_STATE_T state;
    FILE *f;
    int rc;
    if (argc != 6) {
        return 2;
    }
    arena_in_path = argv[1];
    arena_out_path = argv[2];
    read_file(argv[3], input, sizeof input);
    read_file(argv[4], &state, sizeof state);
    record = fopen(argv[5], "w");
    if (record == NULL) {
        return 3;
    }
    rc = MODEL_NPU_RUN(&state, input, output);
    fprintf(record, "rc %d\n", rc);
    fclose(record);
    if (reserved) {
        fprintf(stderr, "double: driver not released\n");
        return 4;
    }
    fwrite(output, 1, sizeof output, stdout);
    f = fopen(argv[4], "wb");
    if (f == NULL || fwrite(&state, 1, sizeof state, f) != sizeof state) {
        return 5;
    }
    fclose(f);
    return rc;
}
