"""The message store under SIGKILL: a tool delivers messages in a loop
(several threads, random sizes, some streamed through temporary files) and is
killed at random moments, many times. After each kill the account is opened
again (which removes what the crash left behind) and every delivery that had
been acknowledged must be present and byte-identical, with the consistency
check passing. At the end `tern verifydata` finds nothing to complain about.
"""

import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time

from harness import REPO, SANITIZER_PATTERNS, run_tern, tern_env

DELIVERLOOP = os.path.join(REPO, "build", "asan", "tools", "deliverloop")
ROUNDS = int(os.environ.get("TERN_CRASH_ROUNDS", "25"))
THREADS = 4


def run_round(datadir, seed, rnd):
    p = subprocess.Popen([DELIVERLOOP, "run", datadir, "mjl", str(THREADS), str(seed)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tern_env())
    first = p.stdout.readline()
    assert first == b"ready\n", (first, p.stderr.read())
    # Kill at a random moment: sometimes almost at once, sometimes well into the run.
    time.sleep(rnd.choice([0.005, 0.02]) if rnd.random() < 0.25 else rnd.uniform(0.05, 0.5))
    p.send_signal(signal.SIGKILL)
    out, err = p.communicate(timeout=30)
    assert p.returncode == -signal.SIGKILL, (p.returncode, err.decode(errors="replace"))
    assert not SANITIZER_PATTERNS.search(err.decode(errors="replace"))
    # A line cut by the kill was never completely printed: it does not count.
    lines = out.decode().split("\n")[:-1]
    return [line + "\n" for line in lines if line.startswith("ack ")]


def verify(datadir, acks):
    p = subprocess.run([DELIVERLOOP, "verify", datadir, "mjl"], input="".join(acks),
                       capture_output=True, text=True, env=tern_env(), timeout=120)
    assert not SANITIZER_PATTERNS.search(p.stderr), p.stderr
    assert p.returncode == 0, "verify failed:\n%s%s" % (p.stdout[-4000:], p.stderr[-4000:])
    assert p.stdout.strip() == "verified %d" % len(acks), p.stdout
    return p.stderr


def test_acknowledged_deliveries_survive_sigkill():
    assert os.path.exists(DELIVERLOOP), "build the tools first (make check-build)"
    datadir = tempfile.mkdtemp(prefix="tern-crash-")
    rnd = random.Random(int(os.environ.get("TERN_CRASH_SEED", "0")) or None)
    try:
        acks = []
        cleaned = 0
        for i in range(ROUNDS):
            acks += run_round(datadir, i + 1, rnd)
            log = verify(datadir, acks)
            # The reopen cleans what interrupted deliveries left.
            cleaned += len(re.findall(r"removed (leftover temporary file|message file not in index)", log))
        assert len(acks) > ROUNDS, "too few deliveries to mean anything: %d" % len(acks)
        # With this many kills some landed in the middle of a delivery.
        assert cleaned > 0
        p = run_tern(["verifydata", datadir])
        assert p.returncode == 0, p.stdout + p.stderr
        assert "no problems found" in p.stdout
    finally:
        shutil.rmtree(datadir, ignore_errors=True)
