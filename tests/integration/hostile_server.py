#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# hostile_server.py CERT KEY PORTFILE - an HTTPS server that answers like a
# rampartd that lies (test_cli_hostile.sh): every string field carries
# terminal control sequences (ESC [2J, a C1 CSI, a carriage return, a
# backspace), some fields are missing and some have the wrong type. It
# listens on 127.0.0.1 on a port the kernel picks, written to PORTFILE,
# and serves until killed.
import http.server
import json
import ssl
import sys

EVIL = "x\u001b[2J\u009b31m\rY\bZ\\"

ANSWERS = {
    "/api/v1/allowlist": [
        {"serial": "SN-" + EVIL, "state": EVIL, "group": EVIL,
         "hw_type": EVIL, "hw_token": EVIL, "tags": EVIL},
        {"serial": None, "state": 7},  # missing and mistyped fields
    ],
    "/api/v1/claims": [
        {"serial": EVIL, "group": EVIL, "not_after": "soon",
         "uses": EVIL, "last_used_at": 1},
        {},
    ],
    "/api/v1/devices": [
        {"serial": EVIL, "inventory_state": EVIL, "fw_version": EVIL,
         "group": EVIL, "online": EVIL, "last_seen_ago": EVIL},
        {"serial": 5},
    ],
    "/api/v1/events": {
        "events": [{"serial": EVIL, "severity": EVIL, "type": EVIL,
                    "detail": EVIL, "count": 1, "received_at": 1}],
        "next": 1,
    },
    "/api/v1/devices/SN1": {
        "serial": EVIL, "inventory_state": EVIL, "group": EVIL,
        "hw_type": EVIL, "tags": EVIL, "quarantine_reason": EVIL,
        "telemetry": {"fw_version": EVIL, "fw_sha256": EVIL},
        "events": [{"severity": EVIL, "type": EVIL, "detail": EVIL}],
        "certificates": [{"serial": EVIL}],
        "commands": [{"kind": EVIL, "state": EVIL}],
    },
}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?", 1)[0]
        body = ANSWERS.get(path)
        code = 200
        if body is None:
            code, body = 404, {"error": EVIL, "message": EVIL}
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main():
    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(sys.argv[3] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(sys.argv[3] + ".tmp", sys.argv[3])
    srv.serve_forever()


if __name__ == "__main__":
    main()
