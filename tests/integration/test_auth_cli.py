"""Authentication on the command line: setaccountpassword, setadminpassword and
config tlspubkey list/get/add/rm/gen, run against real config and data directories
(also while tern serve runs). The stored credentials are checked independently here:
SCRAM keys recomputed with hashlib from the password, argon2id verified with libsodium,
and the whole data directory scanned for the clear-text password."""

import ctypes
import hashlib
import hmac
import os
import pwd
import re
import sqlite3
import stat
import struct
import subprocess
import unicodedata

import pytest

from harness import Tern, run_tern

SODIUM = ctypes.CDLL("libsodium.so.23")
assert SODIUM.sodium_init() >= 0

DOMAINS = """Domains:
	test.example:
		Aliases:
			list:
				Addresses:
					- mjl@test.example
Accounts:
	mjl:
		Domain: test.example
		Destinations:
			mjl@test.example: nil
			r\u00e9my@test.example: nil
	other:
		Domain: test.example
		Destinations:
			other@test.example: nil
"""

# Typed with a decomposed "a" + diaeresis and a no-break space: PRECIS OpaqueString
# (RFC 8265) stores the NFC form with an ASCII space.
TYPED = "Corr3ct horse\u00a0battery sta\u0308ple"
PREPARED = "Corr3ct horse battery st\u00e4ple"


def argon2_verify(hash_str, password):
    h = hash_str.encode() if isinstance(hash_str, str) else hash_str
    pw = password.encode()
    return SODIUM.crypto_pwhash_str_verify(ctypes.c_char_p(h), ctypes.c_char_p(pw),
                                           ctypes.c_ulonglong(len(pw))) == 0


def parse_credentials(blob):
    """The storage form of src/auth/credentials.h, version 1."""
    assert blob[:5] == b"tcrd\x01", blob[:5]
    flags = blob[5]
    assert hashlib.sha256(blob[:-8]).digest()[:8] == blob[-8:], "checksum"
    p = 6
    out = {}
    if flags & 1:
        n = blob[p]
        out["argon2"] = blob[p + 1:p + 1 + n].decode()
        p += 1 + n
    for bit, name, hl in ((2, "sha1", 20), (4, "sha256", 32)):
        if flags & bit:
            sl = blob[p]
            salt = blob[p + 1:p + 1 + sl]
            p += 1 + sl
            (it,) = struct.unpack(">I", blob[p:p + 4])
            p += 4
            out[name] = (salt, it, blob[p:p + hl], blob[p + hl:p + 2 * hl])
            p += 2 * hl
    if flags & 8:
        out["crammd5"] = (blob[p:p + 16], blob[p + 16:p + 32])
        p += 32
    assert p == len(blob) - 8, "no trailing bytes"
    return out


