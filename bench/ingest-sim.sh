#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ingest-sim.sh - a load generator for bench/50-ingest.sh made of
# rampart-sim (not a benchmark itself: run.sh only runs NN-*.sh):
#   INGEST_LOADGEN="bench/ingest-sim.sh run"
#   INGEST_LOADGEN_PREPARE="bench/ingest-sim.sh prepare"
#   INGEST_LOADGEN_ENROLLS=1 INGEST_DEVICES=1000 INGEST_RATE=1000
# The simulated devices enroll over EST once (prepare, state kept in
# INGEST_STATE_DIR) and then send telemetry every INGEST_DEVICES /
# INGEST_RATE seconds (at least 1), connecting at SIM_RAMP per second.
set -euo pipefail
BIN=${RP_BIN_DIR:?}
interval=$((INGEST_DEVICES / INGEST_RATE))
[ "$interval" -ge 1 ] || interval=1
args=(run --broker "$INGEST_BROKER_HOST:$INGEST_BROKER_PORT"
	--broker-ca "$INGEST_CAFILE" --dir "${INGEST_STATE_DIR:?}"
	--server "$RAMPART_SERVER" --ca-file "$RAMPART_CA"
	--claim "$INGEST_CLAIM_CERT,$INGEST_CLAIM_KEY"
	--devices "$INGEST_DEVICES" --prefix "$INGEST_PREFIX"
	--telemetry-interval "$interval" --ramp "${SIM_RAMP:-500}")
case ${1:-run} in
prepare) exec "$BIN/rampart-sim" "${args[@]}" --duration 1 ;;
run) exec "$BIN/rampart-sim" "${args[@]}" ;;
*) echo "usage: ingest-sim.sh prepare|run" >&2; exit 2 ;;
esac
