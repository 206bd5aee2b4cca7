"""The IMAP server's session core over real sockets with Python's imaplib and a
raw client: greeting, CAPABILITY, NOOP, LOGOUT, STARTTLS, LOGIN,
AUTHENTICATE (SASL-IR, PLAIN, LOGIN, CRAM-MD5, SCRAM), ENABLE, ID,
NAMESPACE, and the rules before TLS. The fixtures here are shared by the
other test_imap_*.py files."""

import base64
import imaplib
import os
import shutil
import socket
import ssl
import subprocess
import tempfile

import pytest

from harness import free_port

PASSWORD = "test1234secret"

DOMAINS = """Domains:
	test.example: nil
Accounts:
	mjl:
		Domain: test.example
		Destinations:
			mjl@test.example: nil
	other:
		Domain: test.example
		Destinations:
			other@test.example: nil
	nocond:
		Domain: test.example
		Destinations:
			nocond@test.example: nil
		IMAPCapabilitiesDisabled:
			- CONDSTORE
"""


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


def imap_listeners(cert, key, ports, no_require_starttls=False):
    text = ("\tlocal:\n\t\tIPs:\n\t\t\t- 127.0.0.1\n"
            "\t\tHostname: mail.test.example\n")
    text += ("\t\tTLS:\n\t\t\tKeyCerts:\n\t\t\t\t-\n"
             "\t\t\t\t\tCertFile: %s\n\t\t\t\t\tKeyFile: %s\n" % (cert, key))
    text += "\t\tSMTP:\n\t\t\tEnabled: true\n\t\t\tPort: %d\n" % ports["smtp"]
    text += "\t\tIMAP:\n\t\t\tEnabled: true\n\t\t\tPort: %d\n" % ports["imap"]
    if no_require_starttls:
        text += "\t\t\tNoRequireSTARTTLS: true\n"
    text += "\t\tIMAPS:\n\t\t\tEnabled: true\n\t\t\tPort: %d\n" % ports["imaps"]
    return text


def start_imap(make_tern, no_require_starttls=True):
    certdir = tempfile.mkdtemp(prefix="tern-it-imap-certs-")
    os.chmod(certdir, 0o755)
    cert, key = make_cert(certdir)
    ports = {"smtp": free_port(), "imap": free_port(), "imaps": free_port()}
    t = make_tern(listeners=imap_listeners(cert, key, ports, no_require_starttls),
                  domains=DOMAINS)
    t.imap_ports = ports
    t.certdir = certdir
    for acc in ("mjl", "other", "nocond"):
        t.tern("setaccountpassword", acc, input=PASSWORD + "\n", check=True)
    return t.start()


def stop_and_remove_certs(t):
    """Stops tern before its certificates go: a running server would notice the removed
    files and log an error (make_tern's teardown, which checks the exit and the log, runs
    after this fixture's)."""
    rc = t.stop()
    assert rc in (0, None), "tern exited with %s:\n%s" % (rc, t.log())
    shutil.rmtree(t.certdir, ignore_errors=True)


@pytest.fixture
def imapd(make_tern):
    """tern with IMAP (plain text logins allowed on loopback), IMAPS and SMTP."""
    t = start_imap(make_tern, True)
    yield t
    stop_and_remove_certs(t)


@pytest.fixture
def imapd_strict(make_tern):
    """tern with IMAP requiring STARTTLS before logins."""
    t = start_imap(make_tern, False)
    yield t
    stop_and_remove_certs(t)


def client_ctx():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def login(t, user="mjl@test.example"):
    m = imaplib.IMAP4("127.0.0.1", t.imap_ports["imap"], timeout=20)
    m.login(user, PASSWORD)
    return m


