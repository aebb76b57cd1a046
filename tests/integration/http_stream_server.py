#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# http_stream_server.py - the TLS server test_http_stream talks to: python3's
# http.server over ssl on 127.0.0.1:PORT with CERT/KEY. Paths:
#   /cl      200, Content-Length, BODY_LEN bytes of the pattern i % 251
#   /chunked 200, chunked, the same bytes in 7 chunks, flushed one by one
#   /range   Range "bytes=N-": 206 + Content-Range from N; else 200 whole
#   /badrange 206 with a Content-Range starting at 0 whatever was asked
#   /etag    ETag "v1"; as /range when If-Range is "v1", else 200 whole
#   /busy    503 with Retry-After: 7
#   /stall   headers and 10 bytes, then nothing (the idle deadline)
#   /drip    one byte every 200 ms for ever (the overall deadline)
#   /cont    a 100 Continue, then a 200: the interim one is no answer
#   /neg /big a status of -7 / 999
#   /shortrange /backwards /overrange a 206 for "bytes=N-" whose
#            Content-Length is not END-START+1 / whose END < START /
#            whose chunked body runs past END
#   /unsolicited a 206 whatever was asked (Range or not)
#   /bigheaders 1 MB of headers (the client's bound is 16 KiB)
# With a 4th argument DIR (test_update_fetch): each request is logged to
# DIR/requests.log as "PATH|RANGE|IF-RANGE", and
#   /file/NAME   DIR/NAME, ETag "<sha256>", Range + If-Range as /etag
#   /cut/K/NAME  as /file, but its first request (per path) is cut
#                after K bytes of the body
#   /bad/NAME    as /file with the byte in the middle flipped
#   /deny/NAME   403
#   /busy1/NAME  as /file, but its first request (per path) is a 503
#                with Retry-After: 1
# on 127.0.0.1, ::1 and 127.0.0.2 (the certificate names 127.0.0.1, ::1
# and localhost).
import hashlib, http.server, os, socket, ssl, sys, threading, time

BODY_LEN = 100000
BODY = bytes(i % 251 for i in range(BODY_LEN))


FILES_DIR = sys.argv[4] if len(sys.argv) > 4 else None
CUT_DONE = set()
LOG_LOCK = threading.Lock()


