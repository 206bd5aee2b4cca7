"""Integration tests of the network core (src/net) through tests/tools/netdemo.

netdemo is an SMTP-like line server on src/net (see its header comment). These
tests drive it over real sockets with real clients: `openssl s_client` and
Python's ssl module. Certificates are generated per test with the openssl CLI.
Every netdemo started is stopped with SIGTERM at the end of its test; a
non-zero exit, a sanitizer report or an unexpected l=error line fails the test.
"""

import base64
import hashlib
import os
import re
import signal
import socket
import ssl
import subprocess
import time

import pytest

from harness import REPO, SAN_ENV, SANITIZER_PATTERNS, free_port

NETDEMO = os.path.join(REPO, "build", "asan", "tools", "netdemo")


def make_cert(directory, name, sans=None):
    """Self-signed EC certificate for CN=name; returns (cert path, key path)."""
    cert = os.path.join(directory, name + ".crt")
    key = os.path.join(directory, name + ".key")
    cmd = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=" + name, "-days", "2"]
    if sans:
        cmd += ["-addext", "subjectAltName=" + ",".join("DNS:" + s for s in sans)]
    subprocess.run(cmd, check=True, capture_output=True)
    return cert, key


def cert_der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def der_item(data, i):
    """The DER element at i: (tag, content start, end)."""
    tag = data[i]
    length = data[i + 1]
    i += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(data[i:i + n], "big")
        i += n
    return tag, i, i + length


def spki_fingerprint(der):
    """base64url (no padding) of SHA-256 over the certificate's SubjectPublicKeyInfo."""
    _, cert_start, _ = der_item(der, 0)
    _, tbs_start, tbs_end = der_item(der, cert_start)
    fields = []
    i = tbs_start
    while i < tbs_end:
        tag, _, end = der_item(der, i)
        fields.append((tag, i, end))
        i = end
    if fields[0][0] == 0xA0:  # explicit [0] version
        fields = fields[1:]
    # serial, signature, issuer, validity, subject, subjectPublicKeyInfo
    _, start, end = fields[5]
    return base64.urlsafe_b64encode(hashlib.sha256(der[start:end]).digest()).rstrip(b"=").decode()


class Netdemo:
    def __init__(self, workdir, args):
        self.workdir = workdir
        self.plain = free_port()
        self.tls = free_port()
        self.log_path = os.path.join(workdir, "netdemo.log")
        self.out_path = os.path.join(workdir, "netdemo.out")
        env = dict(os.environ)
        env.update(SAN_ENV)
        self.logf = open(self.log_path, "wb")
        self.outf = open(self.out_path, "wb")
        self.proc = subprocess.Popen(
            [NETDEMO, "-plain", str(self.plain), "-tls", str(self.tls), "-loglevel", "debug"] + args,
            stdout=self.outf, stderr=self.logf, env=env)
        self.expected_errors = []
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("netdemo exited early (%d):\n%s" % (self.proc.returncode, self.log()))
            with open(self.out_path) as f:
                if "netdemo ready" in f.read():
                    return
            time.sleep(0.05)
        raise AssertionError("netdemo not ready:\n" + self.log())

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=10):
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = rx.search(self.log())
            if m:
                return m
            time.sleep(0.05)
        raise AssertionError("log never matched %r:\n%s" % (pattern, self.log()))

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("netdemo did not stop:\n" + self.log())
        self.logf.close()
        self.outf.close()
        return self.proc.returncode

    def check_log(self):
        text = self.log()
        assert not SANITIZER_PATTERNS.search(text), "sanitizer report:\n" + text
        for line in text.splitlines():
            if line.startswith("l=error") and not any(re.search(p, line) for p in self.expected_errors):
                raise AssertionError("unexpected error logged: %s\n\n%s" % (line, text))


@pytest.fixture
def certs(tmp_path):
    """Two server certificates (a.test with a wildcard, b.test) and a client certificate."""
    d = str(tmp_path)
    return {
        "a": make_cert(d, "a.test", ["a.test", "*.wild.test"]),
        "b": make_cert(d, "b.test", ["b.test"]),
        "client": make_cert(d, "client"),
        "dir": d,
    }


@pytest.fixture
def netdemo(tmp_path):
    """Factory: netdemo(args) starts the demo server; stopped and checked at teardown."""
    started = []

    def start(args):
        n = Netdemo(str(tmp_path), args)
        started.append(n)
        return n

    yield start
    for n in started:
        rc = n.stop()
        n.check_log()
        assert rc == 0, "netdemo exited with %s:\n%s" % (rc, n.log())


