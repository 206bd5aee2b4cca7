"""tern message parse: the JSON structure of the corpus messages in
tests/data/mail, checked against Python's email package (part bodies, header
fields) and, when Dovecot is installed, against Dovecot's IMAP BODYSTRUCTURE
and ENVELOPE for the same files (the test starts a private Dovecot)."""

import email
import email.parser
import email.policy
import email.utils
import imaplib
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from harness import REPO, free_port, run_tern

CORPUS = os.path.join(REPO, "tests", "data", "mail")
DOVECOT = "/usr/sbin/dovecot"


def parse(name, *flags):
    p = run_tern(["message", "parse", *flags, os.path.join(CORPUS, name)], check=True)
    return p


def parsed(name):
    return json.loads(parse(name).stdout)


def tern_leaves(part):
    """Leaf parts depth first, descending into multiparts and nested messages."""
    if part["Parts"]:
        for c in part["Parts"]:
            yield from tern_leaves(c)
    elif part["Message"]:
        yield from tern_leaves(part["Message"])
    else:
        yield part


def python_leaves(msg):
    for p in msg.walk():
        if not p.is_multipart():
            yield p


# Files whose multipart structure Python's email package reads as tern does.
# Not here: no-boundary-param and no-delimiter (Python makes the multipart a
# text leaf, tern keeps a multipart without parts), message-global (tern
# parses the base64-encoded nested message, Python does not).
PYTHON_AGREES = [
    "addresses.eml", "alternative-in-mixed.eml", "bare-lf.eml", "calendar.eml", "digest.eml",
    "latin1-headers.eml", "long-headers.eml", "missing-close-boundary.eml", "nested-message.eml",
    "rfc2231.eml", "simple.eml", "smime-encrypted.eml", "smime-signed.eml", "utf8-headers.eml",
]


@pytest.mark.parametrize("name", PYTHON_AGREES)
def test_part_bodies_match_python(name):
    data = open(os.path.join(CORPUS, name), "rb").read()
    j = parsed(name)
    assert j["Size"] == len(data)
    assert j["Part"]["HeaderOffset"] == 0 and j["Part"]["EndOffset"] == len(data)
    msg = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(data)
    ours = list(tern_leaves(j["Part"]))
    theirs = list(python_leaves(msg))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        body = data[o["BodyOffset"]:o["EndOffset"]]
        cte = (t.get("Content-Transfer-Encoding") or "").lower()
        if cte in ("base64", "quoted-printable"):
            raw = t.get_payload(decode=False).encode("ascii", "surrogateescape")
        else:
            raw = t.get_payload(decode=True)  # 7bit/8bit: the bytes as they are
        if body != raw and "no-close-boundary" in j["Problems"] and o["EndOffset"] == len(data):
            # Without a close-delimiter, Python drops the last line ending;
            # tern (and Dovecot) keep every byte up to the end.
            raw += b"\r\n"
        assert body == raw, (name, o["MediaType"])
        assert o["MediaType"] + "/" + o["MediaSubType"] == t.get_content_type()
        # The decoded size is what Python's decoder gives for base64 and QP.
        if cte in ("base64", "quoted-printable") and o["MediaType"] != "message":
            assert o["DecodedSize"] == len(t.get_payload(decode=True))


def test_header_fields_match_python():
    name = "alternative-in-mixed.eml"
    data = open(os.path.join(CORPUS, name), "rb").read()
    msg = email.message_from_bytes(data)
    j = parsed(name)
    assert j["MessageID"] == msg["Message-ID"].strip("<>")
    assert j["References"] == [r.strip("<>") for r in msg["References"].split()]
    assert j["InReplyTo"] == ["parent@example.com"]
    assert j["SubjectBase"] == "report"
    assert j["Date"] == "2020-03-03T09:11:12Z" and j["DateTZOffset"] == 60
    def addr(a):
        user = a["User"] if " " not in a["User"] else '"%s"' % a["User"]
        return (a["DisplayName"], "%s@%s" % (user, a["Host"]))
    to = [addr(a) for a in j["Envelope"]["To"] if "User" in a]
    assert to == email.utils.getaddresses([msg["To"]])
    assert j["Envelope"]["To"][1] == {"GroupStart": "Group"}
    assert j["FirstFrom"] == {"Localpart": "john.doe", "Domain": "example.com"}
    params = j["Part"]["Parts"][1]["ContentDispositionParams"]
    assert params == {"filename": "report.pdf", "size": "6"}
    assert j["Problems"] == []


