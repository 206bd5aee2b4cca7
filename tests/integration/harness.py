"""Integration test harness: runs the real tern binary on free loopback ports.

A Tern instance owns a temporary directory with config/tern.conf,
config/domains.conf and data/. start() launches `tern serve` (the ASan build
by default), waits until its ctl socket answers, and collects its log;
stop() ends it with SIGTERM (or `tern stop`) and checks the log: any sanitizer
report, or an l=error line not declared expected, fails the test.

Tests normally use the `tern` fixture from conftest.py, or make their own
instance with custom config through `make_tern`.
"""

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TERN_BIN = os.environ.get("TERN_BIN", os.path.join(REPO, "build", "asan", "tern"))

SANITIZER_PATTERNS = re.compile(
    r"ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer"
)

SAN_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    "LSAN_OPTIONS": "suppressions=%s:print_suppressions=0" % os.path.join(REPO, "tests", "lsan.supp"),
}


_ports_given = set()


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago, and not handed out
    before in this test run: the kernel may pick a just-closed port again, and
    a test that asks for several ports needs them distinct."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            break
    if len(_ports_given) > 10000:
        _ports_given.clear()
    _ports_given.add(port)
    return port


def run_user():
    """User the server switches to: 'nobody' when we are root, else ourselves."""
    if os.geteuid() == 0:
        return "nobody"
    return pwd.getpwuid(os.geteuid()).pw_name


def tern_env(extra=None):
    env = dict(os.environ)
    env.update(SAN_ENV)
    env.pop("TERNCONF", None)
    env.pop("MOXCONF", None)
    if extra:
        env.update(extra)
    return env


def run_tern(args, config=None, input=None, timeout=60, env=None, check=False):
    """Runs a tern subcommand and returns CompletedProcess (text mode)."""
    cmd = [TERN_BIN]
    if config:
        cmd += ["-config", config]
    cmd += list(args)
    p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout,
                       env=tern_env(env))
    assert not SANITIZER_PATTERNS.search(p.stderr), "sanitizer report from %s:\n%s" % (cmd, p.stderr)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (cmd, p.returncode, p.stdout, p.stderr))
    return p


DEFAULT_DOMAINS = """Domains:
	test.example: nil
Accounts:
	mjl:
		Domain: test.example
		Destinations:
			mjl@test.example: nil
"""


class Tern:
    def __init__(self, name="tern", listeners=None, domains=None, static_extra="",
                 loglevel="debug", user=None):
        self.dir = tempfile.mkdtemp(prefix="tern-it-%s-" % name)
        os.chmod(self.dir, 0o755)
        self.config_dir = os.path.join(self.dir, "config")
        self.data_dir = os.path.join(self.dir, "data")
        os.makedirs(self.config_dir)
        self.config = os.path.join(self.config_dir, "tern.conf")
        self.domains_conf = os.path.join(self.config_dir, "domains.conf")
        self.ports = {}
        self.user = user or run_user()
        self.listeners = listeners if listeners is not None else self.default_listeners()
        self.write_config(self.listeners, domains or DEFAULT_DOMAINS, static_extra, loglevel)
        self.proc = None
        self.log_path = os.path.join(self.dir, "tern.log")
        self.expected_errors = []

    def port(self, name):
        if name not in self.ports:
            self.ports[name] = free_port()
        return self.ports[name]

    def default_listeners(self):
        return "\tlocal:\n\t\tIPs:\n\t\t\t- 127.0.0.1\n"

    def write_config(self, listeners, domains, static_extra, loglevel):
        static = (
            "DataDir: ../data\n"
            "User: %s\n"
            "LogLevel: %s\n"
            "Hostname: mail.test.example\n"
            "Listeners:\n%s"
            "Postmaster:\n\tAccount: mjl\n\tMailbox: Postmaster\n"
            "%s"
        ) % (self.user, loglevel, listeners, static_extra)
        with open(self.config, "w") as f:
            f.write(static)
        with open(self.domains_conf, "w") as f:
            f.write(domains)

    def tern(self, *args, **kw):
        """Runs `tern -config ... ARGS` against this instance."""
        return run_tern(args, config=self.config, **kw)

    def start(self, wait=True, timeout=30):
        self.logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen([TERN_BIN, "-config", self.config, "serve"],
                                     stdout=self.logf, stderr=subprocess.STDOUT,
                                     env=tern_env(), cwd=self.dir)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=30):
        ctl = os.path.join(self.data_dir, "ctl")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("tern exited early (%d):\n%s" % (self.proc.returncode, self.log()))
            if os.path.exists(ctl):
                try:
                    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                        s.connect(ctl)
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        raise AssertionError("tern not ready after %ss:\n%s" % (timeout, self.log()))

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=10):
        """Waits until a log line matches the regular expression; returns the match."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = rx.search(self.log())
            if m:
                return m
            time.sleep(0.05)
        raise AssertionError("log never matched %r:\n%s" % (pattern, self.log()))

    def expect_error(self, pattern):
        """Declares that an l=error log line matching pattern is expected in this test."""
        self.expected_errors.append(re.compile(pattern))

    def stop(self, timeout=15, how="sigterm"):
        if not self.proc:
            return 0
        if self.proc.poll() is None:
            if how == "sigterm":
                self.proc.send_signal(signal.SIGTERM)
            elif how == "ctl":
                self.tern("stop", timeout=timeout)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("tern did not stop within %ss:\n%s" % (timeout, self.log()))
        rc = self.proc.returncode
        self.proc = None
        self.logf.close()
        return rc

    def check_log(self):
        text = self.log()
        assert not SANITIZER_PATTERNS.search(text), "sanitizer report in tern log:\n" + text
        for line in text.splitlines():
            if line.startswith("l=error") and not any(rx.search(line) for rx in self.expected_errors):
                raise AssertionError("unexpected error logged: %s\n\nfull log:\n%s" % (line, text))

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
