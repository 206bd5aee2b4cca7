"""The SMTP server over real sockets with real clients: Python's smtplib,
swaks, openssl, and a raw socket client for bad input. Listeners: SMTP with
STARTTLS, Submission and Submissions (implicit TLS)."""

import os
import shutil
import smtplib
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import threading
import time

import pytest

from harness import free_port

DOMAINS = """Domains:
	test.example:
		LocalpartCatchallSeparator: +
		Aliases:
			list:
				Addresses:
					- mjl@test.example
					- other@test.example
				PostPublic: true
	disabled.example:
		Disabled: true
Accounts:
	mjl:
		Domain: test.example
		Destinations:
			mjl@test.example: nil
	other:
		Domain: test.example
		Destinations:
			other@test.example: nil
	dis:
		Domain: disabled.example
		Destinations:
			dis@disabled.example: nil
"""

DELIVERED = b"2.0.0 message delivered"


def stored(data_dir, account):
    """The messages in an account's store: a list of (mailbox, bytes), oldest first."""
    acct = os.path.join(data_dir, "accounts", account)
    db = os.path.join(acct, "index.db")
    if not os.path.exists(db):
        return []
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        rows = con.execute("SELECT mb.name, m.file_id FROM messages m JOIN mailboxes mb"
                           " ON mb.id = m.mailbox_id ORDER BY m.id").fetchall()
    except sqlite3.OperationalError:
        return []  # the account is being created
    finally:
        con.close()
    out = []
    for mailbox, file_id in rows:
        path = os.path.join(acct, "msg", "%x" % (file_id >> 12), "%d" % file_id)
        with open(path, "rb") as f:
            out.append((mailbox, f.read()))
    return out


def make_cert(directory):
    cert = os.path.join(directory, "mail.crt")
    key = os.path.join(directory, "mail.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                    "-subj", "/CN=mail.test.example", "-days", "2",
                    "-addext", "subjectAltName=DNS:mail.test.example"],
                   check=True, capture_output=True)
    os.chmod(key, 0o644)
    return cert, key


def smtp_listeners(cert, key, ports, extra_smtp="", max_size=None):
    text = ("\tlocal:\n\t\tIPs:\n\t\t\t- 127.0.0.1\n"
            "\t\tHostname: mail.test.example\n")
    if max_size:
        text += "\t\tSMTPMaxMessageSize: %d\n" % max_size
    text += ("\t\tTLS:\n\t\t\tKeyCerts:\n\t\t\t\t-\n"
             "\t\t\t\t\tCertFile: %s\n\t\t\t\t\tKeyFile: %s\n" % (cert, key))
    text += "\t\tSMTP:\n\t\t\tEnabled: true\n\t\t\tPort: %d\n%s" % (ports["smtp"], extra_smtp)
    text += ("\t\tSubmission:\n\t\t\tEnabled: true\n\t\t\tPort: %d\n"
             "\t\t\tNoRequireSTARTTLS: true\n" % ports["submission"])
    text += "\t\tSubmissions:\n\t\t\tEnabled: true\n\t\t\tPort: %d\n" % ports["submissions"]
    return text


@pytest.fixture
def server(make_tern):
    """A started tern with SMTP (25), Submission (587) and Submissions (465) on free ports."""
    certdir = tempfile.mkdtemp(prefix="tern-it-smtp-certs-")
    os.chmod(certdir, 0o755)
    cert, key = make_cert(certdir)
    ports = {"smtp": free_port(), "submission": free_port(), "submissions": free_port()}
    t = make_tern(listeners=smtp_listeners(cert, key, ports, max_size=100000), domains=DOMAINS)
    t.smtp_ports = ports
    t.cert = cert
    yield t.start()
    shutil.rmtree(certdir, ignore_errors=True)


def client_ctx():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Raw:
    """A line-level SMTP client for input no library would send."""

    def __init__(self, port, tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        if tls:
            self.sock = client_ctx().wrap_socket(self.sock, server_hostname="mail.test.example")
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed; buffered %r" % self.buf)
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def reply(self):
        """All lines of one reply."""
        lines = [self.line()]
        while lines[-1][3:4] == b"-":
            lines.append(self.line())
        return lines

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, text):
        self.send(text + b"\r\n")
        return self.reply()

    def closed(self):
        try:
            self.sock.settimeout(20)
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                self.buf += data
        except (ConnectionResetError, ssl.SSLError):
            return True

    def close(self):
        self.sock.close()


