/*
 * The Ethos-U core driver interface as rnnc's NPU glue uses it: our own declaration of the
 * three calls (prototypes as in the driver's include/ethosu_driver.h, v0.16 and v1.x), for
 * host tests that link the recording double in ethosu_double.c instead of the driver.
 * Firmware builds use the driver's own header.
 */
#ifndef ETHOSU_DRIVER_H
#define ETHOSU_DRIVER_H

#include <stddef.h>
#include <stdint.h>

struct ethosu_driver;

struct ethosu_driver *ethosu_reserve_driver(void);
void ethosu_release_driver(struct ethosu_driver *drv);
int ethosu_invoke_v3(struct ethosu_driver *drv, const void *custom_data_ptr, const int custom_data_size,
                     uint64_t *const base_addr, const size_t *base_addr_size, const int num_base_addr,
                     void *user_arg);

#endif /* ETHOSU_DRIVER_H */