def cert_args(*pairs):
    args = []
    for cert, key in pairs:
        args += ["-cert", cert, "-key", key]
    return args


def s_client(args, commands="TLSINFO\nQUIT\n", timeout=20):
    """Runs openssl s_client with the commands on stdin (LF turned into CRLF)."""
    return subprocess.run(["openssl", "s_client", "-crlf", "-ign_eof"] + args, input=commands,
                          capture_output=True, text=True, timeout=timeout)


def tlsinfo(output):
    m = re.search(r"250 version=(\S+) cipher=(\S+) sni=(\S+) alpn=(\S+) clientfp=(\S+)", output)
    assert m, "no TLSINFO reply in:\n" + output
    return dict(zip(["version", "cipher", "sni", "alpn", "clientfp"], m.groups()))


class LineClient:
    """A blocking client for the line protocol; wraps into TLS on demand."""

    def __init__(self, port, host="127.0.0.1", tls_ctx=None, sni=None, family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect((host, port))
        if tls_ctx:
            self.sock = tls_ctx.wrap_socket(self.sock, server_hostname=sni)
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                out, self.buf = self.buf, b""
                return out.decode()
            self.buf += data
        out, _, self.buf = self.buf.partition(b"\n")
        return (out + b"\n").decode()

    def reply(self):
        """All lines of one reply, joined."""
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.line())
        return "".join(lines)

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def starttls(self, ctx, sni=None):
        assert not self.buf, "plaintext left over before STARTTLS"
        self.sock = ctx.wrap_socket(self.sock, server_hostname=sni)

    def close(self):
        self.sock.close()


