#!/usr/bin/env python3
"""A client that talks to a dualchat server the way the Python student chats do.

Like them it uses only the standard library, sends each command with one socket.send() and no
terminator ("<connect>alice", "<set_msg_all>hi", ...), and pauses briefly between sends. Unlike them
it records what it sent and received and prints that as one JSON object, for a test to check.

Usage: python_chat_client.py HOST PORT STEP...
  send:TEXT     send TEXT as is (one send(), no terminator), then pause
  expect:PREFIX wait (up to 10 s) for a received line starting with PREFIX, after the last one matched

Output (stdout): {"ok": bool, "error": str|null, "sent": [...], "received": [...lines...]}
"""
import json
import socket
import sys
import time

PAUSE_BETWEEN_SENDS_S = 0.1  # what the Python chats do between two commands
EXPECT_TIMEOUT_S = 10.0
RECV_SIZE = 1024  # the Python chats read with recv(1024)


class Session:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=5)
        self.sock.settimeout(0.05)
        self.pending = b""
        self.received = []
        self.sent = []
        self.matched = 0  # received[:matched] have been consumed by expect steps
        self.closed = False

    def send(self, text):
        self.sock.send(text.encode("utf-8"))
        self.sent.append(text)
        time.sleep(PAUSE_BETWEEN_SENDS_S)

    def pump(self):
        if self.closed:
            return
        try:
            data = self.sock.recv(RECV_SIZE)
        except socket.timeout:
            return
        if not data:
            self.closed = True
            return
        self.pending += data
        while b"\n" in self.pending:
            line, self.pending = self.pending.split(b"\n", 1)
            self.received.append(line.decode("utf-8", errors="replace"))

    def expect(self, prefix):
        deadline = time.monotonic() + EXPECT_TIMEOUT_S
        while True:
            for i in range(self.matched, len(self.received)):
                if self.received[i].startswith(prefix):
                    self.matched = i + 1
                    return None
            if self.closed:
                return "connection closed while waiting for %r" % prefix
            if time.monotonic() > deadline:
                return "timed out waiting for %r" % prefix
            self.pump()


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    host, port, steps = argv[1], int(argv[2]), argv[3:]
    session = Session(host, port)
    error = None
    for step in steps:
        kind, _, arg = step.partition(":")
        if kind == "send":
            session.send(arg)
        elif kind == "expect":
            error = session.expect(arg)
        else:
            error = "unknown step %r" % step
        if error is not None:
            break
    session.sock.close()
    print(json.dumps({"ok": error is None, "error": error, "sent": session.sent, "received": session.received}))
    return 0 if error is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
