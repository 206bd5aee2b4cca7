"""tern sendmail and tern smtp dial against a scripted SMTP server in the test
(PLAIN, CRAM-MD5 and SCRAM-SHA-256 with server signature, STARTTLS and
implicit TLS with certificate verification), and against tern itself."""

import base64
import hashlib
import hmac
import os
import socket
import ssl
import subprocess
import tempfile
import threading

import pytest

from harness import TERN_BIN, run_tern, tern_env

from test_smtp_server import make_cert, server  # noqa: F401 - fixture reused

USER, PASSWORD = "mjl@test.example", "pass,word="
SALT, ITER = b"saltsaltsalt", 4096


def scram_keys(password):
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), SALT, ITER)
    ckey = hmac.new(salted, b"Client Key", "sha256").digest()
    skey = hmac.new(salted, b"Server Key", "sha256").digest()
    return ckey, hashlib.sha256(ckey).digest(), skey


class FakeServer:
    """One-connection-at-a-time SMTP server that records what it is sent."""

    def __init__(self, mechs="SCRAM-SHA-256 CRAM-MD5 PLAIN", tls=None, implicit=False,
                 forge_scram=False):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.mechs, self.tls, self.implicit, self.forge = mechs, tls, implicit, forge_scram
        self.messages, self.auth, self.envelopes, self.errors = [], [], [], []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            try:
                self.session(conn)
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(e)
            finally:
                conn.close()

    def session(self, conn):
        if self.implicit:
            conn = self.tls.wrap_socket(conn, server_side=True)
        f = conn.makefile("rb")

        def send(s):
            conn.sendall(s.encode() + b"\r\n")

        def line():
            l = f.readline()
            if not l:
                raise EOFError
            return l.rstrip(b"\r\n").decode()

        send("220 fake ESMTP")
        tls_on = self.implicit
        mail_from, rcpts = None, []
        while True:
            cmd = line()
            up = cmd.upper()
            if up.startswith("EHLO"):
                caps = ["fake", "PIPELINING", "SIZE 1000000", "8BITMIME"]
                if self.tls and not tls_on:
                    caps.append("STARTTLS")
                if self.mechs:
                    caps.append("AUTH " + self.mechs)
                for c in caps[:-1]:
                    send("250-" + c)
                send("250 " + caps[-1])
            elif up == "STARTTLS":
                send("220 go")
                conn = self.tls.wrap_socket(conn, server_side=True)
                f = conn.makefile("rb")
                tls_on = True
            elif up.startswith("AUTH "):
                self.do_auth(cmd, send, line)
            elif up.startswith("MAIL FROM:"):
                mail_from = cmd[10:]
                send("250 ok")
            elif up.startswith("RCPT TO:"):
                rcpts.append(cmd[8:])
                send("250 ok")
            elif up == "DATA":
                send("354 go")
                data = b""
                while True:
                    l = f.readline()
                    if l == b".\r\n":
                        break
                    data += l
                self.messages.append(data)
                self.envelopes.append((mail_from, rcpts, tls_on))
                send("250 stored")
            elif up == "QUIT":
                send("221 bye")
                return
            else:
                send("500 what")

    def do_auth(self, cmd, send, line):
        parts = cmd.split(" ")
        mech = parts[1].upper()
        initial = parts[2] if len(parts) > 2 else None
        if mech == "PLAIN":
            data = base64.b64decode(initial)
            ok = data == b"\0" + USER.encode() + b"\0" + PASSWORD.encode()
        elif mech == "CRAM-MD5":
            chal = b"<1.2@fake>"
            send("334 " + base64.b64encode(chal).decode())
            user, digest = base64.b64decode(line()).decode().split(" ")
            ok = user == USER and digest == hmac.new(PASSWORD.encode(), chal, "md5").hexdigest()
        elif mech == "SCRAM-SHA-256":
            cfirst = base64.b64decode(initial).decode()
            gs2, bare = cfirst[:3], cfirst[3:]
            attrs = dict(a.split("=", 1) for a in bare.split(","))
            nonce = attrs["r"] + "server"
            sfirst = "r=%s,s=%s,i=%d" % (nonce, base64.b64encode(SALT).decode(), ITER)
            send("334 " + base64.b64encode(sfirst.encode()).decode())
            cfinal = base64.b64decode(line()).decode()
            without = cfinal[:cfinal.index(",p=")]
            proof = base64.b64decode(cfinal[cfinal.index(",p=") + 3:])
            authmsg = ",".join([bare, sfirst, without]).encode()
            ckey, stored, skey = scram_keys(PASSWORD)
            csig = hmac.new(stored, authmsg, "sha256").digest()
            got_ckey = bytes(a ^ b for a, b in zip(proof, csig))
            ok = hashlib.sha256(got_ckey).digest() == stored and attrs["n"] == "mjl@test.example"
            ssig = hmac.new(skey, authmsg, "sha256").digest()
            if self.forge:
                ssig = bytes(32)
            if ok:
                send("334 " + base64.b64encode(b"v=" + base64.b64encode(ssig)).decode())
                reply = line()
                if reply == "*":
                    send("501 cancelled")
                    self.auth.append("cancelled")
                    return
            self.auth.append(gs2)
        else:
            ok = False
        self.auth.append((mech, ok))
        send("235 ok" if ok else "535 bad")

    def close(self):
        self.sock.close()


