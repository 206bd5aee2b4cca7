"""tern's production resolver (src/dns/unbound.c) against a real authoritative
DNS server: NSD with signed, unsigned and broken zones (dnsenv.py), reached
through /etc/resolv.conf in the test namespace, DNSSEC validated by tern from
the test root's trust anchor. Checked through `tern dns lookup` (mox's output
shape) and tests/tools/dnsq (every field of the C API's results)."""

import os
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from dnsenv import txt_strings
from harness import REPO, TERN_BIN, run_tern, tern_env

DNSQ = os.path.join(REPO, "build", "asan", "tools", "dnsq")

LONG_TXT = "v=DKIM1; k=rsa; p=" + "A" * 1200  # several 255-byte strings
HUGE_COUNT = 200  # TXT records of 250 bytes: an answer of about 52 KB, over TCP


@pytest.fixture(scope="module", autouse=True)
def zones(dnsenv):
    huge = "\n".join("huge TXT %s" % txt_strings("%03d" % i + "x" * 247) for i in range(HUGE_COUNT))
    dnsenv.add_zones([
        ("dnstest", """
            www     A     127.0.0.10
            www     AAAA  ::10
            mail    A     127.0.0.11
            @       MX    10 mail
            @       TXT   "v=spf1 " "ip4:127.0.0.0/8 -all"
            long    TXT   %s
            %s
            s1      CNAME s2
            s2      CNAME www
            c1      CNAME c2
            c2      CNAME c3.plain-dnstest.
            loop1   CNAME loop2
            loop2   CNAME loop1
            xn--bcher-kva A 127.0.0.12
            a.b.ent A     127.0.0.15
            _25._tcp.mail TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
            _imaps._tcp SRV 0 1 993 mail
        """ % (txt_strings(LONG_TXT), huge), {"signed": True}),
        ("sub.dnstest", "www A 127.0.0.16", {"signed": True}),
        ("plain-dnstest", """
            c3   A 127.0.0.13
            www  A 127.0.0.17
        """, {}),
        ("bogus-dnstest", "www A 127.0.0.14", {"broken": True}),
        ("0.0.127.in-addr.arpa", """
            10   PTR www.dnstest.
            11   PTR mail.dnstest.
            11   PTR other.dnstest.
            12   PTR www.plain-dnstest.
            14   PTR www.bogus-dnstest.
            17   PTR www.plain-dnstest.
        """, {"signed": True}),
        # A DNS block list (RFC 5782): 127.0.0.2 listed, with explanations.
        ("bl-dnstest", """
            2.0.0.127 A 127.0.0.2
            2.0.0.127 TXT "listed: see https://bl-dnstest/lookup?ip=127.0.0.2"
            10.0.0.127 A 127.0.0.4
        """, {}),
        ("badbl-dnstest", """
            1.0.0.127 A 127.0.0.2
            2.0.0.127 A 127.0.0.2
        """, {}),
    ])


def lookup(*args, env=None):
    return run_tern(["dns", "lookup"] + list(args), env=env)


def dnsq(*args, timeout=60):
    p = subprocess.run([DNSQ] + list(args), capture_output=True, text=True, timeout=timeout,
                       env=tern_env())
    assert "Sanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr
    return p


def parse_dnsq(out):
    """dnsq's result lines -> list of dicts with 'records'."""
    results = []
    for line in out.splitlines():
        if line.startswith("  "):
            results[-1]["records"].append(line.strip())
            continue
        if "status=" not in line:
            continue
        head, why = line.split(' why="', 1)
        fields = head.split()
        r = {"name": fields[0], "type": fields[1], "why": why[:-1], "records": []}
        for f in fields[2:]:
            k, v = f.split("=", 1)
            r[k] = v
        results.append(r)
    return results


def test_signed_zone_answers_are_authenticated():
    p = lookup("a", "www.dnstest")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "records (1, with dnssec):\n- 127.0.0.10\n"
    p = lookup("mx", "dnstest.")
    assert p.stdout == "mx records (1, with dnssec):\n- mail.dnstest., preference 10\n"
    p = lookup("txt", "DNSTEST")
    assert p.stdout == "txt records (1, with dnssec):\n- v=spf1 ip4:127.0.0.0/8 -all\n"
    p = lookup("ips", "www.dnstest")
    assert p.stdout == "records (2, with dnssec):\n- 127.0.0.10\n- ::10\n"
    # A zone delegated (with DS) from a signed test zone.
    assert lookup("a", "www.sub.dnstest").stdout == "records (1, with dnssec):\n- 127.0.0.16\n"