class Raw:
    """A line-level IMAP client for input no library would send."""

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

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, tag, text):
        """Sends tag + text; returns (untagged lines, tagged line), following literals."""
        self.send(tag + b" " + text + b"\r\n")
        return self.until(tag)

    def until(self, tag):
        lines = []
        while True:
            line = self.line()
            # A literal in a response: read its bytes as part of the line.
            while line.endswith(b"}") and b"{" in line:
                n = int(line[line.rindex(b"{") + 1:-1].lstrip(b"~").rstrip(b"+"))
                while len(self.buf) < n:
                    data = self.sock.recv(65536)
                    if not data:
                        raise EOFError
                    self.buf += data
                line += b"\r\n" + self.buf[:n]
                self.buf = self.buf[n:]
                line += self.line()
            if line.startswith(tag + b" "):
                return lines, line
            lines.append(line)

    def login(self, user=b"mjl@test.example"):
        _, r = self.cmd(b"l", b"LOGIN " + user + b" " + PASSWORD.encode())
        assert r.startswith(b"l OK"), r

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


def greeting(port, tls=False):
    r = Raw(port, tls)
    g = r.line()
    assert g.startswith(b"* OK [CAPABILITY IMAP4rev2 IMAP4rev1 "), g
    return r, g


def still_serving(t):
    m = login(t)
    assert m.noop()[0] == "OK"
    m.logout()


# ---- tests ----

def test_greeting_capability_noop_logout(imapd):
    r, g = greeting(imapd.imap_ports["imap"])
    caps = g.split(b"]")[0].split()[2:]
    for c in [b"IMAP4rev2", b"IMAP4rev1", b"ENABLE", b"LITERAL+", b"SASL-IR", b"UNSELECT",
              b"UTF8=ACCEPT", b"LIST-EXTENDED", b"SPECIAL-USE", b"CREATE-SPECIAL-USE",
              b"LIST-STATUS", b"ID", b"STATUS=SIZE", b"NAMESPACE", b"STARTTLS",
              b"AUTH=PLAIN"]:
        assert c in caps, c
    assert b"LOGINDISABLED" not in caps
    lines, tagged = r.cmd(b"a1", b"CAPABILITY")
    assert tagged == b"a1 OK CAPABILITY completed" or tagged.startswith(b"a1 OK"), tagged
    assert lines[0].startswith(b"* CAPABILITY IMAP4rev2 IMAP4rev1")
    assert r.cmd(b"a2", b"NOOP")[1].startswith(b"a2 OK")
    lines, tagged = r.cmd(b"a3", b"LOGOUT")
    assert lines[0].startswith(b"* BYE")
    assert tagged.startswith(b"a3 OK")
    assert r.closed()


def test_imaplib_login_rev1_and_rev2(imapd):
    m = imaplib.IMAP4("127.0.0.1", imapd.imap_ports["imap"], timeout=20)
    assert "IMAP4REV2" in m.capabilities
    typ, _ = m.login("mjl@test.example", PASSWORD)
    assert typ == "OK"
    typ, data = m.namespace()
    assert typ == "OK" and data[0] == b'(("" "/")) NIL NIL', data
    typ, data = m._simple_command("ENABLE", "IMAP4rev2")
    assert typ == "OK"
    assert m.untagged_responses.get("ENABLED") == [b"IMAP4rev2"], m.untagged_responses
    m.logout()
    # The account name works as login name too? No: mox logs in by address only.
    m = imaplib.IMAP4("127.0.0.1", imapd.imap_ports["imap"], timeout=20)
    with pytest.raises(imaplib.IMAP4.error):
        m.login("mjl@test.example", "wrong password")
    m.logout()


def test_login_refusals(imapd):
    r, _ = greeting(imapd.imap_ports["imap"])
    _, t = r.cmd(b"a", b"LOGIN mjl@test.example wrongpassword")
    assert t.startswith(b"a NO [AUTHENTICATIONFAILED]"), t
    _, t = r.cmd(b"b", b"LOGIN nobody@test.example wrongpassword")
    assert t.startswith(b"b NO [AUTHENTICATIONFAILED]"), t
    _, t = r.cmd(b"c", b"SELECT INBOX")
    assert t.startswith(b"c BAD"), t
    _, t = r.cmd(b"d", b"ENABLE IMAP4rev2")
    assert t.startswith(b"d BAD"), t
    r.login()
    _, t = r.cmd(b"e", b"LOGIN mjl@test.example x")
    assert t.startswith(b"e BAD"), t
    r.close()


