"""Postfix (Debian's package, a private instance on loopback) relays messages
to tern over SMTP with STARTTLS; they arrive intact in the right mailboxes."""

import hashlib
import os
import shutil
import smtplib
import sys
import tempfile
import time

import pytest

from harness import REPO, free_port
from test_smtp_server import make_cert, smtp_listeners, stored

sys.path.insert(0, os.path.join(REPO, "bench", "smtp"))
from postfix import Postfix, available  # noqa: E402

pytestmark = pytest.mark.skipif(not available(), reason="postfix not installed (scripts/deps.sh)")

DOMAINS = """Domains:
	test.example:
		LocalpartCatchallSeparator: +
		Aliases:
			list:
				Addresses:
					- mjl@test.example
					- other@test.example
				PostPublic: true
Accounts:
	mjl:
		Domain: test.example
		Destinations:
			mjl@test.example:
				Rulesets:
					-
						HeadersRegexp:
							^x-list$: ^tern-dev$
						Mailbox: Lists
	other:
		Domain: test.example
		Destinations:
			other@test.example: nil
"""


@pytest.fixture
def relay(make_tern):
    certdir = tempfile.mkdtemp(prefix="tern-it-pf-certs-")
    os.chmod(certdir, 0o755)
    cert, key = make_cert(certdir)
    ports = {"smtp": free_port(), "submission": free_port(), "submissions": free_port()}
    t = make_tern(listeners=smtp_listeners(cert, key, ports), domains=DOMAINS).start()
    work = tempfile.mkdtemp(prefix="tern-it-postfix-")
    os.chmod(work, 0o755)  # Postfix's daemons run as user postfix
    pf = Postfix(os.path.join(work, "pf"), relay_port=ports["smtp"]).start()
    yield t, pf
    pf.stop()
    log = pf.log()
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(certdir, ignore_errors=True)
    assert "fatal" not in log and "panic" not in log, log


def wait_stored(t, account, n, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        msgs = stored(t.data_dir, account)
        if len(msgs) >= n:
            return msgs
        time.sleep(0.2)
    raise AssertionError("%d of %d messages arrived for %s:\n%s" % (
        len(stored(t.data_dir, account)), n, account, t.log()[-3000:]))


def body_of(msg):
    return msg.split(b"\r\n\r\n", 1)[1]


def test_postfix_relays_to_tern_with_starttls(relay):
    t, pf = relay
    big = b"".join(b"line %06d: %s\r\n" % (i, b"x" * 60) for i in range(15000))  # ~1 MB
    cases = [
        ("mjl@test.example", b"Subject: plain\r\n\r\nhello\r\n.leading dot\r\n..two dots\r\n"),
        ("mjl+tag@test.example", b"Subject: eight bit\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                 b"Content-Transfer-Encoding: 8bit\r\n\r\ngr\xc3\xbc\xc3\x9fe\r\n"),
        ("mjl@test.example", b"Subject: to lists\r\nX-List: tern-dev\r\n\r\nfiled by a ruleset\r\n"),
        ("other@test.example", b"Subject: big\r\n\r\n" + big),
        ("list@test.example", b"Subject: to the list\r\n\r\nfor both\r\n"),
    ]
    with smtplib.SMTP("127.0.0.1", pf.port, timeout=30) as s:
        for rcpt, msg in cases:
            s.sendmail("sender@peer.example", [rcpt], msg)
    mjl = wait_stored(t, "mjl", 4)
    other = wait_stored(t, "other", 2)
    by_subject = {}
    for mailbox, msg in mjl + other:
        subject = [l for l in msg.split(b"\r\n") if l.startswith(b"Subject: ")][0]
        by_subject.setdefault(subject, []).append((mailbox, msg))
    for rcpt, sent in cases:
        subject = sent.split(b"\r\n")[0]
        for mailbox, msg in by_subject[subject]:
            # Intact: the body byte for byte (Postfix and tern only add header fields).
            assert hashlib.sha256(body_of(msg)).digest() == hashlib.sha256(body_of(sent)).digest()
            # Relayed by Postfix over TLS, received by tern with its trace fields.
            assert msg.startswith(b"Return-Path: <sender@peer.example>\r\nDelivered-To: ")
            assert b"from postfix.test.example ([127.0.0.1])" in msg
            assert b"with ESMTPS (using TLS1." in msg
            assert b"by postfix.test.example" in msg
            expected = "Lists" if subject == b"Subject: to lists" else "Inbox"
            assert mailbox == expected, (subject, mailbox)
    assert len(by_subject[b"Subject: to the list"]) == 2
    assert "TLS connection established to 127.0.0.1" in pf.log()
