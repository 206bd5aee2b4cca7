"""DNS for integration tests: a real authoritative server (NSD) with test zones,
some DNSSEC-signed, inside a private network and mount namespace.

Why this shape. tern's production resolver (src/dns/unbound.h) forwards every
query to the servers of /etc/resolv.conf and validates DNSSEC itself from a
root trust anchor. The tests exercise exactly that path:

- The pytest process enters its own network namespace (only `lo`, so no test
  can reach the internet or the host's resolver) and mount namespace, in which
  a private file is bind-mounted over /etc/resolv.conf: "nameserver 127.0.0.1".
  Every process the tests start (tern, Postfix, ...) inherits both.
- NSD listens on 127.0.0.1:53 and is authoritative for a test root zone "."
  and for every test zone. The root is signed with a test key; its DNSKEY is
  the trust anchor tern is given through $TERN_DNS_TRUST_ANCHOR (set for the
  whole session), in place of the real root's from dns-root-data.
- A zone is delegated from the nearest zone above it (or the root) with NS
  and glue, plus DS records when the zone is signed, so the chain of trust
  runs from the test anchor through real DS/DNSKEY/RRSIG records, which tern's
  libunbound fetches through the forwarder and checks, as it would on the
  internet. Because one server holds every zone, a forwarding resolver gets
  an authoritative answer for any name without recursion: NSD answers DS
  queries from the parent side of each cut (RFC 4035 3.1.4.1), and names
  outside all test zones get a signed NXDOMAIN from the root.
- A zone made with broken=True is signed and then has its signatures damaged:
  lookups in it are DNSSEC bogus.

How tests use it. The session fixture `dnsenv` (conftest.py) gives the one
DnsEnv; a module adds the zones it needs, once, in a module fixture:

    @pytest.fixture(scope="module", autouse=True)
    def zones(dnsenv):
        dnsenv.add_zone("spf.example", '''
            @      TXT "v=spf1 ip4:127.0.0.1 -all"
            mail   A   127.0.0.1
        ''', signed=True)

Records are zone-file lines, each starting with its owner name, relative to
the zone ("@" for the apex) or absolute with a trailing dot (indentation is
ignored); SOA and NS records are added. add_zone (and
add_zones for several at once) applies at once: zone files are rewritten,
signed, and NSD restarts (about 0.1 s). Zones stay for the session, so pick
names unique to your module (e.g. a test TLD of your own: "spftest.").
txt_strings() splits long TXT data into the 255-byte strings a zone file needs.

Traps:
- DNSSEC needs an unbroken chain: a signed zone below an unsigned test zone
  is insecure (answers not authenticated), as on the internet. Sign every
  test zone between the root and a zone whose answers must be authenticated.
- Every name not inside a test zone is NXDOMAIN (from the signed root), also
  "localhost"-like names tern resolves itself: libunbound answers only
  localhost and onion names locally (src/dns/unbound.c).
- All zones share NSD's one address (127.0.0.1); records may point anywhere
  in 127.0.0.0/8, all of it is on lo in the namespace.
- Processes started by tests inherit $TERN_DNS_TRUST_ANCHOR (the test root's
  key, set by conftest.py) and the namespace's /etc/resolv.conf.
"""

import ctypes
import fcntl
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

NSD = "/usr/sbin/nsd"
KEYGEN = "/usr/bin/ldns-keygen"
SIGNZONE = "/usr/bin/ldns-signzone"
NAMESERVER = "127.0.0.1"
ANCHOR_ENV = "TERN_DNS_TRUST_ANCHOR"
NAMESPACE_ENV = "TERN_TEST_NAMESPACE"

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1


def available():
    return all(os.access(p, os.X_OK) for p in (NSD, KEYGEN, SIGNZONE))


def _libc_call(name, *args):
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (name, os.strerror(e)))


