"""tern backup: while the server runs and another process delivers to an
account in a loop, the backup made through the server holds every message
acknowledged before it started, hard-linked, and `tern verifydata` finds the
backup clean; existing files are never overwritten; without a server the
command makes the backup itself."""

import filecmp
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from harness import REPO, SANITIZER_PATTERNS, run_tern, run_user, tern_env

DELIVERLOOP = os.path.join(REPO, "build", "asan", "tools", "deliverloop")


def as_user(name):
    """preexec_fn running a child as the server's user (when we are root)."""
    if os.geteuid() != 0:
        return None
    pw = pwd.getpwnam(name)

    def drop():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    return drop


class Loop:
    """deliverloop run in the background, its acknowledgements collected."""

    def __init__(self, datadir, user):
        self.acks = []
        self.lock = threading.Lock()
        self.p = subprocess.Popen([DELIVERLOOP, "run", datadir, "mjl", "2", "11"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=tern_env(), preexec_fn=as_user(user))
        assert self.p.stdout.readline() == b"ready\n"
        self.t = threading.Thread(target=self.read, daemon=True)
        self.t.start()

    def read(self):
        for line in self.p.stdout:
            if line.startswith(b"ack ") and line.endswith(b"\n"):
                with self.lock:
                    self.acks.append(line.decode())

    def snapshot(self):
        with self.lock:
            return list(self.acks)

    def wait_acks(self, n, timeout=60):
        deadline = time.time() + timeout
        while len(self.snapshot()) < n:
            assert time.time() < deadline, "deliverloop acknowledged too little"
            assert self.p.poll() is None, self.p.stderr.read()
            time.sleep(0.05)

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        _, err = self.p.communicate(timeout=30)
        self.t.join(timeout=10)
        assert not SANITIZER_PATTERNS.search(err.decode(errors="replace"))


def verify_backup(datadir, acks):
    p = subprocess.run([DELIVERLOOP, "verify", datadir, "mjl"], input="".join(acks),
                       capture_output=True, text=True, env=tern_env(), timeout=120)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert p.stdout.strip() == "verified %d" % len(acks)
    p = run_tern(["verifydata", datadir])
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.endswith("no problems found\n")


def writable_dir(user):
    d = tempfile.mkdtemp(prefix="tern-backup-")
    os.chmod(d, 0o755)
    if os.geteuid() == 0:
        pw = pwd.getpwnam(user)
        os.chown(d, pw.pw_uid, pw.pw_gid)
    return d


def test_backup_while_delivering(make_tern):
    t = make_tern().start()
    user = run_user()
    work = writable_dir(user)
    loop = None
    try:
        with open(os.path.join(t.data_dir, "extra.txt"), "w") as f:
            f.write("not tern's\n")
        # A message held for FUTURERELEASE (queue/hold.db names it): known, copied.
        os.makedirs(os.path.join(t.data_dir, "queue", "msg"), exist_ok=True)
        with open(os.path.join(t.data_dir, "queue", "msg", "1"), "w") as f:
            f.write("Subject: held\r\n\r\nlater\r\n")
        loop = Loop(t.data_dir, user)
        loop.wait_acks(30)
        before = loop.snapshot()
        dest = os.path.join(work, "bk")
        p = t.tern("backup", "-verbose", dest, timeout=300)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "warning: backing up unrecognized file extra.txt" in p.stdout
        assert "account accounts/mjl: index copied" in p.stdout
        assert "queue/msg/1" not in p.stdout
        assert filecmp.cmp(os.path.join(t.data_dir, "queue", "msg", "1"),
                           os.path.join(dest, "data", "queue", "msg", "1"), shallow=False)
        loop.wait_acks(len(before) + 10)
        loop.kill()
        loop = None

        assert filecmp.cmp(t.config, os.path.join(dest, "config", "tern.conf"), shallow=False)
        assert filecmp.cmp(t.domains_conf, os.path.join(dest, "config", "domains.conf"),
                           shallow=False)
        assert not os.path.exists(os.path.join(dest, "data", "ctl"))
        # Message files are hard links of the originals (same file system here).
        a = before[0].split()
        fid = int(a[4])
        rel = os.path.join("accounts", "mjl", "msg", "%x" % (fid >> 12), str(fid))
        assert os.stat(os.path.join(t.data_dir, rel)).st_ino == \
            os.stat(os.path.join(dest, "data", rel)).st_ino
        verify_backup(os.path.join(dest, "data"), before)

        # Nothing is overwritten.
        p = t.tern("backup", dest, timeout=300)
        assert p.returncode == 1
        assert "exists, not overwriting" in p.stdout + p.stderr
        t.wait_log(r"backup.*err=")
    finally:
        if loop:
            loop.kill()
        shutil.rmtree(work, ignore_errors=True)


def test_backup_without_server(make_tern):
    t = make_tern().start()
    user = run_user()
    loop = Loop(t.data_dir, user)
    loop.wait_acks(10)
    loop.kill()
    acks = loop.snapshot()
    t.stop()
    verify_backup(t.data_dir, acks)  # opening the account removes what the kill left
    work = tempfile.mkdtemp(prefix="tern-backup-")
    try:
        dest = os.path.join(work, "bk")
        p = t.tern("backup", dest, timeout=300)
        assert p.returncode == 0, p.stdout + p.stderr
        assert p.stdout == ""
        verify_backup(os.path.join(dest, "data"), acks)
        p = t.tern("backup")
        assert p.returncode == 2 and "usage: tern backup [-verbose] $destdir" in p.stderr
    finally:
        shutil.rmtree(work, ignore_errors=True)
