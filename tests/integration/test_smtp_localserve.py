"""tern localserve's SMTP behaviour (mox localserve's): unknown addresses are
accepted for the local account, and special localparts fail on purpose."""

import os
import re
import signal
import smtplib
import socket
import subprocess
import time

import pytest

from harness import SANITIZER_PATTERNS, TERN_BIN, free_port, run_tern, tern_env


@pytest.fixture
def localserve(tmp_path):
    d = str(tmp_path / "ls")
    p = run_tern(["localserve", "-dir", d, "-initonly"])
    assert p.returncode == 0, p.stderr
    conf = os.path.join(d, "tern.conf")
    text = open(conf).read()
    # Free ports instead of the fixed +1000 ones, so tests never collide.
    ports = {}

    def repl(m):
        port = ports.setdefault(m.group(1), free_port())
        return "Port: %d" % port

    text = re.sub(r"Port: (\d+)", repl, text)
    open(conf, "w").write(text)
    log = open(str(tmp_path / "ls.log"), "wb")
    proc = subprocess.Popen([TERN_BIN, "localserve", "-dir", d], stdout=log, stderr=subprocess.STDOUT,
                            env=tern_env())
    smtp = ports["1025"]
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", smtp), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    proc.smtp_port = smtp
    proc.submission_port = ports["1587"]
    yield proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    log.close()
    out = open(str(tmp_path / "ls.log"), "rb").read().decode("utf-8", "replace")
    assert not SANITIZER_PATTERNS.search(out), out
    assert proc.returncode == 0, out


def test_localserve_special_localparts(localserve):
    with smtplib.SMTP("127.0.0.1", localserve.smtp_port, timeout=20) as s:
        s.ehlo("client.example")
        assert s.mail("mailfrom451@peer.example") == \
            (451, b"4.0.0 failure with code 451, as the localpart asks")
        assert s.mail("a@peer.example")[0] == 250
        assert s.rcpt("rcpttopermerror@anywhere.example") == \
            (550, b"5.0.0 failure with code 550, as the localpart asks")
        # Unknown addresses at any domain are accepted for the localserve account.
        assert s.rcpt("nobody@anywhere.example")[0] == 250
        assert s.rcpt("x-421@anywhere.example")[0] == 250
        code, msg = s.data(b"Subject: x\r\n\r\nx\r\n")
        assert (code, msg) == (421, b"4.0.0 failure with code 421, as the localpart asks")


def test_localserve_timeout_localpart(localserve):
    s = socket.create_connection(("127.0.0.1", localserve.smtp_port), timeout=20)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"EHLO c\r\nMAIL FROM:<a@peer.example>\r\nRCPT TO:<rcpttotimeout@x.example>\r\n")
    while not f.readline().startswith(b"250 HELP"):
        pass
    assert f.readline().startswith(b"250 2.1.0")
    s.settimeout(2)
    with pytest.raises(socket.timeout):
        f.readline()  # no answer to the RCPT
    s.close()
    # Others are served meanwhile.
    with smtplib.SMTP("127.0.0.1", localserve.smtp_port, timeout=20) as c:
        assert c.noop()[0] == 250


def test_localserve_submission_plain(localserve):
    with smtplib.SMTP("127.0.0.1", localserve.submission_port, timeout=20) as s:
        s.ehlo("client.example")
        # Plain text submission is allowed on localserve (NoRequireSTARTTLS).
        code, msg = s.mail("tern@localhost")
        assert code == 530, msg
