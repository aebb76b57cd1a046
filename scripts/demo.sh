#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make demo: show what Rampart can do today, with what is built. It grows
# with each part; it never pretends a part exists that does not.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
echo "== Rampart demo"
"$bin/rampart" --version
echo
echo "Built today:"
echo "  librampart   errors, logging, secret memory, hex/base64, strict config reader"
echo "  rampart      the command line ($bin/rampart help)"
echo
echo "Not built yet (see 'issues' / docs/index.md): signed firmware images and"
echo "rampart-boot, rampartd with the fleet CA and EST enrollment, the Mosquitto"
echo "plugin, rampart-agent and the simulated fleet. When they land, this demo"
echo "starts rampartd and Mosquitto on loopback with a simulated fleet."
