/* SPDX-License-Identifier: Apache-2.0 */
/*
 * export.h - symbol visibility and attributes shared by all public headers.
 * librampart is built with -fvisibility=hidden; only RP_API names are
 * exported, and tests/symbols.sh compares them with lib/rampart.syms.
 */
#ifndef RAMPART_EXPORT_H
#define RAMPART_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define RP_API          __attribute__((visibility("default")))
#define RP_WARN_UNUSED  __attribute__((warn_unused_result))
#define RP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RP_API
#define RP_WARN_UNUSED
#define RP_PRINTF(f, a)
#endif

#endif
