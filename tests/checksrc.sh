#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# checksrc.sh - style that is checked, not hoped for (curl's checksrc idea):
# the product code (lib/ server/ agent/ cli/ sim/ boot/ plugin/; not tests/
# or bench/) may not call the unbounded or unchecked C functions below, nor
# assign inside the condition of an if, while, switch or for. Each finding
# is printed as FILE:LINE: RULE: what, and the script exits 1; exit 0 when
# the tree is clean. The rules, precisely (docs/testing.md):
#
#   banned-call  a call (the name, then optional space, then "(") of
#                strcpy strcat sprintf vsprintf gets atoi atol atoll atof;
#                a member call (x.atoi(), p->atoi()) is not one.
#   bare-alloc   a call of malloc calloc realloc strdup strndup: product
#                code allocates through rampart/alloc.h (rp_malloc...), so
#                that a faultsim build can make allocation N fail; only
#                lib/base/alloc.c, the hook itself, calls them (and
#                boot/mcu, freestanding, has no heap). free() is allowed:
#                the hook's memory is malloc's.
#   cond-assign  an assignment operator (= += -= *= /= %= &= |= ^= <<= >>=)
#                anywhere inside the parentheses of if (...), while (...)
#                (do-while too) or switch (...), nested parentheses
#                included, or inside the condition clause of a for (...)
#                (between its two top-level ';': the init and increment
#                clauses assign by design). == != <= >= are comparisons;
#                ++ and -- are not assignments; an "=" between braces (a
#                designated initializer of a compound literal) is not one.
#
# Comments, string literals and character literals are blanked before the
# rules run (line numbers kept); preprocessor conditionals (#if, #elif) are
# not conditions. There is no way to switch a rule off for a line: fix the
# code.
#
# Before the tree, the rules are run on a fixture with a known answer (every
# rule must fire where it should and nowhere else), so a checker broken
# into silence fails too.
# usage: checksrc.sh [SOURCE_DIR]  (default: the repository of this script)
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}

# The checker: NUL-separated paths on stdin, findings on stdout.
read -r -d '' checker <<'PY' || true
import re
import sys

BANNED = ("strcpy", "strcat", "sprintf", "vsprintf", "gets", "atoi", "atol",
          "atoll", "atof")
call_re = re.compile(r"\b(" + "|".join(BANNED) + r")\s*\(")
ALLOC = ("malloc", "calloc", "realloc", "strdup", "strndup")
alloc_re = re.compile(r"\b(" + "|".join(ALLOC) + r")\s*\(")
ALLOC_OK = ("lib/base/alloc.c",)
cond_re = re.compile(r"\b(if|while|switch|for)\s*\(")