def client_ctx(alpn=None, cert=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    return ctx


def test_implicit_tls_sni_selects_certificate(certs, netdemo):
    n = netdemo(cert_args(certs["a"], certs["b"]))
    cases = [(None, "a.test"), ("b.test", "b.test"), ("B.TEST", "b.test"),
             ("x.wild.test", "a.test"), ("unknown.example", "a.test")]
    for sni, want in cases:
        args = ["-connect", "127.0.0.1:%d" % n.tls]
        if sni:
            args += ["-servername", sni]
        out = s_client(args).stdout
        assert re.search(r"subject=CN ?= ?%s\b" % re.escape(want), out), (sni, out)
        info = tlsinfo(out)
        assert info["version"] == "TLS1.3"
        assert info["sni"] == (sni or "-")
        assert "221 bye" in out


def test_starttls_with_s_client(certs, netdemo):
    n = netdemo(cert_args(certs["a"]))
    out = s_client(["-connect", "127.0.0.1:%d" % n.plain, "-starttls", "smtp"]).stdout
    assert "subject=CN = a.test" in out or "subject=CN=a.test" in out, out
    assert tlsinfo(out)["version"] == "TLS1.3"
    # After STARTTLS the EHLO reply no longer offers STARTTLS.
    c = LineClient(n.plain)
    assert c.reply().startswith("220 ")
    assert "STARTTLS" in c.cmd("EHLO me")
    assert c.cmd("STARTTLS").startswith("220 go ahead")
    c.starttls(client_ctx())
    ehlo = c.cmd("EHLO me")
    assert ehlo.startswith("250-netdemo") and "STARTTLS" not in ehlo
    assert c.cmd("STARTTLS").startswith("503")
    c.close()


def test_tls_1_1_is_refused(certs, netdemo):
    n = netdemo(cert_args(certs["a"]))
    # Security level 0, so the client really offers TLS 1.1 instead of refusing locally.
    p = s_client(["-connect", "127.0.0.1:%d" % n.tls, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
    assert p.returncode != 0
    assert "version=" not in p.stdout
    assert re.search(r"alert protocol version", p.stdout + p.stderr), p.stdout + p.stderr
    n.wait_log(r'tls handshake failed.*err="tls handshake: client offered only TLS 1.1"')


def test_minimum_tls_1_3(certs, netdemo):
    n = netdemo(cert_args(certs["a"]) + ["-minversion", "TLSv1.3"])
    p = s_client(["-connect", "127.0.0.1:%d" % n.tls, "-tls1_2"])
    assert p.returncode != 0
    n.wait_log(r"client offered only TLS 1.2")
    assert tlsinfo(s_client(["-connect", "127.0.0.1:%d" % n.tls]).stdout)["version"] == "TLS1.3"


def test_client_certificate_fingerprint(certs, netdemo):
    n = netdemo(cert_args(certs["a"]) + ["-clientauth"])
    cert, key = certs["client"]
    want = spki_fingerprint(cert_der(cert))
    out = s_client(["-connect", "127.0.0.1:%d" % n.tls, "-cert", cert, "-key", key]).stdout
    assert tlsinfo(out)["clientfp"] == want
    # The same through STARTTLS and Python's ssl module.
    c = LineClient(n.plain)
    c.reply()
    c.cmd("EHLO me")
    c.cmd("STARTTLS")
    c.starttls(client_ctx(cert=certs["client"]))
    assert tlsinfo(c.cmd("TLSINFO"))["clientfp"] == want
    c.close()
    # Without a certificate the handshake still succeeds.
    out = s_client(["-connect", "127.0.0.1:%d" % n.tls]).stdout
    assert tlsinfo(out)["clientfp"] == "-"


def test_alpn_with_python_ssl(certs, netdemo):
    n = netdemo(cert_args(certs["a"]) + ["-alpn", "imap,smtp"])
    c = LineClient(n.tls, tls_ctx=client_ctx(alpn=["h2", "smtp", "imap"]))
    assert c.sock.selected_alpn_protocol() == "imap", "server preference"
    c.reply()
    assert tlsinfo(c.cmd("TLSINFO"))["alpn"] == "imap"
    c.close()
    c = LineClient(n.tls, tls_ctx=client_ctx(alpn=["smtp"]))
    assert c.sock.selected_alpn_protocol() == "smtp"
    c.close()
    c = LineClient(n.tls, tls_ctx=client_ctx())
    assert c.sock.selected_alpn_protocol() is None
    c.reply()
    assert tlsinfo(c.cmd("TLSINFO"))["alpn"] == "-"
    c.close()
    with pytest.raises(ssl.SSLError, match="NO_APPLICATION_PROTOCOL|no application protocol"):
        LineClient(n.tls, tls_ctx=client_ctx(alpn=["h2"]))
    n.wait_log(r"no alpn protocol in common")


def test_starttls_discards_injected_plaintext(certs, netdemo):
    n = netdemo(cert_args(certs["a"]))
    c = LineClient(n.plain)
    assert c.reply().startswith("220 ")
    c.cmd("EHLO me")
    # One write: the NOOP after STARTTLS is plaintext an attacker could have injected.
    c.send(b"STARTTLS\r\nNOOP\r\n")
    assert c.reply() == "220 go ahead\r\n"
    c.buf = b""
    c.starttls(client_ctx())
    first = c.cmd("TLSINFO")
    assert first.startswith("250 version="), "the injected NOOP was answered: %r" % first
    assert c.cmd("NOOP") == "250 ok\r\n"
    c.close()
    n.wait_log(r"discarded plaintext sent after starttls.* bytes=6")


def test_overlong_line_and_bare_lf(certs, netdemo):
    n = netdemo(cert_args(certs["a"]) + ["-linemax", "100"])
    for tls in (False, True):
        c = LineClient(n.tls if tls else n.plain, tls_ctx=client_ctx() if tls else None)
        c.reply()
        assert c.cmd("NOOP " + "x" * 5000) == "500 line too long\r\n"
        assert c.cmd("NOOP " + "y" * 95) == "250 ok\r\n", "the session goes on"
        c.send(b"NOOP\n")
        assert c.reply().startswith("500 5.5.2 bare LF")
        assert c.cmd("QUIT") == "221 bye\r\n"
        c.close()


def test_pipelined_commands_get_all_replies(certs, netdemo):
    n = netdemo(cert_args(certs["a"]))
    c = LineClient(n.plain)
    c.reply()
    c.send(b"NOOP\r\nNOOP\r\nBOGUS\r\nQUIT\r\n")
    assert [c.reply() for _ in range(4)] == ["250 ok\r\n", "250 ok\r\n", "500 unknown command\r\n",
                                             "221 bye\r\n"]
    assert c.line() == "", "closed after QUIT"
    c.close()


def test_connection_limits_refuse_and_release(certs, netdemo):
    n = netdemo(cert_args(certs["a"]) + ["-maxperip", "2"])
    a = LineClient(n.plain)
    b = LineClient(n.tls, tls_ctx=client_ctx())
    assert a.reply().startswith("220 ") and b.reply().startswith("220 ")
    refused = LineClient(n.plain)
    assert refused.line() == "421 4.7.0 too many connections\r\n"
    assert refused.line() == ""
    refused.close()
    # Implicit TLS listeners just close: no plaintext into a TLS client.
    s = socket.create_connection(("127.0.0.1", n.tls), timeout=10)
    assert s.recv(100) == b""
    s.close()
    n.wait_log(r'connection refused.*err="too many connections from 127.0.0.1 \(max 2\)"')
    # Closing one frees its slot.
    a.cmd("QUIT")
    a.close()
    deadline = time.time() + 10
    while True:
        c = LineClient(n.plain)
        first = c.line()
        if first.startswith("220 ") or time.time() > deadline:
            break
        c.close()
        time.sleep(0.1)
    assert first.startswith("220 "), first
    c.close()
    b.close()


def test_total_connection_limit(certs, netdemo):
    n = netdemo(cert_args(certs["a"]) + ["-maxconn", "1"])
    a = LineClient(n.plain)
    assert a.reply().startswith("220 ")
    r = LineClient(n.plain)
    assert r.line() == "421 4.7.0 too many connections\r\n"
    r.close()
    a.close()
    n.wait_log(r"too many connections in total \(max 1\)")


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not have_ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv4_and_ipv6_on_the_same_port(certs, netdemo):
    n = netdemo(cert_args(certs["a"]) + ["-ip", "127.0.0.1", "-ip", "::1"])
    for host, family in (("127.0.0.1", socket.AF_INET), ("::1", socket.AF_INET6)):
        c = LineClient(n.plain, host=host, family=family)
        assert c.reply().startswith("220 ")
        c.close()
        c = LineClient(n.tls, host=host, family=family, tls_ctx=client_ctx())
        assert c.reply().startswith("220 ")
        c.close()


def test_certificate_reload(certs, netdemo):
    live_cert = os.path.join(certs["dir"], "live.crt")
    live_key = os.path.join(certs["dir"], "live.key")

    def install(pair):
        for src, dst in zip(pair, (live_cert, live_key)):
            with open(src, "rb") as f:
                data = f.read()
            with open(dst + ".tmp", "wb") as f:
                f.write(data)
            os.replace(dst + ".tmp", dst)

    def served():
        c = LineClient(n.tls, tls_ctx=client_ctx())
        der = c.sock.getpeercert(binary_form=True)
        c.close()
        return der

    install(certs["a"])
    n = netdemo(["-cert", live_cert, "-key", live_key])
    n.expected_errors.append(r"tls certificates changed but did not load")
    assert served() == cert_der(certs["a"][0])
    # A connection made before the swap keeps working after it.
    old = LineClient(n.tls, tls_ctx=client_ctx())
    old.reply()
    install(certs["b"])
    n.wait_log(r"tls certificates reloaded")
    assert served() == cert_der(certs["b"][0])
    assert old.cmd("NOOP") == "250 ok\r\n"
    old.close()
    # A broken file keeps the old certificate, with one error line per change.
    with open(live_cert + ".tmp", "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n")
    os.replace(live_cert + ".tmp", live_cert)
    n.wait_log(r"l=error .*tls certificates changed but did not load")
    time.sleep(2.5)
    assert len(re.findall(r"did not load", n.log())) == 1
    assert served() == cert_der(certs["b"][0])


def test_sigterm_says_goodbye_and_exits(certs, netdemo):
    n = netdemo(cert_args(certs["a"]))
    plain = LineClient(n.plain)
    plain.reply()
    implicit = LineClient(n.tls, tls_ctx=client_ctx())
    implicit.reply()
    upgraded = LineClient(n.plain)
    upgraded.reply()
    upgraded.cmd("EHLO me")
    upgraded.cmd("STARTTLS")
    upgraded.starttls(client_ctx())
    upgraded.cmd("NOOP")
    # One client mid-line: it is idle too, waiting for the rest of its command.
    partial = LineClient(n.plain)
    partial.reply()
    partial.send(b"NOO")
    start = time.time()
    n.proc.send_signal(signal.SIGTERM)
    for c in (plain, implicit, upgraded, partial):
        assert c.line() == "421 shutting down\r\n"
        assert c.line() == ""
        c.close()
    assert n.proc.wait(timeout=10) == 0
    assert time.time() - start < 5
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", n.plain), timeout=2)
    n.wait_log(r"m=stopped .*connections_left=0")
