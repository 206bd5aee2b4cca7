"""tern's SMTP client (src/smtp/client.c on src/net/dial.c and src/net/tlsclient.c),
driven by tests/tools/smtpsend, against tern's own server and a private Postfix
on loopback: deliveries of several messages over one connection, and TLS
verification succeeding and failing as it should — PKIX with a wrong name,
an untrusted CA and an expired certificate (made with openssl), DANE-EE
matching and not, DANE-TA with the name checks of RFC 7672 3.2.2, unusable
TLSA records — with the RFC 8460 result types a TLS report is built from.
TLSA records are made by hand from the test certificates; no DNS is needed.
"""

import base64
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

import pytest

from harness import REPO, Tern, free_port, tern_env
from test_smtp_server import stored

sys.path.insert(0, os.path.join(REPO, "bench", "smtp"))
from postfix import Postfix, available  # noqa: E402

SMTPSEND = os.path.join(REPO, "build", "asan", "tools", "smtpsend")

DOMAINS = """Domains:
	test.example: nil
Accounts:
	mjl:
		Domain: test.example
		Destinations:
			mjl@test.example: nil
"""

CA_CONF = """[ ca ]
default_ca = CA_default
[ CA_default ]
dir = %s
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
default_md = sha256
policy = policy_any
copy_extensions = copy
unique_subject = no
[ policy_any ]
commonName = supplied
"""


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


class PKI:
    """A test CA with leaf certificates, a second (untrusted) CA, and TLSA data."""

    def __init__(self, d):
        self.dir = d
        os.makedirs(os.path.join(d, "newcerts"))
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("01\n")
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write(CA_CONF % d)
        self.ca = self.make_ca("ca", "tern test CA")
        self.rogue_ca = self.make_ca("rogue", "rogue CA")

    def path(self, name):
        return os.path.join(self.dir, name)

    def make_ca(self, name, cn):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", self.path(name + ".key"), "-out", self.path(name + ".crt"),
                "-subj", "/CN=" + cn, "-days", "30",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        return name

    def leaf(self, name, dns, ca, start=None, end=None):
        """A certificate for dns signed by ca; name.pem has the leaf then the CA."""
        key, csr, crt = self.path(name + ".key"), self.path(name + ".csr"), self.path(name + ".crt")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", csr, "-subj", "/CN=" + dns,
                "-addext", "subjectAltName=DNS:" + dns)
        dates = ["-startdate", start, "-enddate", end] if start else ["-days", "30"]
        openssl("ca", "-batch", "-config", self.path("ca.cnf"), "-cert", self.path(ca + ".crt"),
                "-keyfile", self.path(ca + ".key"), "-in", csr, "-out", crt, "-notext", *dates)
        with open(self.path(name + ".pem"), "wb") as f:
            f.write(open(crt, "rb").read() + open(self.path(ca + ".crt"), "rb").read())
        os.chmod(key, 0o644)
        return self.path(name + ".pem"), key

    def der(self, name):
        return subprocess.run(["openssl", "x509", "-in", self.path(name + ".crt"), "-outform",
                               "DER"], check=True, capture_output=True).stdout

    def spki(self, name):
        pub = subprocess.run(["openssl", "x509", "-in", self.path(name + ".crt"), "-noout",
                              "-pubkey"], check=True, capture_output=True).stdout
        return subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                              check=True, capture_output=True).stdout

    def tlsa(self, usage, selector, mtype, name):
        data = self.der(name) if selector == 0 else self.spki(name)
        if mtype == 1:
            data = hashlib.sha256(data).digest()
        elif mtype == 2:
            data = hashlib.sha512(data).digest()
        return "%d %d %d %s" % (usage, selector, mtype, data.hex())


