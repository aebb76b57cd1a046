#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The chain-log test vector from an independent tool (coreutils sha256sum,
# not librampart): prints the log of docs/chainlog.md, "Test vector"
# (tests/vectors/chainlog.log), or with "head" only the last hash.
# A record is "<seq> <ts> <prev> <payload>"; its hash is the SHA-256 of
# that line without the LF; the first record's prev is 64 zeros.
set -eu
prev=0000000000000000000000000000000000000000000000000000000000000000
seq=0
mode=${1:-log}
rec() {
	seq=$((seq + 1))
	line="$seq $1 $prev $2"
	[ "$mode" = head ] || printf '%s\n' "$line"
	prev=$(printf '%s' "$line" | sha256sum | cut -c1-64)
}
rec 1767225600 '{"v":1,"seq":1,"ts":1767225600,"type":"agent_start","severity":"info","count":1,"detail":"0.5.0"}'
rec 1767225601 '{"v":1,"seq":2,"ts":1767225601,"type":"auth_failure","severity":"warning","count":3,"detail":"Failed password for root from 203.0.113.7 port 52144 ssh2"}'
rec 1767225602 'boot ok slot=a'
rec 1767225603 'config changed: /etc/rampart/agent.conf'
[ "$mode" = head ] && printf '%s\n' "$prev"
exit 0
