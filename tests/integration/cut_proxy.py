#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# cut_proxy.py - a TCP proxy for test_release_api.sh that loses one
# connection on purpose: it forwards 127.0.0.1:<its port> to
# 127.0.0.1:UPSTREAM and closes its CUT-th connection (1-based) once
# BYTES bytes of it went from the client to the server, as a dropped
# link would. Its port goes to PORTFILE once it listens. Runs until killed.
import socket
import sys
import threading

upstream, cut, limit, portfile = (int(sys.argv[1]), int(sys.argv[2]),
                                  int(sys.argv[3]), sys.argv[4])


def pump(src, dst, budget):
    sent = 0
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if budget is not None and sent + len(data) >= budget:
                dst.sendall(data[:budget - sent])
                break
            dst.sendall(data)
            sent += len(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    n = 0
    while True:
        c, _ = ls.accept()
        n += 1
        u = socket.create_connection(("127.0.0.1", upstream))
        budget = limit if n == cut else None
        threading.Thread(target=pump, args=(c, u, budget), daemon=True).start()
        threading.Thread(target=pump, args=(u, c, None), daemon=True).start()


main()