@pytest.fixture(scope="module")
def pki():
    d = tempfile.mkdtemp(prefix="tern-it-pki-")
    os.chmod(d, 0o755)
    p = PKI(d)
    p.mx = p.leaf("mx", "mx.test.example", "ca")
    p.expired = p.leaf("expired", "expired.test.example", "ca", "20200101000000Z",
                       "20200201000000Z")
    p.untrusted = p.leaf("untrusted", "untrusted.test.example", "rogue")
    p.postfix = p.leaf("postfix", "postfix.test.example", "ca")
    yield p
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def server(pki):
    """tern with three certificates chosen by SNI; the first (mx) is the default."""
    ports = {"smtp": free_port(), "submissions": free_port()}
    keycerts = "".join("\t\t\t\t-\n\t\t\t\t\tCertFile: %s\n\t\t\t\t\tKeyFile: %s\n" % pair
                       for pair in (pki.mx, pki.expired, pki.untrusted))
    listeners = ("\tlocal:\n\t\tIPs:\n\t\t\t- 127.0.0.1\n\t\tHostname: mail.test.example\n"
                 "\t\tTLS:\n\t\t\tKeyCerts:\n%s"
                 "\t\tSMTP:\n\t\t\tEnabled: true\n\t\t\tPort: %d\n"
                 "\t\tSubmissions:\n\t\t\tEnabled: true\n\t\t\tPort: %d\n"
                 % (keycerts, ports["smtp"], ports["submissions"]))
    t = Tern(name="smtpclient-tls", listeners=listeners, domains=DOMAINS)
    t.ports = ports
    t.start()
    yield t
    rc = t.stop()
    t.check_log()
    assert rc == 0, t.log()
    t.cleanup()


def smtpsend(*args, timeout=60):
    p = subprocess.run([SMTPSEND] + [str(a) for a in args], capture_output=True, text=True,
                       env=tern_env(), timeout=timeout)
    assert "Sanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr
    facts = {}
    for line in p.stdout.splitlines():
        words = shlex.split(line)
        key = " ".join(w for w in words[:3] if "=" not in w)
        facts[key] = dict(w.split("=", 1) for w in words if "=" in w)
    return p, facts