def test_authenticate_mechanisms(imapd):
    port = imapd.imap_ports["imap"]
    # PLAIN with SASL-IR.
    r, _ = greeting(port)
    ir = base64.b64encode(b"\0mjl@test.example\0" + PASSWORD.encode())
    _, t = r.cmd(b"a", b"AUTHENTICATE PLAIN " + ir)
    assert t.startswith(b"a OK [CAPABILITY IMAP4rev2"), t
    r.close()
    # PLAIN without initial response, through imaplib.
    m = imaplib.IMAP4("127.0.0.1", port, timeout=20)
    typ, _ = m.authenticate("PLAIN", lambda _: b"\0mjl@test.example\0" + PASSWORD.encode())
    assert typ == "OK"
    m.logout()
    # LOGIN: username and password prompts.
    r, _ = greeting(port)
    r.send(b"b AUTHENTICATE LOGIN\r\n")
    assert r.line().startswith(b"+ ")
    r.send(base64.b64encode(b"mjl@test.example") + b"\r\n")
    assert r.line().startswith(b"+ ")
    r.send(base64.b64encode(PASSWORD.encode()) + b"\r\n")
    _, t = r.until(b"b")
    assert t.startswith(b"b OK"), t
    r.close()
    # CRAM-MD5 through imaplib.
    m = imaplib.IMAP4("127.0.0.1", port, timeout=20)
    assert "AUTH=CRAM-MD5" in m.capabilities
    typ, _ = m.login_cram_md5("mjl@test.example", PASSWORD)
    assert typ == "OK"
    m.logout()
    # Cancel, and malformed base64.
    r, _ = greeting(port)
    r.send(b"c AUTHENTICATE PLAIN\r\n")
    assert r.line().startswith(b"+")
    r.send(b"*\r\n")
    _, t = r.until(b"c")
    assert t.startswith(b"c BAD"), t
    _, t = r.cmd(b"d", b"AUTHENTICATE PLAIN !!!notbase64")
    assert t.startswith(b"d BAD"), t
    _, t = r.cmd(b"e", b"AUTHENTICATE NOSUCHMECH")
    assert t.startswith(b"e NO"), t
    r.close()
    still_serving(imapd)


def test_scram_sha256(imapd):
    import hashlib
    import hmac
    r, _ = greeting(imapd.imap_ports["imap"])
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = "n=mjl@test.example,r=" + nonce
    r.send(b"s AUTHENTICATE SCRAM-SHA-256 " + base64.b64encode(("n,," + first_bare).encode()) + b"\r\n")
    line = r.line()
    assert line.startswith(b"+ "), line
    server_first = base64.b64decode(line[2:]).decode()
    parts = dict(p.split("=", 1) for p in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), base64.b64decode(parts["s"]),
                                 int(parts["i"]))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    final_noproof = "c=biws,r=" + parts["r"]
    auth_msg = ",".join([first_bare, server_first, final_noproof]).encode()
    sig = hmac.new(stored_key, auth_msg, "sha256").digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    final = final_noproof + ",p=" + base64.b64encode(proof).decode()
    r.send(base64.b64encode(final.encode()) + b"\r\n")
    line = r.line()
    assert line.startswith(b"+ "), line  # server-final with v=
    r.send(b"\r\n")
    _, t = r.until(b"s")
    assert t.startswith(b"s OK"), t
    r.close()


def test_starttls_and_logindisabled(imapd_strict):
    port = imapd_strict.imap_ports["imap"]
    r, g = greeting(port)
    assert b"LOGINDISABLED" in g and b"STARTTLS" in g and b"AUTH=PLAIN" not in g
    _, t = r.cmd(b"a", b"LOGIN mjl@test.example " + PASSWORD.encode())
    assert t.startswith(b"a NO [PRIVACYREQUIRED]"), t
    r.close()
    m = imaplib.IMAP4("127.0.0.1", port, timeout=20)
    m.starttls(ssl_context=client_ctx())
    assert "LOGINDISABLED" not in m.capabilities and "STARTTLS" not in m.capabilities
    assert "AUTH=PLAIN" in m.capabilities
    assert m.login("mjl@test.example", PASSWORD)[0] == "OK"
    m.logout()
    # Pipelined plaintext after STARTTLS is dropped, not run.
    r, _ = greeting(port)
    r.send(b"a STARTTLS\r\nb LOGIN mjl@test.example x\r\n")
    assert r.line().startswith(b"a OK")
    r.sock = client_ctx().wrap_socket(r.sock, server_hostname="mail.test.example")
    r.buf = b""
    lines, t = r.cmd(b"c", b"CAPABILITY")
    assert t.startswith(b"c OK"), t
    assert b"STARTTLS" not in lines[0]
    r.close()