def test_decoded_values():
    j = parsed("rfc2231.eml")
    parts = j["Part"]["Parts"]
    assert parts[1]["ContentTypeParams"] == {"name": "€ rates.txt"}
    assert parts[2]["ContentTypeParams"]["name"] == "été.txt"
    assert parts[2]["ContentDispositionParams"]["filename"] == "été.txt"
    assert parts[3]["ContentDispositionParams"]["filename"] == "long name continued!"
    j = parsed("utf8-headers.eml")
    assert j["Subject"] == "Grüße aus Köln"
    assert j["Headers8bit"] and j["HeadersUTF8"]
    assert j["Envelope"]["From"][0]["DisplayName"] == "Jörg"
    assert j["FirstFrom"] == {"Localpart": "jörg", "Domain": "xn--bcher-kva.example"}
    j = parsed("message-global.eml")
    nested = j["Part"]["Parts"][0]
    assert "decoded-message" in nested["Problems"]
    assert nested["Envelope"]["Subject"] == "global"
    j = parsed("missing-close-boundary.eml")
    assert "no-close-boundary" in j["Problems"]


def test_smtputf8_flag():
    p = parse("utf8-headers.eml", "-smtputf8")
    assert p.stdout.rstrip().endswith("message needs smtputf8: true")
    json.loads(p.stdout[:p.stdout.rindex("message needs")])
    p = parse("simple.eml", "-smtputf8")
    assert p.stdout.rstrip().endswith("message needs smtputf8: false")


def test_usage_and_errors():
    p = run_tern(["message", "parse"])
    assert p.returncode == 2 and "usage: tern message parse" in p.stderr
    p = run_tern(["message", "parse", "/nonexistent/message.eml"])
    assert p.returncode == 1 and "open:" in p.stderr
    p = run_tern(["help", "message", "parse"], check=True)
    assert "Parse message, print JSON representation." in p.stdout


def test_arbitrary_bytes_always_give_a_structure(tmp_path):
    blobs = [b"", b"\r\n", b"\x00\xff" * 100, b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n" * 50,
             b"From: <<<>>>@@@,,,;;;:::\r\nSubject: =?x?q?=?=\r\n\r\n"]
    for i, b in enumerate(blobs):
        f = tmp_path / ("m%d" % i)
        f.write_bytes(b)
        p = run_tern(["message", "parse", str(f)], check=True)
        j = json.loads(p.stdout)
        assert j["Size"] == len(b) and j["Part"]["EndOffset"] == len(b)


# Dovecot 2.3 agrees with tern on these (compared case-insensitively, since
# tern upper-cases media types and parameter names). See
# tests/unit/test_mail_corpus.c for the files where tern differs on purpose.
DOVECOT_BODYSTRUCTURE = [
    "addresses.eml", "alternative-in-mixed.eml", "calendar.eml", "digest.eml",
    "latin1-headers.eml", "long-headers.eml", "missing-close-boundary.eml",
    "no-boundary-param.eml", "no-delimiter.eml", "simple.eml", "smime-encrypted.eml",
    "smime-signed.eml", "utf8-headers.eml",
]
DOVECOT_ENVELOPE = [
    "alternative-in-mixed.eml", "calendar.eml", "digest.eml", "missing-close-boundary.eml",
    "nested-message.eml", "no-boundary-param.eml", "no-delimiter.eml", "simple.eml",
    "smime-encrypted.eml", "smime-signed.eml",
]


