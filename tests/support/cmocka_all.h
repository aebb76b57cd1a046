/* SPDX-License-Identifier: Apache-2.0 */
/* cmocka_all.h - the includes cmocka needs, in the order it needs them. */
#ifndef RAMPART_CMOCKA_ALL_H
#define RAMPART_CMOCKA_ALL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
