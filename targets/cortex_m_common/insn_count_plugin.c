/*
 * insn_count_plugin.c - a QEMU TCG plugin (plugin API version 1, QEMU 7.x) that counts the
 * guest instructions executed inside given address ranges: the model's functions.
 *
 * Arguments: ranges=FILE (lines "start end", hex, end exclusive), out=FILE (count written
 * at exit). Built by rnnc at first use with the host C compiler; qemu-plugin.h is not shipped
 * by Debian, so the few API declarations used are written out below.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAX_RANGES 4096
static uint64_t range_lo[MAX_RANGES], range_hi[MAX_RANGES];
static int n_ranges;
static uint64_t count;
static char out_path[1024];

static int in_model(uint64_t pc)
{
    int i;
    for (i = 0; i < n_ranges; i++) {
        if (pc >= range_lo[i] && pc < range_hi[i]) {
            return 1;
        }
    }
    return 0;
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t i, n = qemu_plugin_tb_n_insns(tb);
    (void)id;
    for (i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        if (in_model(qemu_plugin_insn_vaddr(insn))) {
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &count, 1);
        }
    }
}

static void write_count(qemu_plugin_id_t id, void *userdata)
{
    FILE *f = fopen(out_path, "w");
    (void)id;
    (void)userdata;
    if (f) {
        fprintf(f, "%" PRIu64 "\n", count);
        fclose(f);
    }
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv)
{
    int i;
    (void)info;
    for (i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
        } else if (strncmp(argv[i], "ranges=", 7) == 0) {
            FILE *f = fopen(argv[i] + 7, "r");
            if (!f) {
                return -1;
            }
            while (n_ranges < MAX_RANGES &&
                   fscanf(f, "%" SCNx64 " %" SCNx64, &range_lo[n_ranges], &range_hi[n_ranges]) == 2) {
                n_ranges++;
            }
            fclose(f);
        }
    }
    if (!out_path[0]) {
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
    qemu_plugin_register_atexit_cb(id, write_count, NULL);
    return 0;
}