def greet(port, tls=False):
    r = Raw(port, tls)
    assert r.reply()[0].startswith(b"220 mail.test.example ESMTP")
    caps = r.cmd(b"EHLO client.example")
    assert caps[-1].startswith(b"250 ")
    return r, caps


def still_serving(t):
    """A fresh session works: the server survived whatever came before."""
    with smtplib.SMTP("127.0.0.1", t.smtp_ports["smtp"], timeout=20) as s:
        code, _ = s.ehlo("after.example")
        assert code == 250
        assert s.noop()[0] == 250


# ---- clients ----

def test_smtplib_starttls_and_capabilities(server):
    with smtplib.SMTP("127.0.0.1", server.smtp_ports["smtp"], timeout=20) as s:
        s.ehlo("client.example")
        for ext in ["pipelining", "8bitmime", "size", "smtputf8", "enhancedstatuscodes",
                    "chunking", "starttls", "limits", "help"]:
            assert s.has_extn(ext), ext
        assert s.esmtp_features["size"] == "100000"
        assert s.esmtp_features["limits"] == "RCPTMAX=1000"
        assert not s.has_extn("auth")
        assert not s.has_extn("requiretls")
        s.starttls(context=client_ctx())
        s.ehlo("client.example")
        assert s.has_extn("requiretls")
        assert not s.has_extn("starttls")
        code, msg = s.mail("sender@peer.example", ["REQUIRETLS", "BODY=8BITMIME"])
        assert code == 250, msg
        assert s.rcpt("mjl@test.example") == (250, b"2.1.5 recipient ok")
        code, msg = s.rcpt("nobody@test.example")
        assert (code, msg) == (550, b"5.1.1 no such user")
        code, msg = s.rcpt("x@elsewhere.example")
        assert code == 550 and msg.startswith(b"5.7.1")
        code, msg = s.rcpt("x@disabled.example")
        assert code == 450 and msg.startswith(b"4.2.1")
        code, msg = s.data(b"Subject: hi\r\n\r\nhello\r\n")
        assert code == 250 and msg.startswith(DELIVERED), msg
    [(mailbox, msg)] = stored(server.data_dir, "mjl")
    assert mailbox == "Inbox"
    assert msg.startswith(b"Return-Path: <sender@peer.example>\r\nDelivered-To: mjl@test.example"
                          b"\r\nReceived: from client.example ([127.0.0.1]) by mail.test.example"
                          b" ([127.0.0.1]) via tcp\r\n\twith ESMTPS (using TLS1.3 with cipher ")
    assert b" (requiretls) id " in msg
    assert msg.endswith(b"\r\n\tfor <mjl@test.example>; " + msg.split(b"; ", 1)[1].split(b"\r\n")[0]
                        + b"\r\nSubject: hi\r\n\r\nhello\r\n")


def test_smtplib_smtputf8(server):
    with smtplib.SMTP("127.0.0.1", server.smtp_ports["smtp"], timeout=20) as s:
        s.ehlo("client.example")
        code, msg = s.mail("j\u00f6rg@b\u00fccher.example", ["SMTPUTF8"])
        assert code == 250, msg
        code, msg = s.rcpt("mjl@test.example")
        assert code == 250


def test_swaks_starttls(server):
    p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(server.smtp_ports["smtp"]),
                        "--from", "a@peer.example", "--to", "mjl@test.example", "--tls",
                        "--ehlo", "swaks.example", "--timeout", "20"],
                       capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    assert "<-  220 2.0.0 ready to start TLS" in out, out
    assert "TLS started" in out, out
    assert "<~  250 2.1.5 recipient ok" in out, out
    assert "<~  250 2.0.0 message delivered" in out, out
    [(_, msg)] = stored(server.data_dir, "mjl")
    assert b"X-Mailer: swaks" in msg and b"with ESMTPS" in msg


def test_swaks_pipelining(server):
    port = str(server.smtp_ports["smtp"])
    p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", port, "--pipeline",
                        "--from", "a@peer.example", "--to", "mjl@test.example,nobody@test.example",
                        "--timeout", "20"], capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    assert "<** 550 5.1.1 no such user" in out, out
    assert "<-  250 2.0.0 message delivered" in out, out


