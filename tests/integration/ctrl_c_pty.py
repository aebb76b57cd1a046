#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# ctrl_c_pty.py - what a person at a terminal sees when they press Ctrl-C:
# runs COMMAND on a new pseudo-terminal (its own session, the terminal's
# foreground process group, as a shell would), waits until its output holds
# TEXT, types Ctrl-C (the terminal driver sends SIGINT to the whole
# foreground group: make and everything below it, not one chosen process),
# then copies everything it printed to stdout and exits with its exit code
# (128 + N when it died of signal N, as a shell reports it).
# usage: ctrl_c_pty.py SECONDS TEXT COMMAND [ARGS...]
import os
import pty
import select
import signal
import sys
import time


def main():
    if len(sys.argv) < 4:
        sys.stderr.write("usage: ctrl_c_pty.py SECONDS TEXT COMMAND...\n")
        return 2
    limit, text, argv = float(sys.argv[1]), sys.argv[2].encode(), sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    out = b""
    end = time.monotonic() + limit
    sent = False
    while True:
        wait = end - time.monotonic()
        if wait <= 0:
            sys.stdout.write(out.decode(errors="replace"))
            sys.stderr.write("ctrl_c_pty: timed out%s\n" %
                             ("" if sent else " before the text appeared"))
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return 124
        r, _, _ = select.select([fd], [], [], wait)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the last holder of the terminal closed
                data = b""
            if not data:
                break
            out += data
        if not sent and text in out:
            os.write(fd, b"\x03")  # the terminal's VINTR character
            sent = True
    _, st = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    if not sent:
        sys.stderr.write("ctrl_c_pty: ended before the text appeared\n")
        return 125
    if os.WIFSIGNALED(st):
        return 128 + os.WTERMSIG(st)
    return os.WEXITSTATUS(st)


sys.exit(main())
