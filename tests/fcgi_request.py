#!/usr/bin/python3
"""One request straight to the authd FastCGI socket, without nginx.

usage: fcgi_request.py SOCKET METHOD PATH [BODY] [NAME=VALUE...]

For tests that need what nginx never passes on from a loopback client,
such as an IPv6 client address (HTTP_X_REAL_IP=2001:db8::1). Sends the
usual FastCGI parameters (REQUEST_METHOD, PATH_INFO, CONTENT_TYPE
application/json, CONTENT_LENGTH, REMOTE_ADDR 127.0.0.1) plus the NAME=VALUE
pairs given, and prints the HTTP status of the answer on the first line,
then its body. Standard library only.
"""

import socket
import struct
import sys

BEGIN, END, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6


def record(kind, content, rid=1):
    return struct.pack("!BBHHBx", 1, kind, rid, len(content), 0) + content


def pair(k, v):
    def n(x):
        return bytes([len(x)]) if len(x) < 128 else struct.pack("!I", len(x) | 1 << 31)
    return n(k) + n(v) + k + v


def main():
    sock, method, path = sys.argv[1:4]
    rest = sys.argv[4:]
    body = b""
    if rest and "=" not in rest[0].split("{", 1)[0]:
        body = rest.pop(0).encode()
    params = {"REQUEST_METHOD": method, "PATH_INFO": path,
              "SCRIPT_NAME": "", "QUERY_STRING": "",
              "CONTENT_TYPE": "application/json",
              "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1",
              "SERVER_PROTOCOL": "HTTP/1.1"}
    for kv in rest:
        k, v = kv.split("=", 1)
        params[k] = v
    p = b"".join(pair(k.encode(), v.encode()) for k, v in params.items())
    msg = record(BEGIN, struct.pack("!HB5x", 1, 0)) + record(PARAMS, p) + \
        record(PARAMS, b"")
    if body:
        msg += record(STDIN, body)
    msg += record(STDIN, b"")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock)
    s.sendall(msg)
    data, out = b"", b""
    while True:
        while len(data) < 8:
            chunk = s.recv(65536)
            if not chunk:
                sys.exit("fcgi_request: connection closed early")
            data += chunk
        _, kind, _, clen, plen = struct.unpack("!BBHHB", data[:7])
        while len(data) < 8 + clen + plen:
            chunk = s.recv(65536)
            if not chunk:
                sys.exit("fcgi_request: connection closed early")
            data += chunk
        content, data = data[8:8 + clen], data[8 + clen + plen:]
        if kind == STDOUT:
            out += content
        elif kind == END:
            break
    s.close()
    head, _, resp_body = out.partition(b"\r\n\r\n")
    status = "200"
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"status:"):
            status = line.split(b":", 1)[1].split()[0].decode()
    print(status)
    sys.stdout.write(resp_body.decode("utf-8", "replace") + "\n")


if __name__ == "__main__":
    main()