def test_submission_without_auth_build(server):
    with smtplib.SMTP("127.0.0.1", server.smtp_ports["submission"], timeout=20) as s:
        s.ehlo("client.example")
        assert s.has_extn("starttls")
        code, msg = s.mail("mjl@test.example")
        assert code == 530 and msg.startswith(b"5.7.0 authentication required"), msg


def test_submissions_implicit_tls(server):
    with smtplib.SMTP_SSL("127.0.0.1", server.smtp_ports["submissions"], timeout=20,
                          context=client_ctx()) as s:
        code, _ = s.ehlo("client.example")
        assert code == 250
        assert not s.has_extn("starttls")
        assert s.has_extn("requiretls")
        code, msg = s.mail("mjl@test.example")
        assert code == 530
    p = subprocess.run(["openssl", "s_client", "-connect",
                        "127.0.0.1:%d" % server.smtp_ports["submissions"], "-crlf", "-quiet"],
                       input="EHLO x\nQUIT\n", capture_output=True, text=True, timeout=30)
    assert "220 mail.test.example ESMTP tern" in p.stdout, p.stdout + p.stderr
    assert "221 2.0.0 bye" in p.stdout


# ---- bad input; after each, the server keeps serving ----

def test_overlong_lines(server):
    r, _ = greet(server.smtp_ports["smtp"])
    assert r.cmd(b"NOOP " + b"x" * 100000) == [b"500 5.5.2 line too long"]
    assert r.cmd(b"NOOP") == [b"250 2.0.0 OK"]
    r.close()
    still_serving(server)


def test_pipelined_after_starttls_discarded(server):
    r, _ = greet(server.smtp_ports["smtp"])
    # CVE-2011-0411: plaintext after STARTTLS must not run after the handshake.
    r.send(b"STARTTLS\r\nMAIL FROM:<injected@peer.example>\r\n")
    assert r.reply() == [b"220 2.0.0 ready to start TLS"]
    r.sock = client_ctx().wrap_socket(r.sock, server_hostname="mail.test.example")
    r.buf = b""
    caps = r.cmd(b"EHLO client.example")
    assert caps[0] == b"250-mail.test.example"
    # The injected MAIL never ran: a transaction can start now.
    assert r.cmd(b"MAIL FROM:<a@peer.example>") == [b"250 2.1.0 sender ok"]
    assert r.cmd(b"QUIT") == [b"221 2.0.0 bye"]
    r.close()
    still_serving(server)


def test_bare_lf_and_bare_cr_in_data(server):
    r, _ = greet(server.smtp_ports["smtp"])
    for body, want in [(b"a\nb\r\n", DELIVERED),
                       (b"bare\rcr\r\n", b"5.5.2 invalid bare CR or LF")]:
        assert r.cmd(b"MAIL FROM:<a@peer.example>")[0].startswith(b"250")
        assert r.cmd(b"RCPT TO:<mjl@test.example>")[0].startswith(b"250")
        assert r.cmd(b"DATA")[0].startswith(b"354")
        r.send(body + b".\r\n")
        reply = r.reply()
        assert want in reply[0], reply
    r.close()
    still_serving(server)
    [(_, msg)] = stored(server.data_dir, "mjl")
    assert msg.endswith(b"\r\na\r\nb\r\n")
    assert b"\n" not in msg.replace(b"\r\n", b"")  # bare LF stored as CRLF


@pytest.mark.parametrize("ending", [b"\n.\n", b"\n.\r\n", b"\r\n.\n", b"\r.\r"])
def test_smuggling_sequences(server, ending):
    r, _ = greet(server.smtp_ports["smtp"])
    assert r.cmd(b"MAIL FROM:<a@peer.example>")[0].startswith(b"250")
    assert r.cmd(b"RCPT TO:<mjl@test.example>")[0].startswith(b"250")
    assert r.cmd(b"DATA")[0].startswith(b"354")
    smuggled = (b"MAIL FROM:<evil@peer.example>\r\nRCPT TO:<other@test.example>\r\nDATA\r\n"
                b"Subject: smuggled\r\n\r\nx\r\n")
    r.send(b"Subject: first\r\n\r\nbody" + ending + smuggled + b".\r\n")
    # One reply for the whole thing: the smuggled commands were message data.
    reply = r.reply()
    assert reply[0].startswith(b"500 5.5.2 invalid bare CR or LF"), reply
    assert r.cmd(b"NOOP") == [b"250 2.0.0 OK"]
    r.close()
    still_serving(server)


