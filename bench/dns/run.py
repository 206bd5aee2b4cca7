#!/usr/bin/python3
"""Measures tern's resolver (make bench-dns): NSD on loopback in a private
network namespace serves a signed and an unsigned test zone; dnsbench looks
names up through /etc/resolv.conf as tern does, validating DNSSEC.

Prints lookups/s from the cache with 1, 2, 4 and 8 threads (tern's result
cache in front of libunbound, as tern runs, then libunbound's cache alone),
and the latency of lookups that go to the server (each name asked once)."""

import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import dnsenv  # noqa: E402

BENCH = os.path.join(HERE, "..", "..", "build", "release", "bench", "dns", "dnsbench")


def main():
    env = dnsenv.make()
    if not dnsenv.enter_namespace(env.dir):
        sys.exit("bench/dns: needs root (network namespace)")
    names = ["h%d" % i for i in range(50)]
    env.add_zones([
        ("bench-signed", "\n".join("%s A 127.0.0.1" % n for n in names), {"signed": True}),
        ("bench-cold", "* A 127.0.0.2", {}),
        ("bench-cold-signed", "* A 127.0.0.3", {"signed": True}),
    ])
    env.start()
    os.environ[dnsenv.ANCHOR_ENV] = env.anchor
    try:
        full = [n + ".bench-signed" for n in names]
        for mode in ("cached", "unbound-cached"):
            for threads in (1, 2, 4, 8):
                subprocess.run([BENCH, mode, "3", str(threads)] + full, check=True)
        subprocess.run([BENCH, "cold", "500", "bench-cold"], check=True)
        subprocess.run([BENCH, "cold", "500", "bench-cold-signed"], check=True)
    finally:
        env.stop()
        shutil.rmtree(env.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