def _loopback_up():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def enter_namespace(workdir):
    """Moves this (single-threaded) process into new network and mount
    namespaces with lo up and workdir/resolv.conf over /etc/resolv.conf.
    Returns False when that is not possible (not root)."""
    if os.environ.get(NAMESPACE_ENV) == str(os.getpid()):
        return True
    if os.geteuid() != 0:
        return False
    _libc_call("unshare", CLONE_NEWNS | CLONE_NEWNET)
    # Mounts made here must not propagate back to the host's namespace.
    _libc_call("mount", None, b"/", None, MS_REC | MS_PRIVATE, None)
    _loopback_up()
    rc = os.path.join(workdir, "resolv.conf")
    with open(rc, "w") as f:
        f.write("# tern tests: the test DNS server in this network namespace\n")
        f.write("nameserver %s\n" % NAMESERVER)
    os.chmod(rc, 0o644)
    _libc_call("mount", rc.encode(), b"/etc/resolv.conf", None, MS_BIND, None)
    os.environ[NAMESPACE_ENV] = str(os.getpid())
    return True


def _run(args, cwd):
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (args, p.returncode, p.stdout, p.stderr))
    return p.stdout


def txt_strings(data):
    """A TXT record's data as quoted zone-file strings of at most 255 bytes."""
    raw = data.encode() if isinstance(data, str) else data
    parts = []
    for i in range(0, max(len(raw), 1), 255):
        chunk = raw[i:i + 255]
        esc = "".join(chr(b) if 0x20 <= b < 0x7f and b not in (0x22, 0x5c) else "\\%03d" % b
                      for b in chunk)
        parts.append('"%s"' % esc)
    return " ".join(parts)


def _fqdn(name):
    name = name.strip().lower()
    return "." if name in ("", ".") else name.rstrip(".") + "."


def _parent_of(name):
    """'a.b.example.' -> 'b.example.'; 'example.' -> '.'"""
    return name.split(".", 1)[1] or "."


class Zone:
    def __init__(self, name, records, signed, broken):
        self.name = _fqdn(name)
        # Each line names its owner: leading blanks (indentation in tests) go.
        self.records = "\n".join(l.strip() for l in (records or "").splitlines() if l.strip())
        self.signed = signed or broken
        self.broken = broken
        self.keys = []  # key file basenames, KSK first

    @property
    def file(self):
        return "root" if self.name == "." else self.name.rstrip(".")


