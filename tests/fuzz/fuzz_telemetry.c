/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_telemetry.c - libFuzzer harness for the four MQTT message decoders
 * (lib/proto/telemetry.c): every input goes to all four; a refusal leaves *out
 * zeroed, and whatever one accepts encodes again (the encoder never
 * refuses what the decoder accepted), decodes to the same struct, and
 * encodes to the same bytes (the canonical form is a fixed point). The
 * nested "update" members of update commands and events go the same way.
 * Under faultsim (tests/faultsim/, jansson's allocations failing too, but
 * for its lexer's buffer: fuzz_jansson.h) a decode may answer RP_E_NOMEM,
 * and only when an allocation failed during it (rp_faultsim_failures());
 * the canonical encoding of what the first decode accepted decodes again
 * unless an allocation failed then, and every other check holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../faultsim/faultsim.h"
#include "fuzz_jansson.h"
#include "rampart/telemetry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void zeroed(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] != 0)
			abort();
	}
}

/* A decode of buf[0..len) by fn into out; RP_E_NOMEM only when an
 * allocation failed during it, a refusal leaves out zeroed. */
#define DECODE(rc, fn, buf, len, out)                                    \
	do {                                                             \
		unsigned long f0_ = rp_faultsim_failures();              \
		fuzz_jansson_arm();                                      \
		(rc) = fn(buf, len, out);                                \
		if ((rc) == RP_E_NOMEM && rp_faultsim_failures() == f0_) \
			abort();                                         \
		if ((rc) != RP_OK)                                       \
			zeroed(out, sizeof *(out));                      \
	} while (0)

/* Checks for one kind: DEC and ENC are its decoder and encoder. */
#define CHECK(type, dec, enc)                                               \
	do {                                                                \
		type a, b;                                                  \
		size_t n1, n2;                                              \
		rp_err rc;                                                  \
		memset(&a, 0x5a, sizeof a);                                 \
		DECODE(rc, dec, data, size, &a);                            \
		if (rc != RP_OK)                                            \
			break;                                              \
		accepted++;                                                 \
		if (enc(&a, buf1, sizeof buf1, &n1) != RP_OK ||             \
		    n1 > RP_MSG_MAX || buf1[n1] != '\0')                    \
			abort();                                            \
		memset(&b, 0x5a, sizeof b);                                 \
		DECODE(rc, dec, buf1, n1, &b);                              \
		if (rc == RP_E_NOMEM)                                       \
			break;                                              \
		if (rc != RP_OK || memcmp(&a, &b, sizeof a) != 0)           \
			abort();                                            \
		if (enc(&b, buf2, sizeof buf2, &n2) != RP_OK || n1 != n2 || \
		    memcmp(buf1, buf2, n1) != 0)                            \
			abort();                                            \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf1[RP_MSG_MAX + 1], buf2[RP_MSG_MAX + 1];
	int accepted = 0;

	CHECK(struct rp_telemetry, rp_telemetry_decode, rp_telemetry_encode);
	CHECK(struct rp_event, rp_event_decode, rp_event_encode);
	CHECK(struct rp_command, rp_command_decode, rp_command_encode);
	CHECK(struct rp_command_result, rp_command_result_decode,
	      rp_command_result_encode);
	/* The kinds' member sets differ: no input is two kinds at once. */
	if (accepted > 1)
		abort();
	return 0;
}