def blank(text):
    """text with comments and the insides of string and character literals
    replaced by spaces (newlines kept, so line numbers stay)."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            a = i
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif text.startswith("//", i):
            a = i
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif c in "\"\x27":
            a = j = i + 1  # the quotes stay: "x"(...) is not a call
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j, n)
        else:
            i += 1
            continue
        for k in range(a, j):
            if out[k] != "\n":
                out[k] = " "
        i = j + 1 if c in "\"\x27" else j
    return "".join(out)


def assignments(code, start, end):
    """offsets of assignment operators in code[start:end], outside braces."""
    found, braces, i = [], 0, start
    while i < end:
        c = code[i]
        if c == "{":
            braces += 1
        elif c == "}":
            braces -= 1
        elif c == "=" and braces == 0:
            if i + 1 < end and code[i + 1] == "=":
                i += 2
                continue
            p = code[i - 1]
            if p in "!" or (p in "<>" and code[i - 2] != p):
                pass  # != <= >= (but <<= >>= assign)
            else:
                found.append(i)
        i += 1
    return found


def check(path, findings):
    with open(path, encoding="utf-8", errors="replace") as f:
        code = blank(f.read())

    def line(off):
        return code.count("\n", 0, off) + 1

    for m in call_re.finditer(code):
        before = code[:m.start()].rstrip()
        if before.endswith(".") or before.endswith("->"):
            continue
        findings.append((path, line(m.start()), "banned-call",
                         "%s() (use a bounded, checked alternative)"
                         % m.group(1)))
    for m in alloc_re.finditer(code):
        before = code[:m.start()].rstrip()
        if path in ALLOC_OK or path.startswith("boot/mcu/") or \
                before.endswith(".") or before.endswith("->"):
            continue
        findings.append((path, line(m.start()), "bare-alloc",
                         "%s() (allocate through rampart/alloc.h: rp_%s)"
                         % (m.group(1), m.group(1))))
    for m in cond_re.finditer(code):
        before = code[:m.start()].rstrip()
        if before.endswith("#"):
            continue  # #if: the preprocessor
        depth, i, semis = 0, m.end() - 1, []
        while i < len(code):
            c = code[i]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    break
            elif c == ";" and depth == 1:
                semis.append(i)
            i += 1
        start, end = m.end(), i
        if m.group(1) == "for":
            if len(semis) != 2:
                continue  # a macro named for? not a C for loop
            start, end = semis[0] + 1, semis[1]
        for a in assignments(code, start, end):
            findings.append((path, line(a), "cond-assign",
                             "assignment inside the condition of %s (...)"
                             % m.group(1)))


findings = []
paths = [p for p in sys.stdin.read().split("\0") if p]
for p in paths:
    check(p, findings)
for path, ln, rule, what in sorted(findings):
    print("%s:%d: %s: %s" % (path, ln, rule, what))
if findings:
    print("checksrc: %d finding(s) in %d file(s) (rules: tests/checksrc.sh,"
          " docs/testing.md)" % (len(findings),
                                 len(set(f[0] for f in findings))))
    sys.exit(1)
if not paths:
    print("checksrc: no C files found", file=sys.stderr)
    sys.exit(1)
print("checksrc: %d files clean" % len(paths))
PY

# scan DIR: the rules over DIR's product code (paths relative to DIR).
scan() {
	local d dirs=()
	for d in lib server agent cli sim boot plugin; do
		[ -d "$1/$d" ] && dirs+=("$d")
	done
	if [ ${#dirs[@]} -eq 0 ]; then
		echo "checksrc: no product code under $1" >&2
		return 1
	fi
	(cd "$1" && find "${dirs[@]}" -type f \( -name '*.c' -o -name '*.h' \) \
		-print0 | sort -z | python3 -c "$checker")
}

self_test() {
	local t rc=0 got want
	t=$(mktemp -d)
	mkdir -p "$t/lib" "$t/tests"
	# lines ending in "bad RULE" must be found, once, with that rule;
	# no other line may be
	cat >"$t/lib/fixture.c" <<'C'
#include <stdio.h>
#if (X == 1) /* a preprocessor conditional is not a condition */
#endif
void f(char *a, const char *b, char *s, va_list ap, FILE *fp, int n)
{
	int x, c, i;
	char *p;
	strcpy(a, b); /* bad banned-call */
	strcat (a, b); /* bad banned-call */
	sprintf(a, "%d", 1); /* bad banned-call */
	vsprintf(a, b, ap); /* bad banned-call */
	gets(s); /* bad banned-call */
	x = atoi(s) + atol(s); /* bad banned-call */ /* (twice on one line) */
	x = (int)atoll(s); /* bad banned-call */
	x = (int)atof(s); /* bad banned-call */
	p = malloc(n); /* bad bare-alloc */
	p = calloc (1, n); /* bad bare-alloc */
	p = realloc(p, n); /* bad bare-alloc */
	p = strdup(s); /* bad bare-alloc */
	p = strndup(s, n); /* bad bare-alloc */
	p = rp_malloc(n) + rp_strdup(s) + my_calloc(n) + o.malloc(n);
	free(p);
	if ((x = g()) != 0) /* bad cond-assign */
		return;
	if (x = g()) /* bad cond-assign */
		return;
	while ((c = g()) != -1) /* bad cond-assign */
		n++;
	for (i = 0; (p = h()) != NULL; i++) /* bad cond-assign */
		n++;
	switch (x = g()) { /* bad cond-assign */
	default:
		break;
	}
	if (x += 1) /* bad cond-assign */
		return;
	if (x <<= 1) /* bad cond-assign */
		return;
	if (n > 0 &&
	    (x = g()) > 0) /* bad cond-assign */
		return;
	do {
		n++;
	} while ((x >>= 1) != 0); /* bad cond-assign */
	snprintf(a, 4, "%d", 1); /* fine: what follows is all allowed */
	fgets(s, n, fp);
	x = (int)strtol(s, &p, 10) + my_atoi(s) + atoi_checked(s);
	/* strcpy(a, b); if ((x = g()) != 0) in a comment */
	// atoi(s) in a line comment
	puts("strcpy(a, b) and if ((x = 1)) in a string \" atoi(s)");
	c = '\'';
	c = '(';
	x = o.atoi(s) + q->atof(s);
	if (x == 1 || x != 2 || x <= 3 || x >= 4 || !x)
		return;
	for (i = 0; i < n; i++, x += 2)
		n--;
	while (n--)
		x++;
	if (k((struct pt){.x = 1, .y = 2}))
		return;
}
C
	# the same lines in tests/ are not product code
	cp "$t/lib/fixture.c" "$t/tests/fixture.c"
	got=$(scan "$t" | grep -v '^checksrc:' | cut -d: -f2,3 | sort -u) ||
		true
	want=$(grep -n 'bad [a-z-]*' "$t/lib/fixture.c" |
		sed 's/^\([0-9]*\):.*bad \([a-z-]*\).*/\1: \2/' | sort -u)
	if [ "$got" != "$want" ]; then
		echo "checksrc: the self-test fixture gave" >&2
		diff <(echo "$want") <(echo "$got") >&2 || true
		rc=1
	fi
	# atoi and atol on one line are two findings
	[ "$(scan "$t" | grep -c ':13: banned-call')" = 2 ] || {
		echo "checksrc: self-test: two calls on one line, one finding" >&2
		rc=1
	}
	rm -rf "$t"
	return $rc
}

self_test || exit 1
scan "$src"
