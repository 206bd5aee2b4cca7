"""pytest fixtures shared by all integration tests (see harness.py)."""

import os
import shutil
import sys
import tempfile

import pytest

sys.path.insert(0, os.path.dirname(__file__))

import dnsenv as dnsenv_mod  # noqa: E402
from harness import Tern  # noqa: E402

# Every integration test runs in a private network and mount namespace with its
# own /etc/resolv.conf naming the test DNS server (see dnsenv.py). The DNS
# environment is made here, before pytest starts any thread; its server starts
# with the first test that asks for the `dnsenv` fixture.
_dns = None


def pytest_configure(config):
    global _dns
    if _dns is not None:
        return
    work = tempfile.mkdtemp(prefix="tern-it-dns-")
    if not dnsenv_mod.enter_namespace(work) or not dnsenv_mod.available():
        return
    _dns = dnsenv_mod.DnsEnv(work)
    os.environ[dnsenv_mod.ANCHOR_ENV] = _dns.anchor


def pytest_unconfigure(config):
    if _dns is not None:
        _dns.stop()
        shutil.rmtree(_dns.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def dnsenv():
    """The test DNS server (NSD on 127.0.0.1:53 in this namespace), started."""
    if _dns is None:
        pytest.skip("no test DNS: needs root and nsd/ldnsutils (scripts/deps.sh)")
    return _dns.start()


@pytest.fixture
def make_tern(request):
    """Factory: make_tern(**Tern kwargs) -> a configured, not yet started instance.

    Every instance made is stopped at the end of the test; a non-zero exit,
    a sanitizer report or an unexpected l=error line fails the test.
    """
    made = []

    def factory(**kw):
        t = Tern(name=request.node.name[:40], **kw)
        made.append(t)
        return t

    yield factory
    failures = []
    for t in made:
        try:
            rc = t.stop()
            if rc not in (0, None):
                failures.append("tern exited with %s:\n%s" % (rc, t.log()))
            t.check_log()
        except AssertionError as e:
            failures.append(str(e))
        finally:
            if not failures:
                t.cleanup()
            else:
                print("kept test directory", t.dir)
    if failures:
        pytest.fail("\n\n".join(failures))


@pytest.fixture
def tern(make_tern):
    """A started tern instance with the default config."""
    return make_tern().start()