def test_data_without_rcpt_and_bad_addresses(server):
    r, _ = greet(server.smtp_ports["smtp"])
    assert r.cmd(b"DATA") == [b"503 5.5.1 MAIL and RCPT first"]
    assert r.cmd(b"MAIL FROM:<a@peer.example>")[0].startswith(b"250")
    assert r.cmd(b"DATA") == [b"554 5.1.0 no valid recipients"]
    assert r.cmd(b"RCPT TO:<not an address>")[0].startswith(b"501 5.1.3")
    assert r.cmd(b"RCPT TO:mjl@test.example")[0].startswith(b"501 5.5.2")
    assert r.cmd(b"RCPT TO:<mjl@-bad-.example>")[0].startswith(b"501 5.1.3")
    r.close()
    still_serving(server)


def test_bdat_wrong_sizes(server):
    r, _ = greet(server.smtp_ports["smtp"])
    assert r.cmd(b"MAIL FROM:<a@peer.example>")[0].startswith(b"250")
    assert r.cmd(b"RCPT TO:<mjl@test.example>")[0].startswith(b"250")
    # Chunk bytes are read by count: a short count leaves the rest as a command.
    r.send(b"BDAT 4\r\nSubject: x\r\n")
    assert r.reply() == [b"250 2.0.0 4 octets received"]
    assert r.reply()[0].startswith(b"500 5.5.1")   # "ect: x" is no command
    # A size over the message limit: read and refused at LAST.
    r.send(b"BDAT 200000 LAST\r\n" + b"y" * 200000)
    assert r.reply()[0].startswith(b"552 5.3.4 message too large")
    assert r.cmd(b"BDAT nonsense") == [b"501 5.5.2 BDAT: bad chunk size; closing connection"]
    assert r.closed()
    still_serving(server)


def test_bdat_longer_than_sent_times_out_alone(server):
    r, _ = greet(server.smtp_ports["smtp"])
    assert r.cmd(b"MAIL FROM:<a@peer.example>")[0].startswith(b"250")
    assert r.cmd(b"RCPT TO:<mjl@test.example>")[0].startswith(b"250")
    r.send(b"BDAT 1000 LAST\r\nonly a little")
    # The session waits for the rest; others are served meanwhile.
    still_serving(server)
    r.close()


def test_disconnect_mid_data(server):
    r, _ = greet(server.smtp_ports["smtp"])
    assert r.cmd(b"MAIL FROM:<a@peer.example>")[0].startswith(b"250")
    assert r.cmd(b"RCPT TO:<mjl@test.example>")[0].startswith(b"250")
    assert r.cmd(b"DATA")[0].startswith(b"354")
    r.send(b"Subject: cut\r\n\r\nhalf")
    r.close()
    server.wait_log(r'm="client closed the connection"|connection closed in the middle')
    assert stored(server.data_dir, "mjl") == []
    still_serving(server)


def test_ten_thousand_recipients(server):
    r, _ = greet(server.smtp_ports["smtp"])
    assert r.cmd(b"MAIL FROM:<a@peer.example>")[0].startswith(b"250")
    n = 10000
    r.send(b"".join(b"RCPT TO:<mjl+%d@test.example>\r\n" % i for i in range(n)))
    replies = [r.reply()[0] for _ in range(n)]
    assert replies[:1000] == [b"250 2.1.5 recipient ok"] * 1000
    assert set(replies[1000:]) == {b"452 4.5.3 too many recipients, at most 1000 per transaction"}
    assert r.cmd(b"DATA")[0].startswith(b"354")
    assert r.cmd(b"Subject: many\r\n\r\nx\r\n.")[0].startswith(b"250 " + DELIVERED)
    r.close()
    # 1000 recipients, all the same destination: one copy.
    [(_, msg)] = stored(server.data_dir, "mjl")
    assert b"Subject: many" in msg
    still_serving(server)


