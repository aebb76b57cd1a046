/* SPDX-License-Identifier: Apache-2.0 */
/*
 * items.h - ingest items the store tests share (items.c): a telemetry
 * item with every field set, so that a test can check each one comes back.
 */
#ifndef RAMPART_TEST_STORE_ITEMS_H
#define RAMPART_TEST_STORE_ITEMS_H

#include <stdint.h>

#include "store/store.h"

/* Telemetry of serial received at at: seq, ts = at - 1, uptime 100 + seq,
 * cpu 250, memory 1024/512 kB, TCP 22 and 8883, UDP 53, firmware
 * "1.4.SEQ", sha256 64 x 'a', msgs_sent seq, dropped 3, interval 10 s,
 * log_seq 7, log_head 64 x 'b'. */
struct store_in store_test_tel(const char *serial, uint64_t seq, int64_t at);

#endif
