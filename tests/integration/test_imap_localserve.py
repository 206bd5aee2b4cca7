"""tern localserve serves IMAP on 1143 (plain text logins allowed) and IMAPS on
1993 (ports moved to free ones here) with tern@localhost / ternterntern, and
messages delivered by SMTP show up over IMAP."""

import imaplib
import os
import re
import signal
import smtplib
import socket
import ssl
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
    ports = {}

    def repl(m):
        return "Port: %d" % ports.setdefault(m.group(1), free_port())

    open(conf, "w").write(re.sub(r"Port: (\d+)", repl, text))
    log = open(str(tmp_path / "ls.log"), "wb")
    proc = subprocess.Popen([TERN_BIN, "localserve", "-dir", d], stdout=log,
                            stderr=subprocess.STDOUT, env=tern_env())
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", ports["1143"]), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    proc.ports = ports
    yield proc
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)
    log.close()
    out = open(str(tmp_path / "ls.log"), "rb").read().decode("utf-8", "replace")
    assert not SANITIZER_PATTERNS.search(out), out
    assert proc.returncode == 0, out


def test_localserve_imap_and_imaps(localserve):
    with smtplib.SMTP("127.0.0.1", localserve.ports["1025"], timeout=20) as s:
        s.sendmail("a@peer.example", ["someone@anywhere.example"],
                   b"Subject: to localserve\r\n\r\nhello\r\n")
    m = imaplib.IMAP4("127.0.0.1", localserve.ports["1143"], timeout=20)
    assert "LOGINDISABLED" not in m.capabilities
    m.login("tern@localhost", "ternterntern")
    typ, data = m.select("INBOX")
    assert typ == "OK" and int(data[0]) >= 1, data
    typ, data = m.fetch(data[0].decode(), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"Subject: to localserve" in data[0][1], data
    m.logout()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    m = imaplib.IMAP4_SSL("127.0.0.1", localserve.ports["1993"], ssl_context=ctx, timeout=20)
    assert m.login("tern@localhost", "ternterntern")[0] == "OK"
    m.logout()