def test_unsigned_zone_answers_are_not_authenticated():
    p = lookup("a", "www.plain-dnstest")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "records (1, without dnssec):\n- 127.0.0.17\n"


def test_broken_signatures_are_bogus():
    p = lookup("a", "www.bogus-dnstest")
    assert p.returncode == 1
    assert p.stdout == ""
    assert "DNSSEC validation failed (bogus)" in p.stderr, p.stderr
    assert "signature" in p.stderr
    r = parse_dnsq(dnsq("A", "www.bogus-dnstest").stdout)[0]
    assert (r["status"], r["auth"], r["count"], r["ttl"]) == ("bogus", "0", "0", "0")
    assert "validation failure" in r["why"]


def test_trust_anchor_none_validates_nothing():
    env = {"TERN_DNS_TRUST_ANCHOR": "none"}
    assert lookup("a", "www.dnstest", env=env).stdout == "records (1, without dnssec):\n- 127.0.0.10\n"
    # Unchecked, the broken zone's data comes through, as from a non-validating resolver.
    p = lookup("a", "www.bogus-dnstest", env=env)
    assert p.stdout == "records (1, without dnssec):\n- 127.0.0.14\n", p.stderr
    # A missing anchor file is an error at once, not a silently unvalidated resolver.
    p = lookup("a", "www.dnstest", env={"TERN_DNS_TRUST_ANCHOR": "/nonexistent/root.key"})
    assert p.returncode == 1 and "trust anchor /nonexistent/root.key" in p.stderr


def test_nxdomain_and_nodata_are_told_apart():
    p = lookup("a", "nope.dnstest")
    assert p.returncode == 1
    assert "name does not exist (nxdomain) (with dnssec)" in p.stderr, p.stderr
    p = lookup("txt", "www.dnstest")
    assert p.returncode == 1
    assert "no record of this type (nodata) (with dnssec)" in p.stderr, p.stderr
    # mox prints the (empty) MX list after a failed MX lookup.
    p = lookup("mx", "www.dnstest")
    assert p.stdout == "mx records (0, with dnssec):\n"
    # An empty non-terminal exists (RFC 8020): nodata, not nxdomain.
    p = lookup("a", "b.ent.dnstest")
    assert "(nodata)" in p.stderr, p.stderr
    # Outside every test zone: a signed NXDOMAIN from the test root.
    assert "(nxdomain) (with dnssec)" in lookup("a", "nowhere.invalid").stderr
    rs = parse_dnsq(dnsq("A", "nope.dnstest", "TXT", "www.dnstest", "A", "nope.plain-dnstest").stdout)
    assert [(r["status"], r["auth"]) for r in rs] == [("nxdomain", "1"), ("nodata", "1"),
                                                      ("nxdomain", "0")]
    # Negative answers carry the negative TTL (the SOA minimum, RFC 2308 5).
    assert all(0 < int(r["ttl"]) <= 60 for r in rs)


def test_cname_chains():
    rs = parse_dnsq(dnsq("A", "s1.dnstest", "A", "c1.dnstest", "CNAME", "c1.dnstest",
                         "A", "loop1.dnstest").stdout)
    s1, c1, cname, loop = rs
    assert (s1["status"], s1["auth"], s1["canonical"]) == ("ok", "1", "www.dnstest")
    assert s1["records"] == ["127.0.0.10"]
    # The chain leaves the signed zone: the answer as a whole is not authenticated.
    assert (c1["status"], c1["auth"], c1["canonical"]) == ("ok", "0", "c3.plain-dnstest")
    assert c1["records"] == ["127.0.0.13"]
    assert (cname["status"], cname["records"], cname["canonical"]) == ("ok", ["c2.dnstest"], "c1.dnstest")
    assert loop["status"] == "tempfail", loop
    assert lookup("cname", "s1.dnstest").stdout == "s2.dnstest. (with dnssec)\n"


