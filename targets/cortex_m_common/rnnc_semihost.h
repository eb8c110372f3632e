/*
 * rnnc_semihost.h - the few ARM semihosting calls rnnc's target testbench needs (QEMU runs with
 * -semihosting-config enable=on,target=native, so files are the host's).
 */
#ifndef RNNC_SEMIHOST_H
#define RNNC_SEMIHOST_H

#include <stdint.h>

int32_t rnnc_sh_open(const char *path, int32_t mode); /* mode 1 = "rb", 5 = "wb"; -1 on error */
int32_t rnnc_sh_read(int32_t handle, void *buf, int32_t len);        /* bytes NOT read */
int32_t rnnc_sh_write(int32_t handle, const void *buf, int32_t len); /* bytes NOT written */
void rnnc_sh_close(int32_t handle);
void rnnc_sh_puts(const char *s);
void rnnc_sh_exit(int32_t status);

#endif /* RNNC_SEMIHOST_H */
