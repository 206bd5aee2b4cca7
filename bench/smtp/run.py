#!/usr/bin/python3
"""SMTP delivery benchmark: tern against Postfix, in the same run.

smtp-source (Debian's postfix package) sends MESSAGES messages of about
SIZE bytes over SESSIONS parallel sessions to tern (delivering durably into
one account of its message store) and then to a private Postfix instance
delivering to a Maildir. The time runs from the first connection until the
last message is in the mailbox (tern: a row in the account's index; Postfix:
a file in Maildir/new). Both fsync: tern's store writes and fsyncs each
message file and its directory and commits with SQLite synchronous=FULL;
Postfix fsyncs its queue files and Maildir deliveries by default.

Usage: bench/smtp/run.py [-m MESSAGES] [-s SESSIONS] [-l SIZE] [-k] [-r RUNS]
  -k keeps the scratch directory. Needs the release build (make) and postfix.
"""

import argparse
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from postfix import Postfix, free_port  # noqa: E402

TERN = os.path.join(REPO, "tern")


def run_user():
    return "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def start_tern(work, port):
    conf = os.path.join(work, "config")
    os.makedirs(conf)
    with open(os.path.join(conf, "tern.conf"), "w") as f:
        f.write("DataDir: ../data\nUser: %s\nLogLevel: error\nHostname: mail.test.example\n"
                "Listeners:\n\tbench:\n\t\tIPs:\n\t\t\t- 127.0.0.1\n\t\tSMTP:\n"
                "\t\t\tEnabled: true\n\t\t\tPort: %d\n\t\t\tNoSTARTTLS: true\n"
                "Postmaster:\n\tAccount: user1\n\tMailbox: Postmaster\n" % (run_user(), port))
    with open(os.path.join(conf, "domains.conf"), "w") as f:
        f.write("Domains:\n\ttest.example: nil\nAccounts:\n\tuser1:\n\t\tDomain: test.example\n"
                "\t\tDestinations:\n\t\t\tuser1@test.example: nil\n")
    log = open(os.path.join(work, "tern.log"), "wb")
    proc = subprocess.Popen([TERN, "-config", os.path.join(conf, "tern.conf"), "serve"],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, os.path.join(work, "data", "accounts", "user1", "index.db")
        except OSError:
            time.sleep(0.05)
    raise SystemExit("tern did not start; see %s" % log.name)


def tern_count(db):
    if not os.path.exists(db):
        return 0
    try:
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
        try:
            return con.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:
        return 0


def measure(name, port, count_fn, args):
    cmd = ["smtp-source", "-s", str(args.sessions), "-m", str(args.messages), "-l", str(args.size),
           "-f", "sender@peer.example", "-t", "user1@test.example", "127.0.0.1:%d" % port]
    start = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    sent = time.monotonic()
    if p.returncode != 0:
        raise SystemExit("%s: smtp-source failed: %s%s" % (name, p.stdout, p.stderr))
    deadline = sent + 600
    n = count_fn()
    while n < args.messages and time.monotonic() < deadline:
        time.sleep(0.02)
        n = count_fn()
    end = time.monotonic()
    if n < args.messages:
        raise SystemExit("%s: only %d of %d messages arrived" % (name, n, args.messages))
    rate = args.messages / (end - start)
    print("%-8s %6d messages in %6.2fs (smtp-source done after %6.2fs): %8.1f msg/s"
          % (name, args.messages, end - start, sent - start, rate), flush=True)
    return rate


def one_run(args, work):
    tern_port = free_port()
    proc, db = start_tern(os.path.join(work, "tern"), tern_port)
    try:
        tern_rate = measure("tern", tern_port, lambda: tern_count(db), args)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    pf = Postfix(os.path.join(work, "postfix"), maildir_users=["user1"],
                 message_size_limit=max(10240000, args.size * 2)).start()
    try:
        pf_rate = measure("postfix", pf.port, lambda: pf.maildir_count("user1"), args)
    finally:
        pf.stop()
    return tern_rate, pf_rate


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-m", "--messages", type=int, default=20000)
    ap.add_argument("-s", "--sessions", type=int, default=20)
    ap.add_argument("-l", "--size", type=int, default=5000)
    ap.add_argument("-r", "--runs", type=int, default=1)
    ap.add_argument("-k", "--keep", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(TERN):
        raise SystemExit("build tern first: make")
    if not shutil.which("smtp-source") and not os.path.exists("/usr/sbin/smtp-source"):
        raise SystemExit("smtp-source missing: scripts/deps.sh installs postfix")
    os.environ["PATH"] += ":/usr/sbin"
    print("%d messages of %d bytes over %d sessions, %d run(s); tern %s" % (
        args.messages, args.size, args.sessions, args.runs, TERN), flush=True)
    results = []
    for i in range(args.runs):
        work = tempfile.mkdtemp(prefix="tern-bench-smtp-")
        os.chmod(work, 0o755)
        try:
            results.append(one_run(args, work))
        finally:
            if args.keep:
                print("kept", work)
            else:
                shutil.rmtree(work, ignore_errors=True)
    for tern_rate, pf_rate in results:
        print("tern %.1f msg/s, postfix %.1f msg/s, ratio tern/postfix %.2f"
              % (tern_rate, pf_rate, tern_rate / pf_rate))


if __name__ == "__main__":
    main()
