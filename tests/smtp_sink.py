#!/usr/bin/python3
"""An SMTP server for tests that keeps every message it accepts.

usage: smtp_sink.py [-l HOST:PORT] [--port-file PATH] [--fail-file PATH]
                    [--fail-at rcpt|data] [--auth USER:PASSWORD] DIR

Each accepted message is written into DIR as <nanoseconds>-<seq>.eml (the
bytes as received, dot-unstuffed), next to <same>.json holding the
envelope {"mail_from": ..., "rcpt_tos": [...]}.  Both appear atomically
(written under a dot name, then renamed), the .json first, so a test that
sees an .eml can read it whole.

While the file named by --fail-file exists, every transaction is refused
at --fail-at (default: after DATA, the hardest case for the sender):
with the first line of that file when it looks like "NNN text", else
"451 4.3.0 Simulated temporary failure".  Create the file to make the
server fail, remove it to make it accept again, without restarting it.

--auth requires SMTP AUTH (PLAIN or LOGIN, allowed without TLS here) with
that user and password.  -l 127.0.0.1:0 picks a free port; --port-file
receives the port actually bound, once the server is listening.
SIGTERM or SIGINT stops the server.

Runs with Debian's python3-aiosmtpd (/usr/bin/python3).
"""

import argparse
import asyncio
import json
import logging
import os
import re
import signal
import sys
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

DEFAULT_FAILURE = "451 4.3.0 Simulated temporary failure"


def log(msg):
    print("smtp_sink: " + msg, flush=True)


def write_atomic(path, data):
    d, base = os.path.split(path)
    tmp = os.path.join(d, "." + base + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


class Sink:
    def __init__(self, outdir, fail_file, fail_at):
        self.outdir = outdir
        self.fail_file = fail_file
        self.fail_at = fail_at
        self.seq = 0

    def failure(self):
        if not self.fail_file or not os.path.exists(self.fail_file):
            return None
        try:
            with open(self.fail_file, encoding="utf-8") as f:
                line = f.readline().strip()
        except OSError:
            line = ""
        return line if re.match(r"^[45]\d\d[ -]", line) else DEFAULT_FAILURE

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        reply = self.failure() if self.fail_at == "rcpt" else None
        if reply:
            log(f"refused RCPT {address}: {reply}")
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.failure() if self.fail_at == "data" else None
        if reply:
            log(f"refused DATA for {envelope.rcpt_tos}: {reply}")
            return reply
        self.seq += 1
        base = os.path.join(self.outdir, f"{time.time_ns()}-{self.seq:06d}")
        env = {"mail_from": envelope.mail_from,
               "rcpt_tos": list(envelope.rcpt_tos)}
        content = envelope.original_content or b""
        write_atomic(base + ".json", json.dumps(env).encode() + b"\n")
        write_atomic(base + ".eml", content)
        log(f"accepted {os.path.basename(base)}.eml from "
            f"{envelope.mail_from} to {envelope.rcpt_tos}, "
            f"{len(content)} bytes")
        return "250 2.0.0 Message accepted"


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and
              auth_data.login == user.encode() and
              auth_data.password == password.encode())
        log(f"AUTH {mechanism}: {'accepted' if ok else 'refused'}")
        # handled=False: let aiosmtpd answer 535 on failure
        return AuthResult(success=ok, handled=False)
    return authenticator


async def serve(args):
    host, _, port = args.listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    sink = Sink(args.dir, args.fail_file, args.fail_at)
    kw = {"hostname": "smtp-sink", "ident": "smtp_sink"}
    if args.auth:
        # AUTH without TLS is deliberate here: silence aiosmtpd about it
        warnings.filterwarnings("ignore")
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        user, _, password = args.auth.partition(":")
        kw.update(auth_required=True, auth_require_tls=False,
                  authenticator=make_authenticator(user, password))

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink, **kw), host,
                                      int(port))
    bound = server.sockets[0].getsockname()[1]
    if args.port_file:
        write_atomic(args.port_file, f"{bound}\n".encode())
    log(f"listening on {host}:{bound}, saving into {args.dir}")

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()
    log("stopped")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-l", "--listen", default="127.0.0.1:2525",
                   help="HOST:PORT to listen on (port 0: any free port)")
    p.add_argument("--port-file", help="write the bound port here")
    p.add_argument("--fail-file",
                   help="refuse mail while this file exists")
    p.add_argument("--fail-at", choices=("rcpt", "data"), default="data")
    p.add_argument("--auth", metavar="USER:PASSWORD",
                   help="require SMTP AUTH with these credentials")
    p.add_argument("dir", help="directory receiving the messages")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    try:
        asyncio.run(serve(args))
    except OSError as e:
        print(f"smtp_sink: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