def test_idna_names():
    p = lookup("a", "Bücher.dnstest")
    assert p.stdout == "records (1, with dnssec):\n- 127.0.0.12\n", p.stderr
    r = parse_dnsq(dnsq("A", "BÜCHER.dnstest.").stdout)[0]
    assert (r["name"], r["status"]) == ("xn--bcher-kva.dnstest", "ok")
    p = lookup("a", "a..dnstest")
    assert p.returncode == 1 and "invalid name (badname)" in p.stderr


def test_long_and_huge_txt_records():
    r = parse_dnsq(dnsq("TXT", "long.dnstest").stdout)[0]
    assert (r["status"], r["count"]) == ("ok", "1")
    assert r["records"] == ["len=%d %s" % (len(LONG_TXT), LONG_TXT)]
    # About 52 KB: truncated over UDP, fetched again over TCP by libunbound.
    r = parse_dnsq(dnsq("TXT", "huge.dnstest").stdout)
    r = r[0]
    assert (r["status"], r["auth"], r["count"]) == ("ok", "1", str(HUGE_COUNT))
    assert sorted(x[:11] for x in r["records"]) == ["len=250 %03d" % i for i in range(HUGE_COUNT)]
    p = lookup("txt", "huge.dnstest")
    assert p.stdout.startswith("txt records (%d, with dnssec):\n" % HUGE_COUNT)


def test_ptr_tlsa_srv():
    assert lookup("ptr", "127.0.0.10").stdout == "names (1, with dnssec):\n- www.dnstest.\n"
    p = lookup("ptr", "127.0.0.11")
    assert sorted(p.stdout.splitlines()[1:]) == ["- mail.dnstest.", "- other.dnstest."]
    assert lookup("ptr", "not-an-ip").returncode == 1
    p = lookup("tlsa", "_25._tcp.mail.dnstest")
    assert p.stdout == ('tlsa records (1, with dnssec):\n- usage "DANE-EE" (3), selector "SPKI" (1), '
                        'matchtype "SHA2-256" (1), certificate association data '
                        '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n')
    p = lookup("srv", "_imaps._tcp.dnstest")
    assert p.stdout == "srv records (1, with dnssec):\n- host mail.dnstest., port 993, priority 0, weight 1\n"
    p = lookup("ns", "sub.dnstest")
    assert p.stdout == "ns records (1, with dnssec):\n- ns.sub.dnstest.\n"


def test_ip_lookup_merges_both_families():
    r = parse_dnsq(dnsq("ip", "www.dnstest").stdout)[0]
    assert (r["status"], r["auth"], r["count"]) == ("ok", "1", "2")
    assert r["records"] == ["127.0.0.10", "::10"]
    r = parse_dnsq(dnsq("ip", "mail.dnstest").stdout)[0]
    assert (r["status"], r["records"]) == ("ok", ["127.0.0.11"])
    r = parse_dnsq(dnsq("ip", "www.bogus-dnstest").stdout)[0]
    assert r["status"] == "bogus"


def test_many_threads_share_one_resolver():
    p = dnsq("-threads", "8", "-repeat", "200", "A", "www.dnstest", "TXT", "dnstest", "MX",
             "nope.dnstest", "A", "www.plain-dnstest")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "threads ok" in p.stdout


class Blackhole:
    """A DNS server that reads queries and never answers (UDP and TCP)."""

    def __init__(self, addr):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((addr, 53))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((addr, 53))
        self.tcp.listen(16)
        self.stop = False
        self.held = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        self.udp.settimeout(0.1)
        self.tcp.settimeout(0.1)
        while not self.stop:
            for sock in (self.udp, self.tcp):
                try:
                    if sock is self.udp:
                        sock.recv(4096)
                    else:
                        self.held.append(sock.accept()[0])
                except (socket.timeout, OSError):
                    pass

    def close(self):
        self.stop = True
        self.thread.join()
        for s in self.held + [self.udp, self.tcp]:
            s.close()


def in_resolvconf(nameserver, argv, timeout=60):
    """Runs argv in a nested mount namespace whose /etc/resolv.conf names nameserver."""
    with tempfile.NamedTemporaryFile("w", suffix=".resolv.conf", delete=False) as f:
        f.write("nameserver %s\n" % nameserver)
    os.chmod(f.name, 0o644)
    try:
        script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
        return subprocess.run(["unshare", "-m", "sh", "-c", script, f.name] + argv,
                              capture_output=True, text=True, timeout=timeout, env=tern_env())
    finally:
        os.unlink(f.name)


