#!/usr/bin/python3
"""IMAP benchmark: tern against Dovecot, in the same run.

Builds imapload (bench/imap/imapload.c) with cc -O2 into a scratch directory,
starts tern (an IMAP listener without TLS, one account with a password) and a
private Dovecot (Maildir, Debian's fsync defaults, login service in
high-performance mode), one after the other so they never share the CPU,
populates each with the same messages generated from the seed (APPEND over
IMAP), and runs the same mixed workload with CLIENTS concurrent clients for
DURATION seconds against each. Prints ops/s per server and the ratio
tern/dovecot. With --idle K it then holds K idle connections (LOGIN, SELECT
INBOX, IDLE) against each and prints the server's resident memory.

Usage: bench/imap/run.py [-c CLIENTS] [-d SECONDS] [-n MESSAGES] [-r RUNS]
  [--only tern|dovecot] [--idle K] [--tern BINARY] [--tern-host H --tern-port P
  --tern-pid PID] [-k]
  -k keeps the scratch directory. Needs the release build (make) and dovecot-imapd.
"""

import argparse
import os
import pwd
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from dovecot import Dovecot, free_port  # noqa: E402

# Idle connections come from several loopback addresses, as real clients come from many: tern
# refuses more than TERN_MAX_PER_IP connections from one IP (src/server/setup.h) and more than
# TERN_MAX_PER_ACCOUNT IMAP connections of one account (src/imap/server.h), so they are spread
# over --idle-users accounts too.
TERN_MAX_PER_IP = 200
TERN_MAX_PER_ACCOUNT = 1000
CONNS_PER_SOURCE = 100

USER = "user1@test.example"
PASSWORD = "bench-secret-1234"


def run_user():
    return "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


def build_imapload(work):
    out = os.path.join(work, "imapload")
    subprocess.run(["cc", "-O2", "-std=gnu17", "-Wall", "-Wextra", "-o", out,
                    os.path.join(HERE, "imapload.c"), "-lssl", "-lcrypto", "-lpthread"],
                   check=True)
    return out


def idle_user(i):
    return USER.replace("user1@", "user%d@" % i)