def scram_keys(name, password, salt, iterations):
    """RFC 5802 3: StoredKey and ServerKey from the password."""
    salted = hashlib.pbkdf2_hmac(name, password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", name).digest()
    return hashlib.new(name, client_key).digest(), hmac.new(salted, b"Server Key", name).digest()


def stored_blob(t, account):
    db = sqlite3.connect(os.path.join(t.data_dir, "accounts", account, "index.db"))
    try:
        row = db.execute("SELECT data FROM credentials WHERE id = 1").fetchone()
    finally:
        db.close()
    assert row, "credentials stored"
    return bytes(row[0])


def scan_for(root, needles):
    """Files under root containing any of the byte strings."""
    hits = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            path = os.path.join(dirpath, f)
            with open(path, "rb") as fh:
                data = fh.read()
            hits += [(path, n) for n in needles if n in data]
    return hits


def test_setaccountpassword_stores_only_derived_secrets(make_tern):
    t = make_tern(domains=DOMAINS)
    p = t.tern("setaccountpassword", "mjl", input=TYPED + "\n")
    assert p.returncode == 0, p.stderr
    creds = parse_credentials(stored_blob(t, "mjl"))
    assert creds["argon2"].startswith("$argon2id$v=19$m=65536,t=2,p=1$")
    assert argon2_verify(creds["argon2"], PREPARED)
    assert not argon2_verify(creds["argon2"], TYPED), "the prepared form is what counts"
    for name in ("sha1", "sha256"):
        salt, it, stored, server = creds[name]
        assert len(salt) == 16
        assert it >= 4096
        assert (stored, server) == scram_keys(name, PREPARED, salt, it)
    assert len(creds["crammd5"][0]) == 16

    # No clear text anywhere in the data directory, in any normalisation or encoding.
    variants = {TYPED, PREPARED, unicodedata.normalize("NFD", PREPARED)}
    needles = [v.encode() for v in variants] + [v.encode("utf-16-le") for v in variants]
    needles.append(b"Corr3ct horse")
    assert scan_for(t.data_dir, needles) == []
    assert scan_for(t.config_dir, needles) == []

    # A new password replaces every part.
    p = t.tern("setaccountpassword", "mjl", input="another one\n")
    assert p.returncode == 0, p.stderr
    again = parse_credentials(stored_blob(t, "mjl"))
    assert argon2_verify(again["argon2"], "another one")
    assert not argon2_verify(again["argon2"], PREPARED)
    assert again["sha256"][0] != creds["sha256"][0], "new salt"
    assert again["crammd5"] != creds["crammd5"]


def test_setaccountpassword_refusals(make_tern):
    t = make_tern(domains=DOMAINS)
    p = t.tern("setaccountpassword", "nosuch", input="x\n")
    assert p.returncode == 1 and 'account "nosuch" does not exist' in p.stderr
    p = t.tern("setaccountpassword", "mjl@test.example", input="x\n")
    assert p.returncode == 1, "an address is not an account name"
    p = t.tern("setaccountpassword", "mjl", input="bad\x07bell\n")
    assert p.returncode == 1
    assert "disallowed character U+0007 (control character)" in p.stderr
    p = t.tern("setaccountpassword", "mjl", input="")
    assert p.returncode == 1 and "no password given" in p.stderr
    p = t.tern("setaccountpassword", "mjl", input="a" * 1025 + "\n")
    assert p.returncode == 1 and "longer than 1024 bytes" in p.stderr
    p = t.tern("setaccountpassword", input="x\n")
    assert p.returncode == 2 and "usage: tern setaccountpassword $account" in p.stderr
    # Refused before anything was written.
    assert not os.path.exists(os.path.join(t.data_dir, "accounts", "mjl", "index.db"))
    # Windows line endings from a pipe are not part of the password.
    p = t.tern("setaccountpassword", "mjl", input="crlf pass\r\n")
    assert p.returncode == 0, p.stderr
    assert argon2_verify(parse_credentials(stored_blob(t, "mjl"))["argon2"], "crlf pass")


def test_setaccountpassword_beside_running_server(make_tern):
    t = make_tern(domains=DOMAINS).start()
    p = t.tern("setaccountpassword", "other", input="pw of other\n")
    assert p.returncode == 0, p.stderr
    creds = parse_credentials(stored_blob(t, "other"))
    assert argon2_verify(creds["argon2"], "pw of other")
    if os.geteuid() == 0:
        # Given to the server's user, so the server can open the account.
        st = os.stat(os.path.join(t.data_dir, "accounts", "other", "index.db"))
        assert st.st_uid == pwd.getpwnam(t.user).pw_uid


def test_setadminpassword(make_tern):
    t = make_tern(domains=DOMAINS)
    p = t.tern("setadminpassword", input="admin secret\n")
    assert p.returncode == 0, p.stderr
    path = os.path.join(t.config_dir, "adminpasswd")
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) & 0o7137 == 0, oct(st.st_mode)  # 0640 at most
    with open(path) as f:
        content = f.read()
    assert re.fullmatch(r"\$argon2id\$v=19\$m=65536,t=2,p=1\$\S+\n", content), content
    assert argon2_verify(content.strip(), "admin secret")
    assert "admin secret" not in content
    # An existing file keeps its (stricter) mode.
    os.chmod(path, 0o600)
    p = t.tern("setadminpassword", input="second\n")
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as f:
        assert argon2_verify(f.read().strip(), "second")
    p = t.tern("setadminpassword", "extra")
    assert p.returncode == 2


def test_setadminpassword_configured_file(make_tern):
    t = make_tern(domains=DOMAINS, static_extra="AdminPasswordFile: secrets/admin.hash\n")
    os.makedirs(os.path.join(t.config_dir, "secrets"))
    p = t.tern("setadminpassword", input="pw\n")
    assert p.returncode == 0, p.stderr
    assert os.path.exists(os.path.join(t.config_dir, "secrets", "admin.hash"))
    assert not os.path.exists(os.path.join(t.config_dir, "adminpasswd"))


def gen(t, stem):
    p = t.tern("config", "tlspubkey", "gen", stem)
    assert p.returncode == 0, p.stderr
    m = re.search(r"ed25519 public key fingerprint: (\S+)", p.stderr)
    assert m, p.stderr
    assert re.search(r"ed25519 private key as raw-url-base64: [A-Za-z0-9_-]{43}\n", p.stderr)
    files = sorted(f for f in os.listdir(os.path.dirname(stem))
                   if f.startswith(os.path.basename(stem) + "."))
    return m.group(1), {f.split(".", 2)[2]: os.path.join(os.path.dirname(stem), f) for f in files}


