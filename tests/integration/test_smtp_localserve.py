"""tern localserve's SMTP behaviour (mox localserve's): unknown addresses are
accepted for the local account, and special localparts fail on purpose."""

import base64
import hashlib
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

from test_smtp_server import stored


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
    proc.submissions_port = ports["1465"]
    proc.dir = d
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


def messages(localserve):
    return stored(localserve.dir, "tern")


def test_localserve_incoming_unknown_goes_to_account(localserve):
    with smtplib.SMTP("127.0.0.1", localserve.smtp_port, timeout=20) as s:
        s.sendmail("a@peer.example", ["whoever@anywhere.example"], b"Subject: in\r\n\r\nx\r\n")
    [(mailbox, msg)] = messages(localserve)
    assert mailbox == "Inbox"
    assert b"Delivered-To: tern@localhost\r\n" in msg and b"for <whoever@anywhere.example>" in msg


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_localserve_submission_smtplib_auth(localserve, mech):
    with smtplib.SMTP("127.0.0.1", localserve.submission_port, timeout=20) as s:
        s.ehlo("client.example")
        # Plain text submission is allowed on localserve (NoRequireSTARTTLS).
        assert s.mail("tern@localhost")[0] == 530
        s.rset()
        auth = s.esmtp_features["auth"].split()
        assert "SCRAM-SHA-256" in auth and "PLAIN" in auth and "CRAM-MD5" in auth
        assert not any(m.endswith("-PLUS") for m in auth), auth  # no TLS: no channel binding
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login("tern@localhost", "wrong")
        assert e.value.smtp_code == 535
        s.user, s.password = "tern@localhost", "ternterntern"
        code, msg = s.auth(mech, getattr(s, "auth_" + mech.lower().replace("-", "_")))
        assert (code, msg) == (235, b"2.7.0 authenticated")
        s.sendmail("tern@localhost", ["someone@elsewhere.example"],
                   b"From: tern@localhost\r\nSubject: sub %s\r\n\r\nbody\r\n" % mech.encode())
    [(mailbox, msg)] = messages(localserve)
    assert b"Subject: sub " + mech.encode() in msg
    assert b"with ESMTPA id" in msg and b"Message-ID: <" in msg and b"\r\nDate: " in msg


@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_localserve_submission_swaks_auth(localserve, mech):
    p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port",
                        str(localserve.submission_port), "--tls", "--auth", mech,
                        "--auth-user", "tern@localhost", "--auth-password", "ternterntern",
                        "--from", "tern@localhost", "--to", "x@y.example", "--timeout", "20"],
                       capture_output=True, text=True, timeout=60)
    out = p.stdout + p.stderr
    assert "235 2.7.0 authenticated" in out, out
    assert "250 2.0.0 message delivered" in out, out
    [(_, msg)] = messages(localserve)
    assert b"with ESMTPSA (using TLS" in msg


@pytest.mark.parametrize("mech,tls", [("SCRAM-SHA-256-PLUS", "TLS"), ("SCRAM-SHA-1-PLUS", "STARTTLS"),
                                      ("SCRAM-SHA-256", "TLS"), ("SCRAM-SHA-1", "STARTTLS")])
def test_localserve_sendmail_scram(localserve, tmp_path, mech, tls):
    port = localserve.submissions_port if tls == "TLS" else localserve.submission_port
    conf = str(tmp_path / "submit.conf")
    with open(conf, "w") as f:
        f.write("LocalHostname: client.example\nHost: localhost\nPort: %d\nTLS: %s\n"
                "STARTTLS: %s\nUsername: tern@localhost\nPassword: ternterntern\n"
                "AuthMethod: %s\nFrom: tern@localhost\n"
                % (port, str(tls == "TLS").lower(), str(tls == "STARTTLS").lower(), mech))
    env = {"TERNSUBMITCONF": conf, "HOME": str(tmp_path),
           "TERNSUBMIT_CAFILE": os.path.join(localserve.dir, "localhost.crt")}
    p = subprocess.run([TERN_BIN, "sendmail", "x@elsewhere.example"],
                       input=b"Subject: %s\n\nbody\n" % mech.encode(), capture_output=True,
                       env=tern_env(env), timeout=60)
    assert p.returncode == 0, p.stderr
    [(_, msg)] = messages(localserve)
    assert b"Subject: " + mech.encode() in msg and b"From: <tern@localhost>" in msg
    # A wrong password fails, and SCRAM never sends the password itself.
    with open(conf, "a") as f:
        f.write("")
    text = open(conf).read().replace("ternterntern", "wrongpassword")
    open(conf, "w").write(text)
    p = subprocess.run([TERN_BIN, "sendmail", "x@elsewhere.example"], input=b"Subject: x\n\nx\n",
                       capture_output=True, env=tern_env(env), timeout=60)
    assert p.returncode == 1 and b"535 5.7.8" in p.stderr, p.stderr