def submitconf(tmp_path, port, **kw):
    fields = {"LocalHostname": "client.example", "Host": "127.0.0.1", "Port": str(port),
              "TLS": "false", "STARTTLS": "false", "Username": USER, "Password": PASSWORD,
              "From": "cron@test.example", "DefaultDestination": "admin@test.example"}
    fields.update(kw)
    path = str(tmp_path / "ternsubmit.conf")
    with open(path, "w") as f:
        for k, v in fields.items():
            if v is not None:
                f.write("%s: %s\n" % (k, v))
    return path


def sendmail(conf, args, message, home, cafile=None):
    env = {"TERNSUBMITCONF": conf, "HOME": home}
    if cafile:
        env["TERNSUBMIT_CAFILE"] = cafile
    return subprocess.run([TERN_BIN, "sendmail"] + args, input=message, capture_output=True,
                          env=tern_env(env), timeout=60)


def test_describe_sendmail_is_a_valid_template(tmp_path):
    p = run_tern(["config", "describe-sendmail"])
    assert p.returncode == 0
    for field in ["LocalHostname:", "Host:", "Port: 0", "STARTTLS: false", "AuthMethod:",
                  "ClientAuthEd25519PrivateKey:", "From:", "RequireTLS:"]:
        assert field in p.stdout, field


@pytest.mark.parametrize("mech", ["SCRAM-SHA-256", "CRAM-MD5", "PLAIN"])
def test_sendmail_mechanisms(tmp_path, mech):
    fake = FakeServer(mechs=mech)
    conf = submitconf(tmp_path, fake.port)
    p = sendmail(conf, ["-oi", "-f", "ignored@x", "root"],
                 b"Subject: cron\nFrom: someone@else\n\nline 1\n.dot line\n", str(tmp_path))
    fake.close()
    assert p.returncode == 0, p.stderr
    assert (mech, True) in fake.auth
    msg = fake.messages[0]
    assert msg == (b"From: <cron@test.example>\r\nSubject: cron\r\nTo: <admin@test.example>\r\n"
                   b"\r\nline 1\r\n..dot line\r\n")
    assert fake.envelopes[0][:2] == ("<cron@test.example> SIZE=%d BODY=8BITMIME" % (len(msg) - 1),
                                     ["<admin@test.example>"])


def test_sendmail_scram_checks_server_signature(tmp_path):
    fake = FakeServer(mechs="SCRAM-SHA-256", forge_scram=True)
    conf = submitconf(tmp_path, fake.port)
    p = sendmail(conf, ["a@test.example"], b"Subject: x\n\nbody\n", str(tmp_path))
    fake.close()
    assert p.returncode == 1
    assert b"server signature invalid" in p.stderr, p.stderr
    assert "cancelled" in fake.auth
    assert not fake.messages
    saved = os.listdir(str(tmp_path / "ternsubmit.failures"))
    assert len(saved) == 1


def test_sendmail_t_and_fullname(tmp_path):
    fake = FakeServer(mechs="PLAIN")
    conf = submitconf(tmp_path, fake.port, RequireTLS="no")
    p = sendmail(conf, ["-t", "-F", "Cron Daemon"],
                 b"To: Admin <ops@test.example>\nSubject: t\n\nbody\n", str(tmp_path))
    fake.close()
    assert p.returncode == 0, p.stderr
    assert fake.envelopes[0][1] == ["<ops@test.example>"]
    msg = fake.messages[0]
    assert msg.startswith(b'From: "Cron Daemon" <cron@test.example>\r\nTo: Admin <ops@test.example>')
    assert b"TLS-Required: No\r\n\r\nbody" in msg