def write_msg(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def to_tern(server, *args):
    return smtpsend("-connect", "127.0.0.1:%d" % server.ports["smtp"], "-tls", "starttls",
                    "-ehlo", "client.test.example", *args)


def wait_stored(t, n, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        msgs = stored(t.data_dir, "mjl")
        if len(msgs) >= n:
            return msgs
        time.sleep(0.1)
    raise AssertionError("%d messages stored, wanted %d" % (len(stored(t.data_dir, "mjl")), n))


def test_several_messages_over_one_verified_connection(server, pki, tmp_path):
    before = len(stored(server.data_dir, "mjl"))
    m1 = write_msg(tmp_path, "m1", b"Subject: one\r\n\r\n.leading dot\r\nbody one\r\n")
    m2 = write_msg(tmp_path, "m2", b"Subject: two\r\n\r\n" + b"line\r\n" * 20000)
    p, facts = to_tern(server, "-verify", "pkix", "-name", "mx.test.example", "-cafile",
                       pki.path("ca.crt"), "-from", "sender@client.test.example",
                       "-rcpt", "mjl@test.example", "-rcpt", "nobody@test.example",
                       "-msg", m1, "-msg", m2)
    assert p.returncode == 0, p.stdout + p.stderr
    tls = facts["tls"]
    assert tls["handshake"] == "1" and tls["verified"] == "1" and tls["pkix"] == "ok", tls
    assert tls["failure"] == "" and tls["sni"] == "mx.test.example" and tls["chain"] == "2"
    assert tls["subject"] == "CN=mx.test.example" and tls["issuer"] == "CN=tern test CA"
    assert facts["peerchain"]["pem"] == "2"
    assert facts["ehlo"]["pipelining"] == "1" and facts["ehlo"]["chunking"] == "1"
    for i in ("0", "1"):
        tx = facts["tx " + i]
        assert tx["ok"] == "1" and tx["accepted"] == "1", tx
        assert tx["chunking"] == "1" and tx["pipelined"] == "1"
        assert facts["rcpt %s 0" % i]["code"] == "250"
        assert facts["rcpt %s 1" % i]["code"] == "550", facts  # no such address
        assert facts["rcpt %s 1" % i]["ecode"].startswith("5.1.")
    assert facts["quit ok"] == {}
    msgs = wait_stored(server, before + 2)[before:]
    bodies = sorted(m.split(b"\r\n\r\n", 1)[1] for _, m in msgs)
    assert bodies == sorted([b".leading dot\r\nbody one\r\n", b"line\r\n" * 20000])
    assert all(b"with ESMTPS" in m for _, m in msgs)


@pytest.mark.parametrize("name,failure,reason", [
    ("other.test.example", "certificate-host-mismatch", "hostname mismatch"),
    ("untrusted.test.example", "certificate-not-trusted", "self-signed certificate in certificate chain"),
    ("expired.test.example", "certificate-expired", "certificate has expired"),
])
def test_pkix_failures_stop_the_session(server, pki, name, failure, reason):
    p, facts = to_tern(server, "-verify", "pkix", "-name", name, "-cafile", pki.path("ca.crt"))
    assert p.returncode == 1
    tls = facts["tls"]
    assert tls["handshake"] == "0" and tls["verified"] == "0", tls
    assert tls["failure"] == failure and tls["pkixfailure"] == failure, tls
    assert reason in tls["reason"], tls
    assert facts["hello fail"]["kind"] == "permission"
    assert "certificate verification (pkix) failed" in facts["hello fail"]["msg"]
    # Opportunistic: the same finding is reported, and the session goes on.
    p, facts = to_tern(server, "-verify", "opportunistic", "-name", name, "-cafile",
                       pki.path("ca.crt"))
    assert p.returncode == 0, p.stdout
    tls = facts["tls"]
    assert tls["handshake"] == "1" and tls["verified"] == "1" and tls["pkix"] == "fail"
    assert tls["failure"] == failure, tls
    assert facts["quit ok"] == {}


def test_without_the_ca_nothing_is_trusted(server):
    # The system's CAs do not include the test CA.
    p, facts = to_tern(server, "-verify", "pkix", "-name", "mx.test.example")
    assert p.returncode == 1
    assert facts["tls"]["failure"] == "certificate-not-trusted", facts


@pytest.mark.parametrize("selector,mtype", [(1, 1), (0, 1), (1, 2), (0, 0)])
def test_dane_ee_matches_the_key_whatever_the_name_or_dates(server, pki, selector, mtype):
    for name in ("untrusted", "expired"):
        record = pki.tlsa(3, selector, mtype, name)
        p, facts = to_tern(server, "-verify", "dane", "-name", "%s.test.example" % name,
                           "-tlsa", record)
        assert p.returncode == 0, p.stdout + p.stderr
        tls = facts["tls"]
        assert tls["verified"] == "1" and tls["dane"] == "ok", tls
        assert (tls["matched"], tls["usage"], tls["depth"]) == ("1", "3", "0"), tls
        assert (tls["selector"], tls["mtype"]) == (str(selector), str(mtype))
        # PKIX is still computed for reporting: the untrusted CA, the expired date.
        assert tls["pkix"] == "fail", tls


def test_dane_ee_mismatch_fails_with_a_validation_failure(server, pki):
    # The record of another certificate's key, and a record that is not usable next to it.
    p, facts = to_tern(server, "-verify", "dane", "-name", "mx.test.example",
                       "-tlsa", pki.tlsa(3, 1, 1, "untrusted"), "-tlsa", pki.tlsa(1, 1, 1, "mx"))
    assert p.returncode == 1
    tls = facts["tls"]
    assert tls["handshake"] == "0" and tls["usable"] == "1", tls
    assert tls["failure"] == "validation-failure" and tls["reason"] == "dane-no-match", tls
    assert "certificate verification (dane) failed: dane-no-match" in facts["hello fail"]["msg"]
    # Reported, not enforced, when opportunistic (a message with TLS-Required: No).
    p, facts = to_tern(server, "-verify", "opportunistic", "-name", "mx.test.example",
                       "-tlsa", pki.tlsa(3, 1, 1, "untrusted"), "-cafile", pki.path("ca.crt"))
    assert p.returncode == 0
    tls = facts["tls"]
    assert tls["dane"] == "fail" and tls["failure"] == "validation-failure", tls
    assert tls["pkix"] == "ok", tls


def test_dane_ta_checks_chain_names_and_dates(server, pki):
    for record in (pki.tlsa(2, 0, 1, "ca"), pki.tlsa(2, 1, 1, "ca"), pki.tlsa(2, 0, 0, "ca")):
        p, facts = to_tern(server, "-verify", "dane", "-name", "mx.test.example", "-tlsa", record)
        assert p.returncode == 0, p.stdout
        tls = facts["tls"]
        assert tls["dane"] == "ok" and (tls["usage"], tls["depth"]) == ("2", "1"), tls
    ta = pki.tlsa(2, 1, 1, "ca")
    # RFC 7672 3.2.2: the certificate must name the TLSA base domain or another reference
    # identifier. "other" gets the default certificate (mx) by SNI.
    p, facts = to_tern(server, "-verify", "dane", "-name", "other.test.example", "-tlsa", ta)
    assert p.returncode == 1
    assert facts["tls"]["failure"] == "certificate-host-mismatch", facts["tls"]
    p, facts = to_tern(server, "-verify", "dane", "-name", "other.test.example",
                       "-morename", "mx.test.example", "-tlsa", ta)
    assert p.returncode == 0, p.stdout
    assert facts["tls"]["dane"] == "ok"
    # A trust anchor does not excuse an expired leaf.
    p, facts = to_tern(server, "-verify", "dane", "-name", "expired.test.example", "-tlsa", ta)
    assert p.returncode == 1
    assert facts["tls"]["failure"] == "certificate-expired", facts["tls"]
    # Another CA's anchor does not match.
    p, facts = to_tern(server, "-verify", "dane", "-name", "mx.test.example",
                       "-tlsa", pki.tlsa(2, 1, 1, "rogue"))
    assert p.returncode == 1
    assert facts["tls"]["reason"] == "dane-no-match", facts["tls"]


def test_unusable_tlsa_records_mean_no_handshake(server, pki):
    # PKIX-TA/PKIX-EE are not for SMTP (RFC 7672 3.1.3); a SHA-256 of the wrong length.
    p, facts = to_tern(server, "-verify", "dane", "-name", "mx.test.example",
                       "-tlsa", pki.tlsa(1, 1, 1, "mx"), "-tlsa", pki.tlsa(0, 0, 1, "ca"),
                       "-tlsa", "3 1 1 abcd")
    assert p.returncode == 1
    tls = facts["tls"]
    assert tls["failure"] == "tlsa-invalid" and tls["usable"] == "0", tls
    assert tls["handshake"] == "0" and tls["chain"] == "0"


def test_implicit_tls_with_a_client_certificate_and_starttls_without_offer(server, pki):
    # A client certificate from a PEM file with certificate and key: the server sees its key.
    cert, key = pki.leaf("client", "client.test.example", "ca")
    both = pki.path("client-both.pem")
    with open(both, "wb") as f:
        f.write(open(cert, "rb").read() + open(key, "rb").read())
    p, facts = smtpsend("-connect", "127.0.0.1:%d" % server.ports["submissions"], "-tls",
                        "implicit", "-verify", "pkix", "-name", "mx.test.example", "-cafile",
                        pki.path("ca.crt"), "-clientcert", both)
    assert p.returncode == 0, p.stdout + p.stderr
    assert facts["tls"]["verified"] == "1" and facts["tls"]["version"].startswith("TLS1.")
    fp = base64.urlsafe_b64encode(hashlib.sha256(pki.spki("client")).digest()).rstrip(b"=")
    server.wait_log(r"clientfp=%s" % re.escape(fp.decode()))
    # Opportunistic without an offer: plain text, reported as starttls-not-supported.
    fake = subprocess.Popen([sys.executable, "-c", PLAIN_SERVER], stdout=subprocess.PIPE,
                            text=True)
    port = int(fake.stdout.readline())
    p, facts = smtpsend("-connect", "127.0.0.1:%d" % port, "-tls", "opportunistic")
    assert p.returncode == 0, p.stdout
    assert facts["tls"]["failure"] == "starttls-not-supported", facts
    assert facts["tls"]["reason"] == "starttls not offered"
    # Required: STARTTLS is sent anyway, and its refusal ends the session.
    p, facts = smtpsend("-connect", "127.0.0.1:%d" % port, "-tls", "starttls")
    assert p.returncode == 1
    assert facts["tls"]["failure"] == "starttls-not-supported", facts
    assert facts["tls"]["reason"] == "smtp-starttls-reply-code-502"
    assert "STARTTLS: 502 5.5.1" in facts["hello fail"]["msg"]
    fake.kill()
    fake.wait()


# A server without STARTTLS, for two sessions.
PLAIN_SERVER = r"""
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4)
print(s.getsockname()[1], flush=True)
for _ in range(2):
    c, _ = s.accept()
    f = c.makefile("rb")
    c.sendall(b"220 plain.example ESMTP\r\n")
    for line in f:
        cmd = line.strip().upper()
        if cmd.startswith(b"EHLO"):
            c.sendall(b"250-plain.example\r\n250 PIPELINING\r\n")
        elif cmd == b"STARTTLS":
            c.sendall(b"502 5.5.1 no tls here\r\n")
        elif cmd == b"QUIT":
            c.sendall(b"221 bye\r\n")
            break
    c.close()
"""


def test_dial_errors_have_their_kinds(server, tmp_path):
    s_port = free_port()
    p, facts = smtpsend("-connect", "127.0.0.1:%d" % s_port)
    assert p.returncode == 1 and facts["dial fail"]["kind"] == "refused", p.stdout
    # A second address is tried after the first fails; the source address is ours to choose.
    m = write_msg(tmp_path, "m", b"Subject: from 127.0.0.2\r\n\r\nx\r\n")
    before = len(stored(server.data_dir, "mjl"))
    p, facts = smtpsend("-connect", "127.0.0.1:%d" % s_port,
                        "-connect", "127.0.0.1:%d" % server.ports["smtp"], "-local", "127.0.0.2",
                        "-from", "a@client.test.example", "-rcpt", "mjl@test.example", "-msg", m)
    assert p.returncode == 0, p.stdout + p.stderr
    assert facts["dial ok"]["local"].startswith("127.0.0.2:"), facts
    msg = wait_stored(server, before + 1)[before][1]
    assert b"[127.0.0.2]" in msg.split(b"\r\n\r\n")[0], msg
    # No route: in a network namespace with only loopback.
    if shutil.which("unshare"):
        p = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up 2>/dev/null; exec \"$0\" \"$@\"",
                            SMTPSEND, "-connect", "192.0.2.1:25"], capture_output=True, text=True,
                           env=tern_env(), timeout=60)
        assert p.returncode == 1 and "dial fail kind=unreachable" in p.stdout, p.stdout + p.stderr


