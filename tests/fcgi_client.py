#!/usr/bin/python3
"""A minimal FastCGI client: one request straight to a worker socket,
without nginx, for the tests that talk to one pool directly.

usage: fcgi_client.py SOCKET METHOD PATH [NAME=VALUE...] < BODY

Sends the parameters a request needs (REQUEST_METHOD, PATH_INFO,
CONTENT_LENGTH, CONTENT_TYPE application/json, REMOTE_ADDR) plus the
NAME=VALUE pairs given, and the body read from standard input. Prints
the status code on the first line, then the headers and the body as the
application wrote them. Exits 1 when no complete answer came within 30 s.
"""
import socket
import struct
import sys

BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6


def record(rtype, content, rid=1):
    return struct.pack("!BBHHBx", 1, rtype, rid, len(content), 0) + content


def pair(name, value):
    n, v = name.encode(), value.encode()
    out = b""
    for x in (n, v):
        out += bytes([len(x)]) if len(x) < 128 else struct.pack("!I", len(x) | 0x80000000)
    return out + n + v


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    sock, method, path = sys.argv[1:4]
    body = sys.stdin.buffer.read()
    params = {"REQUEST_METHOD": method, "PATH_INFO": path,
              "CONTENT_LENGTH": str(len(body)),
              "CONTENT_TYPE": "application/json", "REMOTE_ADDR": "127.0.0.1"}
    for kv in sys.argv[4:]:
        k, _, v = kv.partition("=")
        params[k] = v
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock)
    data = record(BEGIN, struct.pack("!HB5x", 1, 0))
    data += record(PARAMS, b"".join(pair(k, v) for k, v in params.items()))
    data += record(PARAMS, b"")
    for i in range(0, len(body), 65535):
        data += record(STDIN, body[i:i + 65535])
    data += record(STDIN, b"")
    s.sendall(data)
    buf, out = b"", b""
    while True:
        while len(buf) >= 8:
            _, rtype, _, clen, plen = struct.unpack("!BBHHB", buf[:7])
            if len(buf) < 8 + clen + plen:
                break
            content = buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if rtype == STDOUT:
                out += content
            elif rtype == END:
                head = out.split(b"\r\n", 1)[0].decode()
                code = head.split()[1] if head.startswith("Status:") else "200"
                print(code)
                sys.stdout.write(out.decode(errors="replace"))
                return 0
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    sys.exit("fcgi_client: no complete answer")


if __name__ == "__main__":
    sys.exit(main())