class Tern:
    def __init__(self, binary, work, accounts=1):
        self.binary = binary
        self.dir = work
        self.port = free_port()
        self.conf = os.path.join(work, "config", "tern.conf")
        os.makedirs(os.path.dirname(self.conf))
        os.chmod(work, 0o755)
        with open(self.conf, "w") as f:
            f.write("DataDir: ../data\nUser: %s\nLogLevel: error\nHostname: mail.test.example\n"
                    "Listeners:\n\tbench:\n\t\tIPs:\n\t\t\t- 127.0.0.1\n\t\tIMAP:\n"
                    "\t\t\tEnabled: true\n\t\t\tPort: %d\n\t\t\tNoRequireSTARTTLS: true\n"
                    "Postmaster:\n\tAccount: user1\n\tMailbox: Postmaster\n"
                    % (run_user(), self.port))
        with open(os.path.join(os.path.dirname(self.conf), "domains.conf"), "w") as f:
            f.write("Domains:\n\ttest.example: nil\nAccounts:\n")
            for i in range(1, accounts + 1):
                f.write("\tuser%d:\n\t\tDomain: test.example\n\t\tDestinations:\n"
                        "\t\t\t%s: nil\n" % (i, idle_user(i)))
        for i in range(1, accounts + 1):
            p = subprocess.run([binary, "-config", self.conf, "setaccountpassword", "user%d" % i],
                               input=PASSWORD + "\n", capture_output=True, text=True)
            if p.returncode != 0:
                raise SystemExit("tern setaccountpassword failed: %s%s" % (p.stdout, p.stderr))
        self.proc = None

    def start(self):
        log = open(os.path.join(self.dir, "tern.log"), "wb")
        self.proc = subprocess.Popen([self.binary, "-config", self.conf, "serve"],
                                     stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("tern exited; see %s" % log.name)
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise SystemExit("tern did not start; see %s" % log.name)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Running:
    """A server someone else started (--tern-host/--tern-port): not started, not stopped."""

    def __init__(self, host, port, pid):
        self.host, self.port, self.pid = host, port, pid

    def start(self):
        return self

    def stop(self):
        pass


def imapload(tool, mode, server, args, extra, log, user=None):
    cmd = [tool, mode, "-H", getattr(server, "host", "127.0.0.1"), "-P", str(server.port),
           "-u", user or args.user, "-w", args.password, "-s", str(args.seed)] + extra
    if server.pid:
        cmd += ["-p", str(server.pid)]
    print("$ " + " ".join(cmd), file=log, flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    log.write(p.stdout + p.stderr)
    log.flush()
    result = {}
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            result = dict(kv.split("=", 1) for kv in line.split()[1:])
    return p, result


def measure(name, server, tool, args, work):
    """Populate, then the mixed load; returns ops/s (None when the server failed)."""
    log = open(os.path.join(work, "imapload-%s.log" % name), "a")
    common = ["-c", str(args.clients), "-m", "load"]
    if args.populate:
        p, _ = imapload(tool, "populate", server, args, common + ["-n", str(args.messages)], log)
        print("%-8s %s" % (name, p.stdout.strip()), flush=True)
        if p.returncode != 0:
            print("%-8s populate FAILED:\n%s" % (name, indent(p.stderr)), flush=True)
            return None
    p, res = imapload(tool, "load", server, args, common + ["-d", str(args.duration)], log)
    print("%-8s mixed load:\n%s" % (name, indent(p.stdout)), flush=True)
    if p.returncode != 0 or not res:
        print("%-8s load FAILED (exit %d):\n%s" % (name, p.returncode, indent(p.stderr)),
              flush=True)
        return None
    return float(res["ops_per_s"])


def idle_hold(name, server, tool, args, work):
    log = open(os.path.join(work, "imapload-%s.log" % name), "a")
    users = [args.user] if args.idle_users == 1 else [idle_user(i)
                                                       for i in range(1, args.idle_users + 1)]
    for user in users if args.populate else []:
        p, _ = imapload(tool, "populate", server, args, ["-c", "1", "-n", "10", "-m", "idle"],
                        log, user)
        if p.returncode != 0:
            print("%-8s populate FAILED:\n%s" % (name, indent(p.stderr)), flush=True)
            return None
    extra = ["-k", str(args.idle), "-h", str(args.hold), "-S", str(args.sources),
             "-U", str(args.idle_users)]
    p, res = imapload(tool, "idle", server, args, extra, log,
                      None if args.idle_users == 1 else idle_user(0).replace("0@", "%d@"))
    print("%-8s idle hold:\n%s" % (name, indent(p.stdout)), flush=True)
    if p.returncode != 0:
        print("%-8s idle FAILED:\n%s" % (name, indent(p.stderr)), flush=True)
    return res


def indent(text):
    return "".join("    " + line + "\n" for line in text.strip().splitlines())


def one_server(name, make, tool, args, work):
    """The mixed load on a fresh server, then (--idle) the idle hold on another fresh one."""
    rate = idle = None
    if args.duration > 0:
        server = make("load").start()
        try:
            rate = measure(name, server, tool, args, work)
        finally:
            server.stop()
    if args.idle:
        server = make("idle").start()
        try:
            idle = idle_hold(name, server, tool, args, work)
        finally:
            server.stop()
    return rate, idle


def one_run(args, tool, work):
    out = {}
    if args.only in (None, "tern"):
        if args.tern_port:
            def make(phase):
                return Running(args.tern_host, args.tern_port, args.tern_pid)
        else:
            def make(phase):
                return Tern(args.tern, os.path.join(work, "tern-" + phase),
                            args.idle_users if phase == "idle" else 1)
        out["tern"] = one_server("tern", make, tool, args, work)
    if args.only in (None, "dovecot"):
        def make(phase):
            # The load runs with Debian's process per connection; the idle hold with
            # --dovecot-idle-client-limit connections per imap process.
            limit = args.dovecot_idle_client_limit if phase == "idle" else 1
            d = os.path.join(work, "dovecot-" + phase)
            users = {idle_user(i): PASSWORD for i in range(1, args.idle_users + 1)}
            return Dovecot(d, users, maxconn=max(args.idle, 1000) + 2000,
                           imap_client_limit=limit)
        out["dovecot"] = one_server("dovecot", make, tool, args, work)
    return out


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-c", "--clients", type=int, default=20)
    ap.add_argument("-d", "--duration", type=float, default=30)
    ap.add_argument("-n", "--messages", type=int, default=10000)
    ap.add_argument("-r", "--runs", type=int, default=1)
    ap.add_argument("-s", "--seed", type=int, default=1)
    ap.add_argument("-k", "--keep", action="store_true")
    ap.add_argument("--only", choices=["tern", "dovecot"])
    ap.add_argument("--idle", type=int, default=0, help="also hold this many idle connections")
    ap.add_argument("--hold", type=float, default=10, help="seconds to hold idle connections")
    ap.add_argument("--sources", type=int, default=0,
                    help="loopback source addresses for idle connections (127.0.0.1..N); "
                    "default: one per %d connections, as tern allows %d per IP"
                    % (CONNS_PER_SOURCE, TERN_MAX_PER_IP))
    ap.add_argument("--idle-users", type=int, default=20,
                    help="accounts the idle connections are spread over (tern allows "
                    "%d IMAP connections per account)" % TERN_MAX_PER_ACCOUNT)
    ap.add_argument("--dovecot-idle-client-limit", type=int, default=100,
                    help="connections per Dovecot imap process in --idle runs (Debian: 1)")
    ap.add_argument("--tern", default=os.path.join(REPO, "tern"), help="tern binary")
    ap.add_argument("--tern-host", default="127.0.0.1")
    ap.add_argument("--tern-port", type=int, help="benchmark an already running server")
    ap.add_argument("--tern-pid", type=int, default=0, help="its pid, for CPU and memory")
    ap.add_argument("--user", default=USER, help="with --tern-port: login name")
    ap.add_argument("--password", default=PASSWORD, help="with --tern-port: password")
    ap.add_argument("--no-populate", dest="populate", action="store_false",
                    help="with --tern-port: the mailboxes load1..loadN exist already")
    args = ap.parse_args()
    if args.only != "dovecot" and not args.tern_port and not os.path.exists(args.tern):
        raise SystemExit("build tern first: make (or --tern BINARY)")
    if args.only != "tern" and not shutil.which("dovecot"):
        raise SystemExit("dovecot missing: apt-get install dovecot-imapd")
    if args.tern_port and args.idle and args.idle_users != 1:
        raise SystemExit("with --tern-port: --idle-users 1 (or create user1..userN yourself)")
    if (args.user != USER or args.password != PASSWORD) and args.only != "tern":
        raise SystemExit("--user/--password are for an already running server: add --only tern")
    if args.idle:
        if args.sources <= 0:
            args.sources = min(254, max(1, -(-args.idle // CONNS_PER_SOURCE)))
        nofile = raise_nofile()
        if nofile < args.idle + 100:
            raise SystemExit("open files limit %d is below %d idle connections" % (nofile, args.idle))
    print("%d clients, %ds, %d messages, seed %d, %d run(s)%s" % (
        args.clients, args.duration, args.messages, args.seed, args.runs,
        ", %d idle connections" % args.idle if args.idle else ""), flush=True)
    results = []
    for _ in range(args.runs):
        work = tempfile.mkdtemp(prefix="tern-bench-imap-")
        os.chmod(work, 0o755)
        try:
            tool = build_imapload(work)
            results.append(one_run(args, tool, work))
        finally:
            if args.keep:
                print("kept", work)
            else:
                shutil.rmtree(work, ignore_errors=True)
    failed = False
    for i, res in enumerate(results):
        rates = {k: v[0] for k, v in res.items()} if args.duration > 0 else {}
        line = ", ".join("%s %s ops/s" % (k, "FAILED" if v is None else "%.1f" % v)
                         for k, v in rates.items())
        if rates.get("tern") and rates.get("dovecot"):
            line += ", ratio tern/dovecot %.2f" % (rates["tern"] / rates["dovecot"])
        if rates:
            print("run %d: %s" % (i + 1, line))
        failed = failed or any(v is None for v in rates.values())
        for k, v in res.items():
            idle = v[1]
            if idle:
                print("run %d: %s idle: %s of %s alive, RSS %s MB, PSS %s MB, %s processes"
                      % (i + 1, k, idle.get("alive"), idle.get("idle_conns"),
                         idle.get("rss_mb"), idle.get("pss_mb"), idle.get("procs")))
                failed = failed or idle.get("alive") != idle.get("idle_conns")
            elif args.idle:
                failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
