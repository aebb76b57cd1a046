/* SPDX-License-Identifier: Apache-2.0 */
/*
 * items.h - what the store tests build their rows from (items.c): a
 * device, a certificate, an ingest item, and a telemetry item with every
 * field set, so that a test can check each one comes back. The
 * conformance suite, the SQLite engine's tests and store_faultsim
 * (tests/faultsim/) share them.
 */
#ifndef RAMPART_TEST_STORE_ITEMS_H
#define RAMPART_TEST_STORE_ITEMS_H

#include <stdint.h>

#include "store/store.h"

/* A device row: serial, hw_type "tpm2", group; every other field zero
 * (state STORE_DEV_ALLOWLISTED is 0 unless the caller sets another). */
struct store_device store_test_dev(const char *serial, const char *group);

/* A certificate row: serial, subject, kind ("device", "claim", ...),
 * valid from not_before to not_after, not revoked. */
struct store_cert store_test_cert(const char *serial, const char *subject,
                                  const char *kind, int64_t not_before,
                                  int64_t not_after);

/* An ingest item of kind (STORE_IN_*) for serial, received at at, with
 * nothing else set. */
struct store_in store_test_item(int kind, const char *serial, int64_t at);

/* An auth-failure warning event of serial received at at: seq, ts =
 * at - 1, count, detail. */
struct store_in store_test_event(const char *serial, int64_t at, uint64_t seq,
                                 int64_t count, const char *detail);

/* Telemetry of serial received at at: seq, ts = at - 1, uptime 100 + seq,
 * cpu 250, memory 1024/512 kB, TCP 22 and 8883, UDP 53, firmware
 * "1.4.SEQ", sha256 64 x 'a', msgs_sent seq, dropped 3, interval 10 s,
 * log_seq 7, log_head 64 x 'b'. */
struct store_in store_test_tel(const char *serial, uint64_t seq, int64_t at);

#endif
