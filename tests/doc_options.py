#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# doc_options.py BIN DOC... - the guides cannot name an option a command
# does not have: every command line the documents show (a `code span` or a
# line of a code block that starts with one of the programs) is matched to
# the longest command path of '--generate list', and each --option written
# after it must be one of that command's options (or --help, --version).
# Prints each mismatch and exits 1; the reference (docs/cli-reference.md)
# is generated, so this is what keeps the hand-written guides in step.
import re
import subprocess
import sys

PROGS = ("rampart", "rampartd", "rampart-agent", "rampart-sim", "rampart-boot")


def commands(bindir):
    cmds = {}
    for p in PROGS:
        out = subprocess.run([f"{bindir}/{p}", "--generate", "list"],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            f = line.split("\t")
            cmds[f[0]] = {x[6:].split(":")[0] for x in f[1:]
                          if x.startswith("opt=--")}
    return cmds


def lines_of(text):
    yield from re.findall(r"`([^`\n]+)`", text)
    for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M):
        yield from block.splitlines()


def main():
    cmds = commands(sys.argv[1])
    if "rampart sign" not in cmds:
        print("FAIL: '--generate list' does not list rampart sign")
        return 1
    bad = seen = 0
    for doc in sys.argv[2:]:
        with open(doc, encoding="utf-8") as f:
            text = f.read()
        for line in lines_of(text):
            # a shell comment or a pipe ends the command
            words = re.split(r"\s+#|\|", line)[0].split()
            if not words or words[0].lstrip("$ ") not in PROGS:
                continue
            path = None
            for i in range(len(words), 0, -1):
                if " ".join(words[:i]) in cmds:
                    path, rest = " ".join(words[:i]), words[i:]
                    break
            if path is None:
                continue
            seen += 1
            for w in rest:
                m = re.match(r"\[?(--[a-z0-9-]+)", w)
                if m and m.group(1)[2:] not in cmds[path] | {"help", "version"}:
                    print(f"{doc}: `{line.strip()}`: "
                          f"'{path}' has no {m.group(1)}")
                    bad += 1
    if bad:
        print(f"FAIL: {bad} option(s) the documents name do not exist")
        return 1
    print(f"ok - the documents' {seen} command lines name only options "
          "their commands have")
    return 0


if __name__ == "__main__":
    sys.exit(main())