class DnsEnv:
    """The test zones and the NSD that serves them (see the module docstring)."""

    def __init__(self, workdir):
        self.dir = workdir
        self.zonedir = os.path.join(workdir, "zones")
        os.makedirs(self.zonedir, exist_ok=True)
        os.chmod(workdir, 0o755)
        self.zones = {}
        self.proc = None
        self.root = Zone(".", "", signed=True, broken=False)
        self._make_keys(self.root)
        # tern (running as nobody) must be able to read the anchor.
        self.anchor = os.path.join(workdir, "root.anchor")
        shutil.copy(os.path.join(self.zonedir, self.root.keys[0] + ".key"), self.anchor)
        os.chmod(self.anchor, 0o644)

    # ---- zones ----

    def add_zone(self, name, records="", signed=False, broken=False):
        """Adds a zone (records: zone-file lines) and applies it at once."""
        self.add_zones([(name, records, {"signed": signed, "broken": broken})])

    def add_zones(self, zones):
        """Adds several zones, applied with one restart: [(name, records, {opts})]."""
        for name, records, opts in zones:
            z = Zone(name, records, opts.get("signed", False), opts.get("broken", False))
            if z.name in self.zones or z.name == ".":
                raise ValueError("zone %s exists already" % z.name)
            if z.signed:
                self._make_keys(z)
            self.zones[z.name] = z
        self._build()
        if self.proc is not None:
            self.restart()

    def _make_keys(self, zone):
        for ksk in (True, False):
            args = [KEYGEN, "-a", "ECDSAP256SHA256"] + (["-k"] if ksk else []) + [zone.name]
            zone.keys.append(_run(args, self.zonedir).strip())

    def _all(self):
        return [self.root] + sorted(self.zones.values(), key=lambda z: z.name.count("."))

    def _delegating_zone(self, name):
        p = _parent_of(name)
        while p != ".":
            if p in self.zones:
                return self.zones[p]
            p = _parent_of(p)
        return self.root

    def _zone_text(self, z, children):
        lines = [
            "$ORIGIN %s" % z.name,
            "$TTL 300",
            "@ IN SOA ns.%s hostmaster.%s 1 3600 600 86400 60"
            % (z.name if z.name != "." else "root-servers.test.", z.name if z.name != "." else "test."),
        ]
        if z.name == ".":
            lines += ["@ IN NS ns.root-servers.test.", "ns.root-servers.test. IN A %s" % NAMESERVER]
        else:
            lines += ["@ IN NS ns", "ns IN A %s" % NAMESERVER]
        if z.records:
            lines.append(z.records)
        for c in children:
            # A delegation: NS with glue, and DS when the child is signed.
            lines += ["%s IN NS ns.%s" % (c.name, c.name), "ns.%s IN A %s" % (c.name, NAMESERVER)]
            if c.signed:
                with open(os.path.join(self.zonedir, c.keys[0] + ".ds")) as f:
                    lines.append(f.read().strip())
        return "\n".join(lines) + "\n"

    def _build(self):
        children = {z.name: [] for z in self._all()}
        for z in self.zones.values():
            children[self._delegating_zone(z.name).name].append(z)
        for z in self._all():
            path = os.path.join(self.zonedir, z.file + ".zone")
            with open(path, "w") as f:
                f.write(self._zone_text(z, children[z.name]))
            if z.signed:
                _run([SIGNZONE, "-o", z.name, path] + z.keys, self.zonedir)
                if z.broken:
                    self._break_signatures(path + ".signed")
        self._write_conf()

    @staticmethod
    def _break_signatures(path):
        """Damages every RRSIG except those over DNSKEY: the keys validate
        (so the zone is provably signed) and all its data is bogus."""
        out = []
        with open(path) as f:
            for line in f:
                fields = line.split()
                if len(fields) > 5 and fields[3] == "RRSIG" and fields[4] != "DNSKEY":
                    sig = fields[-1]
                    flipped = "A" if sig[0] != "A" else "B"
                    fields[-1] = flipped + sig[1:]
                    line = "\t".join(fields) + "\n"
                out.append(line)
        with open(path, "w") as f:
            f.writelines(out)

    def _write_conf(self):
        conf = [
            "server:",
            "\tip-address: %s" % NAMESERVER,
            "\tport: 53",
            "\tusername: \"\"",
            "\tchroot: \"\"",
            "\tzonesdir: \"%s\"" % self.zonedir,
            "\tdatabase: \"\"",
            "\tzonelistfile: \"%s/zone.list\"" % self.dir,
            "\txfrdfile: \"%s/xfrd.state\"" % self.dir,
            "\txfrdir: \"%s\"" % self.dir,
            "\tpidfile: \"%s/nsd.pid\"" % self.dir,
            "\tlogfile: \"%s/nsd.log\"" % self.dir,
            "\tserver-count: 1",
            "\tverbosity: 1",
            "\thide-version: yes",
            "remote-control:",
            "\tcontrol-enable: no",
        ]
        for z in self._all():
            conf += ["zone:", "\tname: \"%s\"" % z.name,
                     "\tzonefile: \"%s.zone%s\"" % (z.file, ".signed" if z.signed else "")]
        with open(os.path.join(self.dir, "nsd.conf"), "w") as f:
            f.write("\n".join(conf) + "\n")

    # ---- the server ----

    def start(self):
        if self.proc is not None:
            return self
        self._build()
        self.proc = subprocess.Popen([NSD, "-d", "-c", os.path.join(self.dir, "nsd.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def _wait_ready(self, timeout=10):
        # The root's SOA over UDP: NSD has loaded its zones when it answers.
        query = struct.pack(">HHHHHH", 0x7e57, 0, 1, 0, 0, 0) + b"\x00\x00\x06\x00\x01"
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nsd exited (%d):\n%s" % (self.proc.returncode, self.log()))
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(0.2)
                try:
                    s.sendto(query, (NAMESERVER, 53))
                    if s.recv(512)[:2] == query[:2]:
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise RuntimeError("nsd not answering after %ss:\n%s" % (timeout, self.log()))

    def restart(self):
        self.stop()
        self.start()

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def log(self):
        try:
            with open(os.path.join(self.dir, "nsd.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""


def make(base=None):
    """A DnsEnv in a fresh directory (not started)."""
    return DnsEnv(tempfile.mkdtemp(prefix="tern-dns-", dir=base))
