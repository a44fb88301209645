#!/usr/bin/python3
"""A stand-in for the captcha service, for the integration tests.

usage: captcha_stub.py PORT [LOGFILE]

Listens on 127.0.0.1:PORT (0: any free port, printed on stdout as
"listening on PORT"). POST /captcha/verify with a JSON body
{"id": ..., "answer": ...} answers according to the answer:

    "good"   200 {"is_valid": true}
    "bad"    200 {"is_valid": false}
    "slow"   waits 7 s (past the service's 5 s timeout), then 200 valid
    "error"  500 {"detail": "captcha backend failure"}
    other    200 {"is_valid": false}

A body that is not a JSON object with a string "answer" gets 422, any other
path or method 404. Every request is appended to LOGFILE as one JSON line
{"time", "method", "path", "content_type", "body", "status"} (body: the
parsed JSON, or the raw text when it does not parse), written and flushed
before the answer is sent, so a test can read it as soon as it has its
response. SIGTERM or SIGINT stops the server.
"""

import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_SECONDS = 7
MAX_BODY = 64 * 1024


class Handler(BaseHTTPRequestHandler):
    server_version = "captcha-stub/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("captcha_stub: " + (fmt % args) + "\n")

    def record(self, body, status):
        entry = {
            "time": time.time(),
            "method": self.command,
            "path": self.path,
            "content_type": self.headers.get("Content-Type"),
            "body": body,
            "status": status,
        }
        with self.server.log_lock:
            if self.server.log_file is not None:
                self.server.log_file.write(json.dumps(entry) + "\n")
                self.server.log_file.flush()

    def answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        raw = self.rfile.read(min(max(length, 0), MAX_BODY))
        text = raw.decode("utf-8", "replace")
        try:
            return json.loads(text)
        except ValueError:
            return text

    def do_POST(self):
        body = self.read_body()
        if self.path.split("?", 1)[0] != "/captcha/verify":
            self.record(body, 404)
            self.answer(404, {"detail": "Not Found"})
            return
        if not isinstance(body, dict) or not isinstance(body.get("answer"), str):
            self.record(body, 422)
            self.answer(422, {"detail": "expected {\"id\", \"answer\"}"})
            return
        answer = body["answer"]
        if answer == "error":
            self.record(body, 500)
            self.answer(500, {"detail": "captcha backend failure"})
            return
        status = 200
        self.record(body, status)
        if answer == "slow":
            time.sleep(SLOW_SECONDS)
            valid = True
        else:
            valid = answer == "good"
        try:
            self.answer(status, {"is_valid": valid})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller gave up waiting: that is the point of "slow"

    def do_GET(self):
        self.record(None, 404)
        self.answer(404, {"detail": "Not Found"})


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.log_lock = threading.Lock()
    server.log_file = open(sys.argv[2], "a") if len(sys.argv) == 3 else None

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
