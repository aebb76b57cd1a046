#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_completion.sh - the bash and zsh completion scripts (issue 11), made
# at build time from each program's command table (man/CMakeLists.txt,
# lib/tool/generate.c). bash: the script loads in a clean bash and, for
# every command of every table (enumerated from "PROG --generate list"),
# completes the command's words from their first letters and offers every
# option of the command reached, the words of each enum option, files for
# a file option, and skips an option's value on the way. zsh: a real
# interactive zsh on a pseudo-terminal (zsh/zpty), compinit with the
# installed-style _PROG on fpath, completes "rampart dev<TAB>".
set -u
BIN=${RP_BIN_DIR:?RP_BIN_DIR not set}
BUILD=${RP_BUILD_DIR:?RP_BUILD_DIR not set}
T=$(mktemp -d /tmp/rp-compl.XXXXXX)
trap 'rm -rf "$T"' EXIT
command -v zsh >/dev/null || { echo "FAIL: zsh not installed (scripts/deps.sh)"; exit 1; }
bad=0 n=0
fail() { echo "FAIL: $*"; bad=$((bad + 1)); }

# complete PROG WORDS...: what bash's completion offers for the last word
# (the words as typed; the last may be empty), one per line.
complete_bash() {
	local prog=$1
	shift
	bash --norc --noprofile -c '
		script=$1 prog=$2; shift 2
		. "$script" || exit 3
		fn=$(complete -p "$prog" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		[ -n "$fn" ] || exit 4
		COMP_WORDS=("$prog" "$@"); COMP_CWORD=$#
		"$fn" "$prog" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' \
		sh "$BUILD/completion/bash/$prog" "$prog" "$@"
}

# offers WANT PROG WORDS...: the completion of WORDS offers WANT
offers() {
	local want=$1
	shift
	n=$((n + 1))
	complete_bash "$@" >"$T/got" 2>"$T/err" || {
		fail "bash: '$*': the script failed: $(cat "$T/err")"
		return
	}
	grep -qxF -- "$want" "$T/got" ||
		fail "bash: '$*<TAB>' does not offer '$want': $(tr '\n' ' ' <"$T/got")"
}

for prog in rampart rampart-agent rampartd rampart-sim rampart-boot; do
	[ -s "$BUILD/completion/bash/$prog" ] || { fail "no bash completion for $prog"; continue; }
	[ -s "$BUILD/completion/zsh/_$prog" ] || fail "no zsh completion for $prog"
	"$BIN/$prog" --generate list >"$T/list" || { fail "$prog --generate list"; continue; }
	while IFS=$'\t' read -r -a f; do
		read -r -a path <<<"${f[0]}"
		words=("${path[@]:1}")
		# each command word from its first letter, after the words before it
		for ((i = 0; i < ${#words[@]}; i++)); do
			w=${words[i]}
			offers "$w" "$prog" "${words[@]:0:i}" "${w:0:1}"
		done
		for fld in "${f[@]:1}"; do
			case $fld in opt=*) ;; *) continue ;; esac
			o=${fld#opt=}
			kind=${o##*:}
			o=${o%%:*}
			offers "$o" "$prog" "${words[@]}" "--"
			case $kind in
			enum)
				"$BIN/$prog" "${words[@]}" "$o" '?' 2>&1 |
					sed -n "s/.*wants one of \(.*\); not.*/\1/p" |
					tr -d ',' | tr ' ' '\n' | sed '/^$/d' >"$T/words"
				[ -s "$T/words" ] || fail "$prog ${words[*]} $o: no enum words to check"
				while read -r ew; do
					offers "$ew" "$prog" "${words[@]}" "$o" ""
				done <"$T/words"
				;;
			path)
				n=$((n + 1))
				: >"$T/zz-file-to-offer"
				(cd "$T" && complete_bash "$prog" "${words[@]}" "$o" zz) >"$T/got" 2>&1
				grep -qx "zz-file-to-offer" "$T/got" ||
					fail "bash: '$prog ${words[*]} $o zz<TAB>' offers no file: $(tr '\n' ' ' <"$T/got")"
				;;
			esac
		done
	done <"$T/list"
	echo "ok - bash: $prog"
done
# an option's value is not taken for a command word
offers "list" rampart device --server https://x "l"
offers "--json" rampart device --server https://x list --j

# zsh: a real interactive zsh on a pseudo-terminal
mkdir -p "$T/fpath" "$T/home"
cp "$BUILD/completion/zsh/_rampart" "$T/fpath/"
n=$((n + 1))
cat >"$T/drive.zsh" <<'Z'
zmodload zsh/zpty || exit 3
fp=$1 bin=$2 home=$3
zpty -b z env -i PATH="$bin:/usr/bin:/bin" HOME="$home" TERM=dumb zsh -f -i
zpty -w z "PS1='%% '; fpath=($fp \$fpath); autoload -Uz compinit; compinit -u -D; setopt nobeep; print READY"
zpty -r z out '*READY*' || exit 4
zpty -w -n z $'rampart dev\t'
zpty -r z out '*rampart device *' || exit 5
zpty -w -n z $'list --js\t'
zpty -r z out '*list --json*' || exit 6
zpty -d z
print COMPLETED
Z
timeout 60 zsh -f "$T/drive.zsh" "$T/fpath" "$BIN" "$T/home" >"$T/zout" 2>&1
st=$?
grep -q COMPLETED "$T/zout" ||
	fail "zsh: 'rampart dev<TAB>' / 'list --js<TAB>' not completed (exit $st): $(tail -c 300 "$T/zout")"
echo "$n checks, $bad failed"
[ "$bad" = 0 ]
