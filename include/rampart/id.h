/* SPDX-License-Identifier: Apache-2.0 */
/*
 * id.h - THE id charset rule, the one place it is written: a device id (=
 * certificate CN), a group name, a hardware type, a command id. 1..64 of
 * A-Z a-z 0-9 . _ - (ASCII only, no locale). Every part checks ids through
 * rp_id_valid; the device-id rule on top of it (not reserved) is
 * rp_broker_device_id_check (rampart/broker.h). Freestanding (lib/core).
 */
#ifndef RAMPART_ID_H
#define RAMPART_ID_H

#include <stdbool.h>
#include <stddef.h>

#include "rampart/export.h"

/* The longest id, in bytes (without a NUL). */
#define RP_ID_MAX 64

/* True if c is one of A-Z a-z 0-9 . _ - */
RP_API bool rp_id_char(int c);

/* True if s[0..len) is an id: 1..RP_ID_MAX bytes, each rp_id_char. */
RP_API bool rp_id_valid(const char *s, size_t len);

#endif