def test_invoked_as_sendmail(tmp_path):
    # Installed as /usr/sbin/sendmail, every argument is a sendmail flag ("-oi" is not a tern flag).
    fake = FakeServer(mechs="PLAIN")
    conf = submitconf(tmp_path, fake.port)
    link = tmp_path / "sendmail"
    os.symlink(TERN_BIN, str(link))
    env = {"TERNSUBMITCONF": conf, "HOME": str(tmp_path)}
    p = subprocess.run([str(link), "-oi", "-t"], input=b"To: ops@test.example\nSubject: s\n\nbody\n",
                       capture_output=True, env=tern_env(env), timeout=60)
    fake.close()
    assert p.returncode == 0, p.stderr
    assert fake.envelopes[0][1] == ["<ops@test.example>"]
    assert fake.messages[0].endswith(b"\r\n\r\nbody\r\n")


def test_sendmail_usage_errors(tmp_path):
    conf = submitconf(tmp_path, 1)
    p = sendmail(conf, [], b"x", str(tmp_path))
    assert p.returncode == 1 and b"need either exactly 1 recipient, or -t" in p.stderr
    p = sendmail(conf, ["-t"], b"Subject: no to\n\nx\n", str(tmp_path))
    assert p.returncode == 1 and b"no recipient" in p.stderr
    conf = submitconf(tmp_path, 1, DefaultDestination=None)
    p = sendmail(conf, ["root"], b"x\n", str(tmp_path))
    assert p.returncode == 1 and b"no default destination" in p.stderr


def test_sendmail_connection_failure_saves_message(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    conf = submitconf(tmp_path, port)
    p = sendmail(conf, ["a@test.example"], b"Subject: lost\n\nkeep me\n", str(tmp_path))
    assert p.returncode == 1
    d = str(tmp_path / "ternsubmit.failures")
    [name] = os.listdir(d)
    assert b"keep me" in open(os.path.join(d, name), "rb").read()


@pytest.mark.parametrize("implicit", [False, True])
def test_sendmail_tls_verified(tmp_path, implicit):
    cert, key = str(tmp_path / "localhost.crt"), str(tmp_path / "localhost.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                    "-subj", "/CN=localhost", "-days", "2", "-addext",
                    "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    fake = FakeServer(mechs="PLAIN", tls=ctx, implicit=implicit)
    tlsflags = {"TLS": str(implicit).lower(), "STARTTLS": str(not implicit).lower()}
    # Verified against the given CA and the name dialed.
    conf = submitconf(tmp_path, fake.port, Host="localhost", **tlsflags)
    p = sendmail(conf, ["a@test.example"], b"Subject: x\n\nx\n", str(tmp_path), cafile=cert)
    assert p.returncode == 0, p.stderr
    assert fake.envelopes[-1][2] is True  # the message went over TLS
    assert (("PLAIN", True)) in fake.auth
    # Without the CA, or with a name the certificate does not have: refused before AUTH.
    p = sendmail(conf, ["a@test.example"], b"Subject: x\n\nx\n", str(tmp_path))
    assert p.returncode == 1 and b"certificate" in p.stderr, p.stderr
    conf = submitconf(tmp_path, fake.port, Host="127.0.0.1", **tlsflags)
    p = sendmail(conf, ["a@test.example"], b"Subject: x\n\nx\n", str(tmp_path), cafile=cert)
    assert p.returncode == 1 and b"certificate" in p.stderr, p.stderr
    fake.close()
    assert len(fake.messages) == 1


def test_smtp_dial_against_tern(server):  # noqa: F811 - the fixture from test_smtp_server
    p = subprocess.run([TERN_BIN, "smtp", "dial", "127.0.0.1:%d" % server.smtp_ports["smtp"]],
                       input=b"NOOP\nQUIT\n", capture_output=True, env=tern_env(), timeout=60)
    assert p.returncode == 0, p.stderr
    assert b"session initialized" in p.stderr and b"tls TLS1.3" in p.stderr, p.stderr
    assert p.stdout == b"250 2.0.0 OK\r\n221 2.0.0 bye\r\n"
    p = subprocess.run([TERN_BIN, "smtp", "dial", "-notls",
                        "127.0.0.1:%d" % server.smtp_ports["smtp"]],
                       input=b"QUIT\n", capture_output=True, env=tern_env(), timeout=60)
    assert b"no tls" in p.stderr and p.stdout == b"221 2.0.0 bye\r\n"
    p = subprocess.run([TERN_BIN, "smtp", "dial", "-tlsverify",
                        "127.0.0.1:%d" % server.smtp_ports["smtp"]],
                       input=b"QUIT\n", capture_output=True, env=tern_env(), timeout=60)
    assert p.returncode == 1 and b"certificate" in p.stderr, p.stderr