def test_binary_garbage(server):
    r = Raw(server.smtp_ports["smtp"])
    r.reply()
    r.send(bytes(range(256)) * 40 + b"\r\n")
    assert r.reply()[0].startswith(b"500 5.5.1 this is an SMTP server")
    assert r.closed()
    r, _ = greet(server.smtp_ports["smtp"])
    r.send(b"\x00\x01\x02garbage\xff\r\n" * 12)
    replies = [r.reply()[0] for _ in range(11)]
    assert replies[:10] == [b"500 5.5.1 unknown command"] * 10
    assert replies[-1] == b"421 4.5.0 too many errors, closing connection", replies
    assert r.closed()
    still_serving(server)


def test_tls_garbage_on_submissions(server):
    s = socket.create_connection(("127.0.0.1", server.smtp_ports["submissions"]), timeout=20)
    s.sendall(b"EHLO not-tls\r\n" * 10)
    s.settimeout(20)
    try:
        while s.recv(4096):
            pass
    except ConnectionResetError:
        pass
    s.close()
    with smtplib.SMTP_SSL("127.0.0.1", server.smtp_ports["submissions"], timeout=20,
                          context=client_ctx()) as c:
        assert c.noop()[0] == 250


def test_concurrent_sessions(server):
    errors = []

    def one(i):
        try:
            with smtplib.SMTP("127.0.0.1", server.smtp_ports["smtp"], timeout=30) as s:
                s.ehlo("c%d.example" % i)
                assert s.mail("a%d@peer.example" % i)[0] == 250
                assert s.rcpt("mjl@test.example")[0] == 250
        except Exception as e:  # noqa: BLE001 - collected and reported below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors


def test_shutdown_says_421(server):
    r, _ = greet(server.smtp_ports["smtp"])
    server.stop()
    assert r.reply() == [b"421 4.3.2 server shutting down, try again later"]
    r.close()


def test_connection_limit_per_ip(server):
    # SERVER_MAX_CONNECTIONS_PER_IP (200) sessions from one address; the next is refused.
    conns = []
    try:
        for _ in range(200):
            r = Raw(server.smtp_ports["smtp"])
            assert r.reply()[0].startswith(b"220 ")
            conns.append(r)
        r = Raw(server.smtp_ports["smtp"])
        assert r.reply() == [b"421 4.7.0 too many connections, try again later"]
        assert r.closed()
    finally:
        for c in conns:
            c.close()
    deadline = time.time() + 20
    while True:  # the slots are released as the sessions end
        try:
            still_serving(server)
            break
        except (smtplib.SMTPException, AssertionError):
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def test_submission_with_password(server):
    p = server.tern("setaccountpassword", "mjl", input="secret pass\n")
    assert p.returncode == 0, p.stderr
    with smtplib.SMTP("127.0.0.1", server.smtp_ports["submission"], timeout=20) as s:
        s.ehlo("client.example")
        assert "PLAIN" in s.esmtp_features["auth"].split()  # NoRequireSTARTTLS
        s.starttls(context=client_ctx())
        s.ehlo("client.example")
        assert "SCRAM-SHA-256-PLUS" in s.esmtp_features["auth"].split()
        s.login("mjl@test.example", "secret pass")
        # Local recipients are delivered; other domains wait for the outgoing queue.
        assert s.mail("mjl+sent@test.example")[0] == 250
        assert s.rcpt("other@test.example")[0] == 250
        code, msg = s.rcpt("friend@elsewhere.example")
        assert code == 451 and msg.startswith(b"4.3.3 cannot send to other domains yet") and \
            b"no outgoing queue" in msg, msg
        code, msg = s.data(b"From: Me <mjl@test.example>\r\nSubject: local\r\n\r\nhi\r\n")
        assert code == 250, msg
        # Sending as another account's address is refused.
        code, msg = s.mail("other@test.example")
        assert (code, msg) == (550, b"5.7.1 sender address must belong to the authenticated account")
        s.rset()
        s.mail("mjl@test.example")
        s.rcpt("other@test.example")
        code, msg = s.data(b"From: other@test.example\r\nSubject: forged\r\n\r\nx\r\n")
        assert code == 550 and b"From address must belong" in msg
    [(mailbox, msg)] = stored(server.data_dir, "other")
    assert mailbox == "Inbox"
    assert b"Return-Path: <mjl+sent@test.example>" in msg
    assert b"Received: from mail.test.example by mail.test.example" in msg  # client IP hidden
    assert b"with ESMTPSA (using TLS1.3" in msg
    assert b"\r\nMessage-ID: <" in msg and b"@mail.test.example>\r\n" in msg and b"\r\nDate: " in msg
