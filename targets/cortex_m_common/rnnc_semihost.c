/*
 * rnnc_semihost.c - ARM semihosting through BKPT 0xAB (operation in r0, parameter block in r1).
 */
#include "rnnc_semihost.h"

static int32_t rnnc_sh_call(int32_t op, const void *arg)
{
    register int32_t r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = arg;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static int32_t rnnc_strlen(const char *s)
{
    int32_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

int32_t rnnc_sh_open(const char *path, int32_t mode)
{
    const uint32_t args[3] = {(uint32_t)path, (uint32_t)mode, (uint32_t)rnnc_strlen(path)};
    return rnnc_sh_call(0x01, args);
}

int32_t rnnc_sh_read(int32_t handle, void *buf, int32_t len)
{
    const uint32_t args[3] = {(uint32_t)handle, (uint32_t)buf, (uint32_t)len};
    return rnnc_sh_call(0x06, args);
}

int32_t rnnc_sh_write(int32_t handle, const void *buf, int32_t len)
{
    const uint32_t args[3] = {(uint32_t)handle, (uint32_t)buf, (uint32_t)len};
    return rnnc_sh_call(0x05, args);
}

void rnnc_sh_close(int32_t handle)
{
    const uint32_t args[1] = {(uint32_t)handle};
    (void)rnnc_sh_call(0x02, args);
}

void rnnc_sh_puts(const char *s)
{
    (void)rnnc_sh_call(0x04, s);
}

void rnnc_sh_exit(int32_t status)
{
    /* SYS_EXIT_EXTENDED: ADP_Stopped_ApplicationExit with the status as exit code */
    const uint32_t args[2] = {0x20026u, (uint32_t)status};
    (void)rnnc_sh_call(0x20, args);
    for (;;) {
    }
}
