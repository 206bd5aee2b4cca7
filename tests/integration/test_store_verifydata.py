"""tern verifydata: a clean data directory passes; unknown, missing and
truncated files, leftover temporary files and damaged counts are reported;
-fix moves unknown message files away and removes temporary files."""

import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time

from harness import REPO, run_tern, tern_env

DELIVERLOOP = os.path.join(REPO, "build", "asan", "tools", "deliverloop")


def make_account(datadir):
    p = subprocess.Popen([DELIVERLOOP, "run", datadir, "mjl", "2", "7"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=tern_env())
    assert p.stdout.readline() == b"ready\n"
    time.sleep(0.3)
    p.send_signal(signal.SIGKILL)
    out, _ = p.communicate(timeout=30)
    acks = [l + "\n" for l in out.decode().split("\n")[:-1] if l.startswith("ack ")]
    v = subprocess.run([DELIVERLOOP, "verify", datadir, "mjl"], input="".join(acks),
                       capture_output=True, text=True, env=tern_env(), timeout=60)
    assert v.returncode == 0, v.stdout + v.stderr
    return [l.split() for l in acks]


def test_verifydata_reports_and_fixes():
    datadir = tempfile.mkdtemp(prefix="tern-verify-")
    try:
        acks = make_account(datadir)
        assert len(acks) > 3
        p = run_tern(["verifydata", datadir])
        assert p.returncode == 0, p.stdout + p.stderr
        assert p.stdout.endswith("no problems found\n")

        acct = os.path.join(datadir, "accounts", "mjl")
        msg = os.path.join(acct, "msg")
        # An unknown message file (as an interrupted delivery leaves), in its right directory.
        os.makedirs(os.path.join(msg, "f4"), exist_ok=True)
        with open(os.path.join(msg, "f4", "999999"), "w") as f:
            f.write("orphan")
        with open(os.path.join(msg, "0", "junk"), "w") as f:
            f.write("?")
        with open(os.path.join(acct, "tmp", "leftover"), "w") as f:
            f.write("partial")
        # An indexed file removed, another truncated.
        files = sorted({int(a[4]) for a in acks})
        gone, short = files[0], files[1]
        os.unlink(os.path.join(msg, "%x" % (gone >> 12), str(gone)))
        with open(os.path.join(msg, "%x" % (short >> 12), str(short)), "r+") as f:
            f.truncate(3)
        # Damaged counts.
        db = sqlite3.connect(os.path.join(acct, "index.db"))
        db.execute("UPDATE mailboxes SET unseen = unseen + 5 WHERE name = 'Inbox'")
        db.commit()
        db.close()

        p = run_tern(["verifydata", datadir])
        assert p.returncode == 1
        out = p.stdout
        assert "message file %s/f4/999999 not in the index" % msg in out
        assert "unrecognized file %s/0/junk" % msg in out
        assert "leftover temporary file %s/tmp/leftover" % acct in out
        assert "file %d: %s/%x/%d: No such file or directory" % (gone, msg, gone >> 12, gone) in out
        assert "file %d: %s/%x/%d has 3 bytes" % (short, msg, short >> 12, short) in out
        assert "mailbox Inbox: count unseen is" in out
        assert "problems found" in p.stderr

        p = run_tern(["verifydata", "-skip-size-check", datadir])
        assert "has 3 bytes" not in p.stdout

        p = run_tern(["verifydata", "-fix", datadir])
        assert p.returncode == 1
        moved = os.path.join(datadir, "moved", "accounts", "mjl", "msg", "f4", "999999")
        assert os.path.exists(moved)
        assert not os.path.exists(os.path.join(msg, "f4", "999999"))
        assert not os.path.exists(os.path.join(acct, "tmp", "leftover"))
        p = run_tern(["verifydata", datadir])
        assert "not in the index" not in p.stdout
        assert "leftover" not in p.stdout
    finally:
        shutil.rmtree(datadir, ignore_errors=True)


def test_verifydata_usage_and_empty_dir():
    p = run_tern(["verifydata"])
    assert p.returncode == 2 and "usage: tern verifydata" in p.stderr
    d = tempfile.mkdtemp(prefix="tern-verify-")
    try:
        p = run_tern(["verifydata", d])
        assert p.returncode == 0, p.stderr
        p = run_tern(["help", "verifydata"])
        assert p.stdout.startswith("usage: tern verifydata [-fix] [-skip-size-check] $datadir")
    finally:
        shutil.rmtree(d)
