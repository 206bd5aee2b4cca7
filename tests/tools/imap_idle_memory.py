#!/usr/bin/python3
"""Measures the resident memory of tern holding N idle IMAP sessions.

Starts tern (the release build, build/release/tern) with IMAP on a free
loopback port and ACCOUNTS accounts, opens N connections from 127.0.x.y
source addresses (at most 150 per address, under the listener's per-IP
limit; at most 1000 per account, IMAP_ACCOUNT_CONNECTIONS_MAX), each
logging in, selecting INBOX and entering IDLE, and prints tern's VmRSS as
it goes. Not a test (it takes minutes: each LOGIN runs the password KDF).

Usage: tests/tools/imap_idle_memory.py [N] [ACCOUNTS]   (default 10000 10)
"""

import os
import re
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402

harness.TERN_BIN = os.path.join(harness.REPO, "build", "release", "tern")

import test_imap_session as imap  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    naccounts = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    imap.DOMAINS = "Domains:\n\ttest.example: nil\nAccounts:\n" + "".join(
        "\t%s:\n\t\tDomain: test.example\n\t\tDestinations:\n\t\t\t%s@test.example: nil\n"
        % (a, a) for a in ["mjl", "other", "nocond"] + ["acc%d" % i for i in range(naccounts)])
    t = imap.start_imap(lambda **kw: harness.Tern(name="idlemem", loglevel="info", **kw), True)
    for i in range(naccounts):
        t.tern("setaccountpassword", "acc%d" % i, input=imap.PASSWORD + "\n", check=True)
    pid = t.proc.pid

    def rss_kb():
        return int(re.search(r"VmRSS:\s+(\d+)", open("/proc/%d/status" % pid).read()).group(1))

    print("tern rss at start: %d kB" % rss_kb(), flush=True)
    socks = []
    start = time.time()
    try:
        for i in range(n):
            s = socket.socket()
            s.bind(("127.0.%d.%d" % (1 + i // 150 // 250, 2 + (i // 150) % 250), 0))
            s.connect(("127.0.0.1", t.imap_ports["imap"]))
            f = s.makefile("rb")
            f.readline()
            user = b"acc%d@test.example" % (i % naccounts)
            s.sendall(b"a LOGIN %s %s\r\nb SELECT INBOX\r\nc IDLE\r\n"
                      % (user, imap.PASSWORD.encode()))
            while True:
                line = f.readline()
                if line.startswith(b"+ "):
                    break
                if not line or line[:4] in (b"a NO", b"b NO") or b" BAD" in line[:6]:
                    raise SystemExit("connection %d: %r" % (i, line))
            socks.append((s, f))
            if (i + 1) % 1000 == 0:
                print("%d idle sessions after %.0f s: tern rss %d kB"
                      % (i + 1, time.time() - start, rss_kb()), flush=True)
        time.sleep(2)
        print("%d idle sessions: tern rss %d kB (%d threads)"
              % (len(socks), rss_kb(), len(os.listdir("/proc/%d/task" % pid))), flush=True)
    finally:
        for s, _ in socks:
            s.close()
        t.stop()
        t.cleanup()


if __name__ == "__main__":
    main()