def test_imaps_implicit_tls(imapd_strict):
    m = imaplib.IMAP4_SSL("127.0.0.1", imapd_strict.imap_ports["imaps"], ssl_context=client_ctx(),
                          timeout=20)
    assert "STARTTLS" not in m.capabilities
    assert m.login("mjl@test.example", PASSWORD)[0] == "OK"
    assert m.noop()[0] == "OK"
    m.logout()


def test_id_and_unknown_commands(imapd):
    r, _ = greeting(imapd.imap_ports["imap"])
    lines, t = r.cmd(b"a", b'ID ("name" "pytest" "version" "1")')
    assert t.startswith(b"a OK"), t
    assert lines[0].startswith(b"* ID ("), lines
    _, t = r.cmd(b"b", b"ID NIL")
    assert t.startswith(b"b OK"), t
    _, t = r.cmd(b"c", b"FROBNICATE")
    assert t.startswith(b"c BAD"), t
    _, t = r.cmd(b"d", b"NOOP extra")
    assert t.startswith(b"d BAD"), t
    r.login()
    lines, t = r.cmd(b"e", b"ENABLE CONDSTORE UTF8=ACCEPT NOSUCH")
    assert t.startswith(b"e OK"), t
    r.close()
    still_serving(imapd)


def client_cert(directory, name):
    key = os.path.join(directory, name + ".key")
    crt = os.path.join(directory, name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt,
                    "-days", "2", "-subj", "/CN=" + name], capture_output=True, check=True)
    return crt, key


def test_tls_client_certificate_preauth_and_external(imapd):
    crt, key = client_cert(imapd.certdir, "phone")
    with open(crt) as f:
        p = imapd.tern("config", "tlspubkey", "add", "mjl@test.example", input=f.read())
    assert p.returncode == 0, p.stderr
    crt2, key2 = client_cert(imapd.certdir, "laptop")
    with open(crt2) as f:
        p = imapd.tern("config", "tlspubkey", "add", "-no-imap-preauth", "other@test.example",
                       input=f.read())
    assert p.returncode == 0, p.stderr
    # A known key: PREAUTH (seed 000).
    ctx = client_ctx()
    ctx.load_cert_chain(crt, key)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", imapd.imap_ports["imaps"]),
                                                 timeout=20), server_hostname="mail.test.example")
    r = Raw.__new__(Raw)
    r.sock, r.buf = s, b""
    g = r.line()
    assert g.startswith(b"* PREAUTH [CAPABILITY IMAP4rev2"), g
    lines, t = r.cmd(b"a", b"SELECT INBOX")
    assert t.startswith(b"a OK"), t
    r.close()
    # A key that asks for no PREAUTH: a normal greeting, then AUTHENTICATE EXTERNAL.
    ctx = client_ctx()
    ctx.load_cert_chain(crt2, key2)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", imapd.imap_ports["imaps"]),
                                                 timeout=20), server_hostname="mail.test.example")
    r = Raw.__new__(Raw)
    r.sock, r.buf = s, b""
    g = r.line()
    assert g.startswith(b"* OK [CAPABILITY") and b"AUTH=EXTERNAL" in g, g
    _, t = r.cmd(b"b", b"AUTHENTICATE EXTERNAL =")
    assert t.startswith(b"b OK"), t
    lines, t = r.cmd(b"c", b"SELECT INBOX")
    assert t.startswith(b"c OK"), t
    r.close()