def test_tlspubkey_gen_writes_key_cert_combined_and_pkcs12(make_tern):
    t = make_tern(domains=DOMAINS)
    fp, files = gen(t, os.path.join(t.dir, "phone"))
    assert set(files) == {"ed25519privatekey.pkcs8.pem", "certificate.pem",
                          "ed25519privatekey-certificate.pem",
                          "ed25519privatekey-certificate.p12"}
    for path in files.values():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # The fingerprint is SHA-256 of the SubjectPublicKeyInfo, base64url without padding.
    der = subprocess.run(["openssl", "x509", "-in", files["certificate.pem"], "-noout",
                          "-pubkey"], capture_output=True, check=True).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=der,
                          capture_output=True, check=True).stdout
    import base64
    assert base64.urlsafe_b64encode(hashlib.sha256(spki).digest()).rstrip(b"=").decode() == fp
    # The PKCS#12 opens with an empty password and holds the matching key and certificate.
    out = subprocess.run(["openssl", "pkcs12", "-in", files["ed25519privatekey-certificate.p12"],
                          "-passin", "pass:", "-nodes"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "BEGIN PRIVATE KEY" in out.stdout and "BEGIN CERTIFICATE" in out.stdout
    with open(files["ed25519privatekey-certificate.pem"]) as f:
        combined = f.read()
    assert combined.index("PRIVATE KEY") < combined.index("CERTIFICATE")


def test_tlspubkey_add_list_get_rm(make_tern):
    t = make_tern(domains=DOMAINS)
    fp, files = gen(t, os.path.join(t.dir, "phone"))
    with open(files["certificate.pem"]) as f:
        cert = f.read()
    p = t.tern("config", "tlspubkey", "add", "mjl@test.example", input=cert)
    assert p.returncode == 0, p.stderr
    p = t.tern("config", "tlspubkey", "add", "mjl@test.example", input=cert)
    assert p.returncode == 1 and "exists" in p.stderr

    # An openssl-made certificate with a name given, at another address of the account
    # (NFD and upper case: stored in its normal form), without IMAP preauth.
    key2 = os.path.join(t.dir, "laptop.key")
    crt2 = os.path.join(t.dir, "laptop.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key2, "-out", crt2,
                    "-days", "10", "-subj", "/CN=laptop cert"], capture_output=True, check=True)
    with open(crt2) as f:
        cert2 = f.read()
    p = t.tern("config", "tlspubkey", "add", "-no-imap-preauth",
               "re\u0301my@TEST.example", "My \"laptop\"", input=cert2)
    assert p.returncode == 0, p.stderr

    p = t.tern("config", "tlspubkey", "list")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "# fingerprint, type, name, account, login address, no imap preauth (2)"
    rows = sorted(l.split("\t") for l in lines[1:])
    by_type = {r[1]: r for r in rows}
    assert by_type["ed25519"] == [fp, "ed25519", '"phone"', "mjl", "mjl@test.example", "false"]
    assert by_type["ecdsa-p256"][2:] == ['"My \\"laptop\\""', "mjl", "r\u00e9my@test.example",
                                         "true"]
    fp2 = by_type["ecdsa-p256"][0]
    p = t.tern("config", "tlspubkey", "list", "other")
    assert p.stdout == "# fingerprint, type, name, account, login address, no imap preauth (0)\n"

    p = t.tern("config", "tlspubkey", "get", fp2)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("type: ecdsa-p256\nname: My \"laptop\"\naccount: mjl\n"
                               "address: r\u00e9my@test.example\nno imap preauth: true\n"
                               "certificate:\n\n-----BEGIN CERTIFICATE-----\n")
    p = t.tern("config", "tlspubkey", "get", "nosuch")
    assert p.returncode == 1 and "no TLS public key with fingerprint nosuch" in p.stderr

    p = t.tern("config", "tlspubkey", "rm", fp)
    assert p.returncode == 0, p.stderr
    p = t.tern("config", "tlspubkey", "rm", fp)
    assert p.returncode == 1 and "no TLS public key" in p.stderr
    p = t.tern("config", "tlspubkey", "list")
    assert "(1)" in p.stdout and fp not in p.stdout

    st = os.stat(os.path.join(t.data_dir, "auth.db"))
    assert stat.S_IMODE(st.st_mode) == 0o600
    if os.geteuid() == 0:
        assert st.st_uid == pwd.getpwnam(t.user).pw_uid


def test_tlspubkey_add_refusals(make_tern):
    t = make_tern(domains=DOMAINS)
    _, files = gen(t, os.path.join(t.dir, "k"))
    with open(files["certificate.pem"]) as f:
        cert = f.read()
    p = t.tern("config", "tlspubkey", "add", "list@test.example", input=cert)
    assert p.returncode == 1 and "not a login address" in p.stderr and "alias" in p.stderr
    p = t.tern("config", "tlspubkey", "add", "nobody@test.example", input=cert)
    assert p.returncode == 1 and "not a login address" in p.stderr
    p = t.tern("config", "tlspubkey", "add", "mjl@test.example", input="no certificate here\n")
    assert p.returncode == 1 and "no PEM CERTIFICATE block" in p.stderr
    key = os.path.join(t.dir, "rsa1024.key")
    crt = os.path.join(t.dir, "rsa1024.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "1", "-subj", "/CN=weak"], capture_output=True,
                   check=True)
    with open(crt) as f:
        p = t.tern("config", "tlspubkey", "add", "mjl@test.example", input=f.read())
    assert p.returncode == 1 and "smaller than 2048 bits" in p.stderr
    p = t.tern("config", "tlspubkey", "add")
    assert p.returncode == 2
    p = t.tern("config", "tlspubkey", "add", "-bogus", "mjl@test.example")
    assert p.returncode == 2


def test_tlspubkey_beside_running_server(make_tern):
    t = make_tern(domains=DOMAINS).start()
    _, files = gen(t, os.path.join(t.dir, "dev"))
    with open(files["ed25519privatekey-certificate.pem"]) as f:
        combined = f.read()
    p = t.tern("config", "tlspubkey", "add", "other@test.example", "device", input=combined)
    assert p.returncode == 0, p.stderr
    p = t.tern("config", "tlspubkey", "list", "other")
    assert "(1)" in p.stdout and '"device"' in p.stdout


def test_help_lists_the_commands():
    p = run_tern(["help"], check=True)
    for cmd in ("setaccountpassword $account", "setadminpassword",
                "config tlspubkey list [$account]", "config tlspubkey gen $stem"):
        assert "tern " + cmd in p.stdout, cmd
    planned = p.stdout.split("does not implement yet:")[1]
    assert "setaccountpassword" not in planned and "tlspubkey" not in planned
    p = run_tern(["help", "config", "tlspubkey", "add"], check=True)
    assert p.stdout.startswith(
        "usage: tern config tlspubkey add [-no-imap-preauth] $address [$name] < cert.pem\n")


def run_on_tty(t, args, answers, timeout=30):
    """Runs tern with a pseudo-terminal as stdin/stdout/stderr, answering each
    "password: " prompt with the next line; returns (exit status, all output)."""
    import select
    import time
    from harness import TERN_BIN, SANITIZER_PATTERNS, tern_env
    master, slave = os.openpty()
    p = subprocess.Popen([TERN_BIN, "-config", t.config] + list(args), stdin=slave,
                         stdout=slave, stderr=slave, env=tern_env(), close_fds=True)
    os.close(slave)
    out = b""
    pending = list(answers)
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the other side closed
                break
            if not chunk:
                break
            out += chunk
            if pending and out.endswith(b"password: "):
                os.write(master, pending.pop(0).encode() + b"\n")
        elif p.poll() is not None:
            break
    os.close(master)
    rc = p.wait(timeout=timeout)
    text = out.decode("utf-8", "replace")
    assert not SANITIZER_PATTERNS.search(text), text
    return rc, text


def test_password_from_a_terminal_twice_without_echo(make_tern):
    t = make_tern(domains=DOMAINS)
    rc, out = run_on_tty(t, ["setaccountpassword", "mjl"], ["tty s3cret", "tty s3cret"])
    assert rc == 0, out
    assert "password: " in out and "repeat password: " in out
    assert "tty s3cret" not in out, "typed without echo"
    assert argon2_verify(parse_credentials(stored_blob(t, "mjl"))["argon2"], "tty s3cret")

    rc, out = run_on_tty(t, ["setaccountpassword", "mjl"], ["one thing", "another"])
    assert rc == 1 and "passwords do not match" in out, out
    assert argon2_verify(parse_credentials(stored_blob(t, "mjl"))["argon2"], "tty s3cret"), \
        "unchanged after a mismatch"

    rc, out = run_on_tty(t, ["setadminpassword"], ["adm1n", "adm1n"])
    assert rc == 0, out
    with open(os.path.join(t.config_dir, "adminpasswd")) as f:
        assert argon2_verify(f.read().strip(), "adm1n")
