"""FUTURERELEASE (RFC 4865) through the real server: offered on submission,
messages held durably (also across SIGKILL) and delivered at their release
time, failures reported to the sender with a DSN."""

import os
import signal
import smtplib
import time

from test_smtp_server import client_ctx, server, stored  # noqa: F401 (server is a fixture)

MESSAGE = b"From: <mjl@test.example>\r\nSubject: later\r\n\r\nsee you\r\n"


def login(server):
    p = server.tern("setaccountpassword", "mjl", input="secret pass\n")
    assert p.returncode == 0, p.stderr
    s = smtplib.SMTP("127.0.0.1", server.smtp_ports["submission"], timeout=20)
    s.starttls(context=client_ctx())
    s.ehlo("client.example")
    s.login("mjl@test.example", "secret pass")
    return s


def hold(s, param, rcpt="other@test.example"):
    code, msg = s.mail("mjl@test.example", [param])
    assert code == 250, msg
    assert s.rcpt(rcpt)[0] == 250
    code, msg = s.data(MESSAGE)
    assert code == 250 and msg.startswith(b"2.0.0 message held for release at "), msg


def wait_stored(server, account, n, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = stored(server.data_dir, account)
        if len(got) >= n:
            return got
        time.sleep(0.1)
    raise AssertionError("%s has %d messages, want %d:\n%s" %
                         (account, len(stored(server.data_dir, account)), n, server.log()))


def held_files(server):
    d = os.path.join(server.data_dir, "queue", "msg")
    return os.listdir(d) if os.path.isdir(d) else []


def wait_no_held_files(server, timeout=10):
    # The release thread removes a held file after the delivery (or DSN) is
    # stored, so a test that saw the message may look a moment too early.
    deadline = time.time() + timeout
    while held_files(server) and time.time() < deadline:
        time.sleep(0.05)
    assert held_files(server) == []


def test_offered_on_submission_only(server):
    with smtplib.SMTP("127.0.0.1", server.smtp_ports["submission"], timeout=20) as s:
        s.ehlo("client.example")
        interval, latest = s.esmtp_features["futurerelease"].split()
        assert interval == "5184000"
        assert time.strptime(latest, "%Y-%m-%dT%H:%M:%SZ")
    with smtplib.SMTP("127.0.0.1", server.smtp_ports["smtp"], timeout=20) as s:
        s.ehlo("client.example")
        assert not s.has_extn("futurerelease")
        code, msg = s.mail("a@peer.example", ["HOLDFOR=10"])
        assert code == 555 and b"FUTURERELEASE not offered" in msg


def test_held_until_release_then_delivered(server):
    with login(server) as s:
        hold(s, "HOLDFOR=2")
        release = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 4))
        hold(s, "HOLDUNTIL=" + release)
    assert stored(server.data_dir, "other") == []
    assert len(held_files(server)) == 2
    [(mailbox, msg)] = wait_stored(server, "other", 1)
    assert mailbox == "Inbox"
    assert msg.startswith(b"Return-Path: <mjl@test.example>\r\nDelivered-To: other@test.example\r\n")
    assert msg.endswith(b"Subject: later\r\n\r\nsee you\r\n")
    assert b"with ESMTPSA" in msg
    wait_stored(server, "other", 2)
    wait_no_held_files(server)
    server.wait_log(r'l=info m="held message delivered".*rcpt=other@test.example')


def test_held_message_survives_sigkill(server):
    with login(server) as s:
        hold(s, "HOLDFOR=3")
    # Acknowledged, so durable: killed before its release, it is delivered after the restart.
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
    server.proc = None
    server.logf.close()
    assert stored(server.data_dir, "other") == []
    server.start()
    [(_, msg)] = wait_stored(server, "other", 1)
    assert msg.endswith(b"see you\r\n")


def test_quota_failure_at_release_is_reported(server, tmp_path):
    # The recipient's account is over its quota at release time: a DSN to the sender.
    with open(server.domains_conf) as f:
        domains = f.read()
    domains = domains.replace("\tother:\n\t\tDomain: test.example\n",
                              "\tother:\n\t\tDomain: test.example\n\t\tQuotaMessageSize: 10\n")
    with open(server.domains_conf, "w") as f:
        f.write(domains)
    assert server.tern("config", "test").returncode == 0
    server.wait_log("domains.conf reloaded")
    with login(server) as s:
        hold(s, "HOLDFOR=1")
    got = wait_stored(server, "mjl", 1)
    [(mailbox, dsn)] = got
    assert mailbox == "Inbox"
    assert dsn.startswith(b"Return-Path: <>\r\nDelivered-To: mjl@test.example\r\n")
    assert b"From: Mail Delivery Subsystem <postmaster@mail.test.example>" in dsn
    assert b"Final-Recipient: rfc822; other@test.example\r\nAction: failed\r\nStatus: 5.2.2" in dsn
    assert b"Subject: later\r\n" in dsn
    assert stored(server.data_dir, "other") == []
    wait_no_held_files(server)