RAW = {
    "/cont": (b"HTTP/1.1 100 Continue\r\n\r\n",
              b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    "/neg": (b"HTTP/1.1 -7 Odd\r\nContent-Length: 2\r\n\r\nok",),
    "/big": (b"HTTP/1.1 999 Odd\r\nContent-Length: 2\r\n\r\nok",),
}


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def head(self, code, n, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        if n is not None:
            self.send_header("Content-Length", str(n))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()

    def serve_file(self, p):
        parts = p.split("/")
        kind = parts[1]
        if kind == "deny":
            self.head(403, 0)
            return
        if kind == "busy1" and p not in CUT_DONE:
            CUT_DONE.add(p)
            self.head(503, 0, [("Retry-After", "1")])
            return
        cut = int(parts[2]) if kind == "cut" else None
        name = parts[-1]
        with open(os.path.join(FILES_DIR, name), "rb") as f:
            data = bytearray(f.read())
        tag = '"%s"' % hashlib.sha256(data).hexdigest()
        if kind == "bad":
            data[len(data) // 2] ^= 0x01
        r = self.headers.get("Range", "")
        n = 0
        if (r.startswith("bytes=") and r.endswith("-") and
                self.headers.get("If-Range") == tag):
            n = int(r[6:-1])
            self.head(206, len(data) - n, [("ETag", tag), (
                "Content-Range", "bytes %d-%d/%d" % (n, len(data) - 1,
                                                     len(data)))])
        else:
            self.head(200, len(data), [("ETag", tag)])
        body = bytes(data[n:])
        if cut is not None and p not in CUT_DONE:
            CUT_DONE.add(p)
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if FILES_DIR is not None:
            with LOG_LOCK, open(os.path.join(FILES_DIR, "requests.log"),
                                "a") as log:
                log.write("%s|%s|%s\n" % (p, self.headers.get("Range", ""),
                                          self.headers.get("If-Range", "")))
        if FILES_DIR is not None and p.split("/")[1:2] in (
                ["file"], ["cut"], ["bad"], ["deny"], ["busy1"]):
            self.serve_file(p)
        elif p == "/cl":
            self.head(200, BODY_LEN)
            self.wfile.write(BODY)
        elif p == "/chunked":
            self.head(200, None, [("Transfer-Encoding", "chunked")])
            step = BODY_LEN // 7 + 1
            for i in range(0, BODY_LEN, step):
                c = BODY[i:i + step]
                self.wfile.write(b"%x\r\n" % len(c) + c + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        elif p in ("/range", "/badrange"):
            r = self.headers.get("Range", "")
            if r.startswith("bytes=") and r.endswith("-"):
                n = int(r[6:-1])
                if p == "/badrange":
                    n = 0
                self.head(206, BODY_LEN - n, [(
                    "Content-Range", "bytes %d-%d/%d" % (n, BODY_LEN - 1,
                                                         BODY_LEN))])
                self.wfile.write(BODY[n:])
            else:
                self.head(200, BODY_LEN)
                self.wfile.write(BODY)
        elif p == "/etag":
            r = self.headers.get("Range", "")
            tag = [("ETag", '"v1"')]
            if (r.startswith("bytes=") and r.endswith("-") and
                    self.headers.get("If-Range") == '"v1"'):
                n = int(r[6:-1])
                self.head(206, BODY_LEN - n, tag + [(
                    "Content-Range", "bytes %d-%d/%d" % (n, BODY_LEN - 1,
                                                         BODY_LEN))])
                self.wfile.write(BODY[n:])
            else:
                self.head(200, BODY_LEN, tag)
                self.wfile.write(BODY)
        elif p == "/busy":
            self.head(503, 0, [("Retry-After", "7")])
        elif p == "/stall":
            self.head(200, BODY_LEN)
            self.wfile.write(BODY[:10])
            self.wfile.flush()
            self.rfile.read(1)  # until the client goes away
        elif p == "/drip":
            self.head(200, BODY_LEN)
            try:
                for i in range(BODY_LEN):
                    self.wfile.write(BODY[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
        elif p in ("/shortrange", "/backwards", "/overrange"):
            r = self.headers.get("Range", "bytes=0-")
            n = int(r[6:-1])
            end = {"/shortrange": BODY_LEN - 1, "/backwards": n - 5,
                   "/overrange": n + 9}[p]
            cr = [("Content-Range", "bytes %d-%d/%d" % (n, end, BODY_LEN))]
            if p == "/overrange":
                self.head(206, None, cr + [("Transfer-Encoding", "chunked")])
                c = BODY[n:]
                self.wfile.write(b"%x\r\n" % len(c) + c + b"\r\n0\r\n\r\n")
            else:
                self.head(206, 10, cr)
                self.wfile.write(BODY[n:n + 10])
        elif p == "/unsolicited":
            self.head(206, 10, [("Content-Range", "bytes %d-%d/%d" % (
                BODY_LEN - 10, BODY_LEN - 1, BODY_LEN))])
            self.wfile.write(BODY[-10:])
        elif p == "/bigheaders":
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                for i in range(128):
                    self.wfile.write(b"X-Pad-%d: %s\r\n" % (i, b"a" * 8000))
                    self.wfile.flush()
                self.wfile.write(b"Content-Length: 2\r\n\r\nok")
            except OSError:
                pass
            self.close_connection = True
        elif p in RAW:
            for part in RAW[p]:
                self.wfile.write(part)
                self.wfile.flush()
                time.sleep(0.3)  # the pieces apart, in their own reads
            self.close_connection = True
        else:
            self.head(404, 0)


def main():
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    # 127.0.0.2 too, with the same certificate (IP:127.0.0.1 only): the
    # name check's case.
    srvs = []
    class V6(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6

    for host in ("127.0.0.2", "::1", "127.0.0.1"):
        cls = V6 if ":" in host else http.server.ThreadingHTTPServer
        srv = cls((host, port), H)
        srv.daemon_threads = True
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        srvs.append(srv)
    for srv in srvs[:-1]:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    srvs[-1].serve_forever()


main()