class PrivateDovecot:
    def __init__(self, files):
        self.dir = tempfile.mkdtemp(prefix="tern-dovecot-")
        os.chmod(self.dir, 0o755)  # Dovecot's unprivileged processes read the users file
        self.port = free_port()
        user = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        w = self.dir
        maildir = os.path.join(w, "mail", "user1", "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(maildir, sub))
        for i, f in enumerate(files):
            shutil.copy(os.path.join(CORPUS, f), os.path.join(maildir, "cur", "%d.%d.tern:2,S" % (1000 + i, i)))
        conf = f"""protocols = imap
listen = 127.0.0.1
base_dir = {w}/run
state_dir = {w}/state
log_path = {w}/dovecot.log
instance_name = tern-{self.port}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{w}/mail/%u/Maildir
mail_uid = {user.pw_uid}
mail_gid = {user.pw_gid}
first_valid_uid = 0
default_internal_user = {user.pw_name}
default_login_user = {user.pw_name}
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {w}/users
}}
userdb {{
  driver = static
  args = uid={user.pw_uid} gid={user.pw_gid} home={w}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        with open(os.path.join(w, "dovecot.conf"), "w") as f:
            f.write(conf)
        with open(os.path.join(w, "users"), "w") as f:
            f.write("user1:{PLAIN}pass\n")
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "%d:%d" % (user.pw_uid, user.pw_gid), os.path.join(w, "mail")], check=True)
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", os.path.join(w, "dovecot.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise AssertionError("dovecot did not start")
                time.sleep(0.05)

    def fetch(self, item, count):
        c = imaplib.IMAP4("127.0.0.1", self.port)
        c.login("user1", "pass")
        c.select("INBOX", readonly=True)
        out = []
        for i in range(1, count + 1):
            typ, data = c.fetch(str(i), "(%s)" % item)
            assert typ == "OK"
            line = data[0] if isinstance(data[0], bytes) else None
            assert line is not None, "literal in %s of message %d" % (item, i)
            prefix = b"%d (%s " % (i, item.encode())
            assert line.startswith(prefix) and line.endswith(b")")
            out.append(line[len(prefix):-1].decode())
        c.logout()
        return out

    def fetch_section(self, uid, section):
        """BODY.PEEK[section] of message number uid, as bytes."""
        c = imaplib.IMAP4("127.0.0.1", self.port)
        try:
            c.login("user1", "pass")
            c.select("INBOX", readonly=True)
            typ, data = c.fetch(str(uid), "(BODY.PEEK[%s])" % section)
            assert typ == "OK"
            if isinstance(data[0], tuple):
                return data[0][1]
            # An empty section comes as a quoted "".
            assert data[0].endswith(b' ""))') or data[0].endswith(b' "")'), data
            return b""
        finally:
            c.logout()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.mark.skipif(not os.path.exists(DOVECOT), reason="dovecot-imapd is not installed")
def test_imap_data_matches_dovecot():
    d = PrivateDovecot(DOVECOT_BODYSTRUCTURE)
    try:
        theirs = d.fetch("BODYSTRUCTURE", len(DOVECOT_BODYSTRUCTURE))
    finally:
        d.stop()
    for name, t in zip(DOVECOT_BODYSTRUCTURE, theirs):
        assert parsed(name)["IMAPBodyStructure"].lower() == t.lower(), name
    d = PrivateDovecot(DOVECOT_ENVELOPE)
    try:
        theirs = d.fetch("ENVELOPE", len(DOVECOT_ENVELOPE))
    finally:
        d.stop()
    for name, t in zip(DOVECOT_ENVELOPE, theirs):
        assert parsed(name)["IMAPEnvelope"] == t, name


def sections(part, prefix=""):
    """(section, part) for every part IMAP can name, as RFC 9051 6.4.5 numbers them."""
    if part["Parts"]:
        for i, c in enumerate(part["Parts"], 1):
            sec = "%s%d" % (prefix, i)
            yield sec, c
            if c["Message"]:
                yield from message_sections(c["Message"], sec + ".")
            elif c["Parts"]:
                yield from sections(c, sec + ".")
    elif prefix == "":
        yield "1", part


def message_sections(root, prefix):
    if root["Parts"]:
        yield from sections(root, prefix)
    else:
        yield prefix + "1", root


# Files whose part sizes Dovecot reports as tern does (see above).
DOVECOT_SECTIONS = ["alternative-in-mixed.eml", "calendar.eml", "digest.eml", "missing-close-boundary.eml",
                    "rfc2231.eml", "smime-signed.eml", "simple.eml"]


@pytest.mark.skipif(not os.path.exists(DOVECOT), reason="dovecot-imapd is not installed")
def test_section_bytes_match_dovecot():
    d = PrivateDovecot(DOVECOT_SECTIONS)
    try:
        for uid, name in enumerate(DOVECOT_SECTIONS, 1):
            data = open(os.path.join(CORPUS, name), "rb").read()
            j = parsed(name)
            checked = 0
            for sec, p in sections(j["Part"]):
                theirs = d.fetch_section(uid, sec)
                assert data[p["BodyOffset"]:p["EndOffset"]] == theirs, (name, sec)
                if sec != "1" or j["Part"]["Parts"]:
                    mime = d.fetch_section(uid, sec + ".MIME")
                    assert data[p["HeaderOffset"]:p["BodyOffset"]] == mime, (name, sec + ".MIME")
                checked += 1
            assert checked > 0
            assert d.fetch_section(uid, "HEADER") == data[:j["Part"]["BodyOffset"]]
            assert d.fetch_section(uid, "TEXT") == data[j["Part"]["BodyOffset"]:]
    finally:
        d.stop()
