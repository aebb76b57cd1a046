/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mqloop.h - a libmosquitto client driven by a libevent loop instead of
 * libmosquitto's own thread or blocking loop: its socket is watched for
 * reading, for writing while libmosquitto has something to send (or a TLS
 * handshake step wants to write), and mosquitto_loop_misc() runs on a
 * timer for keepalive. One loop can drive thousands of clients (the
 * simulator) or one (rampart-agent, rampartd's service client).
 *
 * The owner keeps its struct mosquitto (its callbacks, options, TLS
 * context); mqloop only moves bytes. When the connection is lost, on_lost
 * is called once with the libmosquitto error; the owner decides when to
 * reconnect (rp_mqloop_connect again, e.g. after a backoff).
 */
#ifndef RAMPART_MQLOOP_H
#define RAMPART_MQLOOP_H

#include <stdbool.h>
#include <stddef.h>

#include "rampart/err.h"
#include "rampart/export.h"

struct event_base;
struct mosquitto;

typedef struct rp_mqloop rp_mqloop;

/*
 * A libmosquitto client, mosquitto_new(id, clean, obj), with libmosquitto
 * started first (mosquitto_lib_init, once per process, thread-safe): the
 * one way librampart's MQTT code makes a client, and the way for a
 * program that drives its own client with rp_mqloop. NULL when
 * libmosquitto cannot start or refuses (errno: ENOMEM, EINVAL). The
 * caller owns it: mosquitto_destroy().
 */
RP_API struct mosquitto *rp_mqloop_client_new(const char *id, bool clean,
                                              void *obj);

/* mosq_rc: the MOSQ_ERR_* that ended the connection. */
typedef void (*rp_mqloop_lost_cb)(void *arg, int mosq_rc);

/*
 * A driver for m on base. Nothing happens until rp_mqloop_connect().
 * *out is owned by the caller: rp_mqloop_free() (m stays the caller's).
 */
RP_API rp_err rp_mqloop_new(struct event_base *base, struct mosquitto *m,
                            rp_mqloop_lost_cb on_lost, void *arg,
                            rp_mqloop **out) RP_WARN_UNUSED;

/*
 * Start a non-blocking connect (first time: mosquitto_connect_async; then
 * mosquitto_reconnect_async) to host:port (a numeric address: no blocking
 * name lookup) and watch the socket. RP_E_MQTT when libmosquitto refuses
 * at once (on_lost is not called then).
 */
RP_API rp_err rp_mqloop_connect(rp_mqloop *l, const char *host, int port,
                                int keepalive_s) RP_WARN_UNUSED;

/* Call after mosquitto_publish/subscribe/disconnect outside a
 * libmosquitto callback: arms the write watch when there is something to
 * send. May call on_lost (the connection was found closed, e.g. after a
 * DISCONNECT went out: mosq_rc MOSQ_ERR_SUCCESS). */
RP_API void rp_mqloop_kick(rp_mqloop *l);

/* Stop watching (no on_lost call); the connection is left as it is. */
RP_API void rp_mqloop_detach(rp_mqloop *l);

RP_API void rp_mqloop_free(rp_mqloop *l);

/*
 * A broker address as operators write it: "HOST:PORT" or "[V6]:PORT",
 * HOST a numeric IPv4 or IPv6 address (the name the broker's certificate
 * must carry, and no blocking name lookup on the loop), PORT 1..65535.
 * host gets the address without brackets (cap bytes, NUL-terminated).
 * RP_E_INVAL for anything else.
 */
RP_API rp_err rp_mqloop_addr_parse(const char *s, char *host, size_t cap,
                                   int *port) RP_WARN_UNUSED;

#endif