# ---- Postfix as the receiver ----

@pytest.fixture(scope="module")
def postfix(pki):
    if not available():
        pytest.skip("postfix not installed (scripts/deps.sh)")
    work = tempfile.mkdtemp(prefix="tern-it-pf-client-")
    os.chmod(work, 0o755)
    cert, key = pki.postfix
    pf = Postfix(os.path.join(work, "pf"), maildir_users=["user1"], tls_cert=cert,
                 tls_key=key).start()
    yield pf
    pf.stop()
    log = pf.log()
    shutil.rmtree(work, ignore_errors=True)
    assert "fatal" not in log and "panic" not in log, log


def maildir(pf, user):
    d = os.path.join(pf.mail, user, "Maildir", "new")
    out = []
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        with open(os.path.join(d, name), "rb") as f:
            out.append(f.read())
    return out


def wait_maildir(pf, user, n, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        msgs = maildir(pf, user)
        if len(msgs) >= n:
            return msgs
        time.sleep(0.2)
    raise AssertionError("%d messages in the Maildir, wanted %d:\n%s" % (
        len(maildir(pf, user)), n, pf.log()[-3000:]))


def test_postfix_receives_over_dane_and_plain(postfix, pki, tmp_path):
    big = b"".join(b"line %06d: %s\n" % (i, b"x" * 60) for i in range(15000))  # ~1 MB, bare LF
    cases = [b"Subject: plain\r\n\r\nhello\r\n.leading dot\r\n..two dots\r\n",
             b"Subject: eight bit\r\nContent-Type: text/plain; charset=utf-8\r\n"
             b"Content-Transfer-Encoding: 8bit\r\n\r\ngr\xc3\xbc\xc3\x9fe\r\n",
             b"Subject: big\r\n\r\n" + big]
    files = [write_msg(tmp_path, "m%d" % i, m) for i, m in enumerate(cases)]
    args = ["-connect", "127.0.0.1:%d" % postfix.port, "-ehlo", "client.test.example",
            "-from", "sender@client.test.example", "-rcpt", "user1@test.example",
            "-rcpt", "unknown@test.example", "-8bit"]
    for f in files:
        args += ["-msg", f]
    p, facts = smtpsend("-tls", "starttls", "-verify", "dane", "-name", "postfix.test.example",
                        "-tlsa", pki.tlsa(3, 1, 1, "postfix"), *args)
    assert p.returncode == 0, p.stdout + p.stderr
    assert facts["tls"]["dane"] == "ok" and facts["tls"]["verified"] == "1", facts["tls"]
    assert facts["ehlo"]["pipelining"] == "1" and facts["ehlo"]["chunking"] == "1", facts
    for i in range(3):
        assert facts["tx %d" % i]["ok"] == "1" and facts["tx %d" % i]["chunking"] == "1"
        assert facts["rcpt %d 1" % i]["code"] == "550", facts  # not in the virtual map
    # The same over plain text (DATA would be used by a server without CHUNKING; Postfix has it).
    p, facts = smtpsend("-tls", "none", *args[:-6], "-msg", files[0])
    assert p.returncode == 0, p.stdout
    assert "tls" not in facts
    msgs = wait_maildir(postfix, "user1", 4)
    bodies = [m.split(b"\n\n", 1)[1] for m in msgs]
    # Postfix stores with LF line ends.
    want = [c.split(b"\r\n\r\n", 1)[1].replace(b"\r\n", b"\n") for c in cases + cases[:1]]
    assert sorted(bodies) == sorted(want)
    log = postfix.log()
    assert "TLS connection established from" in log, log[-2000:]