def ed25519_key(tmp_path):
    """An ed25519 key: (PEM key file, raw-url-base64 seed, SPKI fingerprint as tern stores it)."""
    key = str(tmp_path / "client.key")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", key], check=True)
    der = subprocess.run(["openssl", "pkey", "-in", key, "-outform", "DER"], check=True,
                         capture_output=True).stdout
    spki = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                          check=True, capture_output=True).stdout
    seed = base64.urlsafe_b64encode(der[-32:]).rstrip(b"=").decode()
    fp = base64.urlsafe_b64encode(hashlib.sha256(spki).digest()).rstrip(b"=").decode()
    return key, seed, fp


def add_tls_pubkey(localserve, key, tmp_path, login="tern@localhost"):
    cert = str(tmp_path / ("%s.crt" % os.path.basename(key)))
    subprocess.run(["openssl", "req", "-x509", "-key", key, "-out", cert, "-subj", "/CN=client",
                    "-days", "2"], check=True, capture_output=True)
    p = run_tern(["-config", os.path.join(localserve.dir, "tern.conf"), "config", "tlspubkey",
                  "add", login, "test"], input=open(cert).read())
    assert p.returncode == 0, p.stderr
    return cert


def test_localserve_client_certificate_login(localserve, tmp_path):
    key, seed, fp = ed25519_key(tmp_path)
    cert = str(tmp_path / "unregistered.crt")
    subprocess.run(["openssl", "req", "-x509", "-key", key, "-out", cert, "-subj", "/CN=client",
                    "-days", "2"], check=True, capture_output=True)
    ctx = ssl.create_default_context(cafile=os.path.join(localserve.dir, "localhost.crt"))
    ctx.load_cert_chain(cert, key)
    # An unknown key logs in nobody.
    with smtplib.SMTP_SSL("localhost", localserve.submissions_port, context=ctx, timeout=20) as s:
        s.ehlo("client.example")
        assert "EXTERNAL" not in s.esmtp_features["auth"]
        assert s.mail("tern@localhost")[0] == 530
    add_tls_pubkey(localserve, key, tmp_path)
    # A known key: logged in without AUTH (seed 000), and EXTERNAL is offered and works.
    with smtplib.SMTP_SSL("localhost", localserve.submissions_port, context=ctx, timeout=20) as s:
        s.ehlo("client.example")
        assert "EXTERNAL" in s.esmtp_features["auth"].split()
        s.sendmail("tern@localhost", ["x@y.example"],
                   b"From: tern@localhost\r\nSubject: by certificate\r\n\r\nx\r\n")
    with smtplib.SMTP_SSL("localhost", localserve.submissions_port, context=ctx, timeout=20) as s:
        s.ehlo("client.example")
        assert s.docmd("AUTH", "EXTERNAL =") == (235, b"2.7.0 authenticated")
        assert s.docmd("AUTH", "EXTERNAL =")[0] == 503
    subjects = [m for _, m in messages(localserve) if b"Subject: by certificate" in m]
    assert len(subjects) == 1 and b"with ESMTPSA" in subjects[0]


def test_localserve_sendmail_ed25519_key(localserve, tmp_path):
    key, seed, fp = ed25519_key(tmp_path)
    add_tls_pubkey(localserve, key, tmp_path)
    conf = str(tmp_path / "submit.conf")
    with open(conf, "w") as f:
        f.write("LocalHostname: client.example\nHost: localhost\nPort: %d\nTLS: true\n"
                "STARTTLS: false\nClientAuthEd25519PrivateKey: %s\nFrom: tern@localhost\n"
                % (localserve.submissions_port, seed))
    env = {"TERNSUBMITCONF": conf, "HOME": str(tmp_path),
           "TERNSUBMIT_CAFILE": os.path.join(localserve.dir, "localhost.crt")}
    p = subprocess.run([TERN_BIN, "sendmail", "x@elsewhere.example"],
                       input=b"Subject: by key\n\nbody\n", capture_output=True,
                       env=tern_env(env), timeout=60)
    assert p.returncode == 0, p.stderr
    [(_, msg)] = messages(localserve)
    assert b"Subject: by key" in msg
    # Another key is not known: no login, submission refused.
    (tmp_path / "other").mkdir()
    _, other_seed, _ = ed25519_key(tmp_path / "other")
    text = open(conf).read().replace(seed, other_seed)
    open(conf, "w").write(text)
    p = subprocess.run([TERN_BIN, "sendmail", "x@elsewhere.example"], input=b"Subject: x\n\nx\n",
                       capture_output=True, env=tern_env(env), timeout=60)
    assert p.returncode == 1 and b"530 5.7.0 authentication required" in p.stderr, p.stderr
