#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Who may include whom (docs/architecture.md, "Who may use whom"): every
# #include "..." of the product code is resolved the way its CMake target
# resolves it, to a public header of include/rampart/ (whose home is the
# lib/ folder that implements it) or to a file of another folder, and that
# folder must be one the including folder may use. The core uses nothing
# but itself; the device SDK and the server never use lib/sign; the plugin
# and the boot core use only what they can carry. An include that resolves
# to nothing fails too (a check that cannot read the code proves nothing).
# The rampart CLI, rampart-sim, bench/ and tests/ may use everything.
# usage: layering.sh SRC_DIR
set -euo pipefail
cd "$1"

# The home of each public header: the folder that implements it.
declare -A home=(
	[err.h]=core [export.h]=core [bytes.h]=core [image.h]=core
	[boot.h]=core [flash.h]=core [id.h]=core
	[mem.h]=base [encode.h]=base [config.h]=base [log.h]=base
	[crypto_host.h]=base [backoff.h]=base [file.h]=base [alloc.h]=base [csv.h]=base
	[telemetry.h]=proto [broker.h]=proto [chainlog.h]=proto [json.h]=proto
	[flash_file.h]=port [http.h]=port [mqloop.h]=port [sysinfo.h]=port
	[sign.h]=sign
	[keystore.h]=device [agent.h]=device [enroll.h]=device [delta.h]=device [update.h]=device
	[delta_create.h]=delta
)
# What each part may use (its own folder always).
declare -A may=(
	[core]="core"
	[base]="core"
	[proto]="base core"
	[port]="proto base core"
	[sign]="base core"
	[device]="port proto base core"
	[delta]="device base core"
	[plugin]="proto core"
	[bootcore]="core"
	[boot]="port base core bootcore tool"
	[agent]="device port proto base core tool"
	[server]="device delta port proto base core tool sbom"
	[tool]="base core"
	[sbom]="proto base core"
)

# The part a repository path belongs to ("" = not checked).
part_of() {
	case $1 in
	include/rampart/*) echo "${home[$(basename "$1")]:-?}" ;;
	lib/core/*) echo core ;;
	lib/base/*) echo base ;;
	lib/proto/*) echo proto ;;
	lib/port/posix/*) echo port ;;
	lib/sign/*) echo sign ;;
	lib/device/*) echo device ;;
	lib/delta/*) echo delta ;; # making delta patches (rampartd, the CLI)
	lib/tool/*) echo tool ;; # the programs' command line
	lib/sbom/*) echo sbom ;; # SBOMs and vulnerabilities, tools only
	lib/*) echo "?" ;;
	plugin/*) echo plugin ;;
	boot/bootcore.* | boot/mcu/*) echo bootcore ;;
	boot/*) echo boot ;;
	agent/*) echo agent ;;
	server/*) echo server ;;
	*) echo "" ;;
	esac
}

# Where a part's quoted includes are searched after the file's own folder
# (its CMake target's include directories).
search_of() {
	case $1 in
	lib/*) echo "lib" ;;
	agent/*) echo "agent lib/device lib/tool" ;;
	server/*) echo "server lib/tool lib/sbom" ;;
	boot/mcu/*) echo "boot/mcu boot" ;;
	boot/*) echo "lib/tool" ;;
	*) echo "" ;;
	esac
}

bad=""
n=0
files=$(git ls-files -co --exclude-standard 'lib/*.[ch]' 'include/rampart/*.h' \
	'plugin/*.[ch]' 'boot/*.[ch]' 'agent/*.[ch]' 'server/*.[ch]' 2>/dev/null ||
	find lib include/rampart plugin boot agent server -name '*.[ch]')
[ -n "$files" ] || { echo "layering: no sources found"; exit 1; }
for f in $files; do
	[ -f "$f" ] || continue
	from=$(part_of "$f")
	[ -n "$from" ] && [ "$from" != "?" ] || {
		bad+="$f: a file of no known part"$'\n'
		continue
	}
	while IFS= read -r inc; do
		n=$((n + 1))
		target=""
		if [[ $inc == rampart/* ]]; then
			target=include/$inc
		else
			for d in "$(dirname "$f")" $(search_of "$f"); do
				if [ -f "$d/$inc" ]; then
					target=$(realpath -m --relative-to=. "$d/$inc")
					break
				fi
			done
		fi
		if [ -z "$target" ] || [ ! -f "$target" ]; then
			bad+="$f: #include \"$inc\" resolves to no file"$'\n'
			continue
		fi
		to=$(part_of "$target")
		if [ -z "$to" ] || [ "$to" = "?" ]; then
			bad+="$f: #include \"$inc\": $target is in no part"$'\n'
			continue
		fi
		[ "$to" = "$from" ] && continue
		[[ " ${may[$from]} " == *" $to "* ]] && continue
		bad+="$f ($from) includes $target ($to)"$'\n'
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
if [ -n "$bad" ]; then
	echo "layering: includes across the allowed folders:"
	printf '%s' "$bad"
	exit 1
fi
echo "layering: $n includes in $(echo "$files" | wc -w) files, each within" \
	"what its folder may use"
