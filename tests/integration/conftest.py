"""pytest fixtures shared by all integration tests (see harness.py)."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from harness import Tern  # noqa: E402


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
