"""Account commands beside a running server that has the account open: the
server holds an account's store for SMTP deliveries and IMAP sessions (one
process per account), so `tern setaccountpassword` and `tern config account
rm` hand their work to it over the ctl socket."""

import imaplib
import os
import smtplib
import time

import pytest

from test_imap_session import PASSWORD, imapd, login  # noqa: F401


def deliver(t, rcpt, subject):
    msg = ("From: Sender <sender@peer.example>\r\nTo: %s\r\nSubject: %s\r\n\r\nbody\r\n"
           % (rcpt, subject)).encode()
    with smtplib.SMTP("127.0.0.1", t.imap_ports["smtp"], timeout=20) as s:
        s.sendmail("sender@peer.example", [rcpt], msg)


def account_dir(t, name):
    return os.path.join(t.data_dir, "accounts", name)


def wait_gone(path, timeout=10):
    deadline = time.time() + timeout
    while os.path.exists(path) and time.time() < deadline:
        time.sleep(0.05)
    return not os.path.exists(path)


def inbox_subjects(t, user, password):
    m = imaplib.IMAP4("127.0.0.1", t.imap_ports["imap"], timeout=20)
    m.login(user, password)
    m.select("INBOX")
    typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    m.logout()
    return [part[1].decode().strip() for part in data if isinstance(part, tuple)]


def test_setaccountpassword_while_the_server_has_the_account_open(imapd):
    deliver(imapd, "mjl@test.example", "before")  # the SMTP backend keeps the account open
    session = login(imapd)
    session.select("INBOX")
    p = imapd.tern("setaccountpassword", "mjl", input="a new password\n")
    assert p.returncode == 0, p.stderr
    m = imaplib.IMAP4("127.0.0.1", imapd.imap_ports["imap"], timeout=20)
    with pytest.raises(imaplib.IMAP4.error):
        m.login("mjl@test.example", PASSWORD)
    m.logout()
    assert inbox_subjects(imapd, "mjl@test.example", "a new password") == ["Subject: before"]
    # The session that logged in before goes on.
    assert session.noop()[0] == "OK"
    session.logout()
    p = imapd.tern("setaccountpassword", "nosuch", input="x\n")
    assert p.returncode == 1 and 'account "nosuch" does not exist' in p.stderr


def test_account_rm_while_running_then_the_name_starts_fresh(imapd):
    imapd.tern("config", "account", "add", "temp", "temp@test.example", check=True)
    imapd.tern("setaccountpassword", "temp", input="temp password\n", check=True)
    deliver(imapd, "temp@test.example", "old mail")
    session = imaplib.IMAP4("127.0.0.1", imapd.imap_ports["imap"], timeout=20)
    session.login("temp@test.example", "temp password")
    session.select("INBOX")

    p = imapd.tern("config", "account", "rm", "temp")
    assert p.returncode == 0, p.stderr
    assert "removed when its last session ends" in p.stdout
    assert os.path.exists(account_dir(imapd, "temp")), "kept for the open session"
    session.logout()
    assert wait_gone(account_dir(imapd, "temp")), "removed with the last session"

    # Without sessions (the SMTP backend's handle is dropped first) it goes at once.
    imapd.tern("config", "account", "add", "temp", "temp@test.example", check=True)
    imapd.tern("setaccountpassword", "temp", input="second password\n", check=True)
    deliver(imapd, "temp@test.example", "new mail")
    assert inbox_subjects(imapd, "temp@test.example", "second password") == ["Subject: new mail"]
    p = imapd.tern("config", "account", "rm", "temp")
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""
    assert not os.path.exists(account_dir(imapd, "temp"))

    imapd.check_log()


def test_account_rm_without_a_server_removes_the_data(make_tern):
    from test_imap_session import DOMAINS
    t = make_tern(domains=DOMAINS)
    t.tern("config", "account", "add", "temp", "temp@test.example", check=True)
    t.tern("setaccountpassword", "temp", input="pw\n", check=True)
    assert os.path.exists(os.path.join(account_dir(t, "temp"), "index.db"))
    t.tern("config", "account", "rm", "temp", check=True)
    assert not os.path.exists(account_dir(t, "temp"))


def test_failed_logins_count_across_smtp_and_imap(make_tern):
    """One authentication service for the server: ten failed IMAP logins from an
    address (the per-minute limit) also stop SMTP AUTH from it, right password or not."""
    import shutil
    import tempfile
    from harness import free_port
    from test_imap_session import DOMAINS, imap_listeners, make_cert
    certdir = tempfile.mkdtemp(prefix="tern-it-auth-")
    os.chmod(certdir, 0o755)
    try:
        cert, key = make_cert(certdir)
        ports = {"smtp": free_port(), "imap": free_port(), "imaps": free_port(),
                 "submission": free_port()}
        listeners = imap_listeners(cert, key, ports, True)
        listeners += ("\t\tSubmission:\n\t\t\tEnabled: true\n\t\t\tPort: %d\n"
                      "\t\t\tNoRequireSTARTTLS: true\n" % ports["submission"])
        t = make_tern(listeners=listeners, domains=DOMAINS)
        t.tern("setaccountpassword", "mjl", input=PASSWORD + "\n", check=True)
        t.start()
        for _ in range(10):
            m = imaplib.IMAP4("127.0.0.1", ports["imap"], timeout=20)
            with pytest.raises(imaplib.IMAP4.error):
                m.login("mjl@test.example", "wrong password")
            m.logout()
        with smtplib.SMTP("127.0.0.1", ports["submission"], timeout=20) as s:
            s.ehlo("client.example")
            with pytest.raises(smtplib.SMTPAuthenticationError) as e:
                s.login("mjl@test.example", PASSWORD)
            # Temporary: the right password, refused for the address's failures over IMAP.
            assert e.value.smtp_code == 454 and e.value.smtp_error.startswith(b"4.7.0 ")
    finally:
        shutil.rmtree(certdir, ignore_errors=True)