def test_server_that_never_answers_is_a_bounded_temporary_failure():
    bh = Blackhole("127.0.0.53")
    try:
        start = time.monotonic()
        p = in_resolvconf("127.0.0.53", [DNSQ, "-timeout", "2000", "A", "www.dnstest",
                                         "TXT", "dnstest"])
        took = time.monotonic() - start
        rs = parse_dnsq(p.stdout)
        assert [r["status"] for r in rs] == ["tempfail", "tempfail"], p.stdout + p.stderr
        assert "no answer within" in rs[0]["why"]
        assert 1.9 < took < 6, took
        # The command, with the resolver's default timeout.
        start = time.monotonic()
        p = in_resolvconf("127.0.0.53", [TERN_BIN, "dns", "lookup", "a", "www.dnstest"])
        took = time.monotonic() - start
        assert p.returncode == 1 and "temporary failure (tempfail)" in p.stderr, p.stderr
        assert took < 15, took
    finally:
        bh.close()


def test_no_server_listening_is_a_bounded_temporary_failure():
    # libunbound retries after ICMP port unreachable as after a lost packet.
    start = time.monotonic()
    p = in_resolvconf("127.0.0.54", [DNSQ, "-timeout", "2000", "A", "www.dnstest"])
    r = parse_dnsq(p.stdout)[0]
    assert r["status"] == "tempfail", p.stdout
    assert time.monotonic() - start < 6


def iprev(ip):
    p = dnsq("iprev", ip)
    assert p.returncode == 0, p.stderr
    fields = dict(f.split("=", 1) for f in p.stdout.split(' why=')[0].split()[1:])
    fields["why"] = p.stdout.split(' why="', 1)[1].rstrip().rstrip('"')
    return fields


def test_iprev():
    r = iprev("127.0.0.10")
    assert (r["status"], r["name"], r["auth"]) == ("pass", "www.dnstest", "1")
    r = iprev("127.0.0.11")
    assert (r["status"], r["name"]) == ("pass", "mail.dnstest")
    assert sorted(r["names"].split(",")) == ["mail.dnstest", "other.dnstest"]
    # The name exists but resolves to another address.
    r = iprev("127.0.0.12")
    assert (r["status"], r["names"]) == ("fail", "www.plain-dnstest")
    # Correct, but the forward zone is not signed.
    assert (iprev("127.0.0.17")["status"], iprev("127.0.0.17")["auth"]) == ("pass", "0")
    assert iprev("127.0.0.99")["status"] == "permerror"
    assert iprev("127.0.0.14")["status"] == "temperror"


def test_dnsbl_check_and_health():
    p = run_tern(["dnsbl", "check", "bl-dnstest", "127.0.0.2"])
    assert p.returncode == 0, p.stderr
    assert p.stdout == 'status: fail\nexplanation: "listed: see https://bl-dnstest/lookup?ip=127.0.0.2"\n'
    p = run_tern(["dnsbl", "check", "bl-dnstest", "127.0.0.10"])
    assert p.stdout == 'status: fail\nexplanation: ""\n'
    assert run_tern(["dnsbl", "check", "bl-dnstest", "127.0.0.3"]).stdout == "status: pass\n"
    assert run_tern(["dnsbl", "check", "bl-dnstest", "::1"]).stdout == "status: pass\n"
    p = run_tern(["dnsbl", "check", "bogus-dnstest", "127.0.0.2"])
    assert p.stdout.startswith("status: temperror\nerror: dnsbl: dns error: validation failure")
    assert run_tern(["dnsbl", "check", "bl-dnstest", "x"]).returncode == 1
    p = run_tern(["dnsbl", "checkhealth", "bl-dnstest"])
    assert (p.returncode, p.stdout) == (0, "healthy\n")
    p = run_tern(["dnsbl", "checkhealth", "badbl-dnstest"])
    assert p.returncode == 1 and "unhealthy: dnsbl contains unwanted test address 127.0.0.1" in p.stderr
    p = run_tern(["dnsbl", "checkhealth", "plain-dnstest"])
    assert p.returncode == 1 and "does not contain required test address 127.0.0.2" in p.stderr
