"""tern serve: startup as root with a privilege switch, pid file, ctl socket,
stop by signal and by `tern stop`, runtime log levels, domains.conf reload."""

import os
import re
import signal
import socket
import time

import pytest

from harness import Tern, run_tern


def proc_ids(pid):
    """(real, effective, saved uid), supplementary groups of a process."""
    uids = groups = None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                uids = [int(x) for x in line.split()[1:4]]
            elif line.startswith("Groups:"):
                groups = [int(x) for x in line.split()[1:]]
    return uids, groups


def test_serve_writes_pid_and_stops_on_sigterm(tern):
    pid_path = os.path.join(tern.data_dir, "tern.pid")
    with open(pid_path) as f:
        assert int(f.read().strip()) == tern.proc.pid
    tern.wait_log(r'l=info m="tern serving"')
    assert tern.stop(how="sigterm") == 0
    assert not os.path.exists(pid_path), "pid file removed at clean exit"
    assert not os.path.exists(os.path.join(tern.data_dir, "ctl")), "ctl socket removed"
    assert 'm="tern stopped"' in tern.log()


def test_stop_command_waits_for_shutdown(tern):
    p = tern.tern("stop", timeout=20)
    assert p.returncode == 0, p.stderr
    # `tern stop` returns once serving ended; the process exits right after.
    tern.proc.wait(timeout=10)
    assert tern.stop() == 0


def test_stop_without_server_says_so(make_tern):
    t = make_tern()
    p = t.tern("stop")
    assert p.returncode == 1
    assert "is tern serve running?" in p.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="privilege switch needs root")
def test_serve_switches_user_before_serving(tern):
    uids, groups = proc_ids(tern.proc.pid)
    nobody = 65534
    assert uids == [nobody, nobody, nobody], uids
    assert groups == [nobody], groups
    # The data directory and the ctl socket belong to the run user, closed to others.
    st = os.stat(tern.data_dir)
    assert st.st_uid == nobody and st.st_mode & 0o007 == 0
    ctl = os.stat(os.path.join(tern.data_dir, "ctl"))
    assert ctl.st_uid == nobody and ctl.st_mode & 0o777 == 0o600


def test_numeric_user_is_uid_and_gid(make_tern):
    if os.geteuid() != 0:
        pytest.skip("privilege switch needs root")
    t = make_tern(user="4321").start()
    uids, groups = proc_ids(t.proc.pid)
    assert uids == [4321, 4321, 4321]
    assert groups == [4321]


def test_second_server_on_same_datadir_is_refused(tern):
    p = run_tern(["serve"], config=tern.config, timeout=30)
    assert p.returncode == 1
    assert "already running" in p.stderr + p.stdout


def test_loglevels_list_set_and_clear(tern):
    p = tern.tern("loglevels", check=True)
    assert p.stdout.startswith("default: debug\n"), p.stdout
    tern.tern("loglevels", "trace", "smtpserver", check=True)
    tern.tern("loglevels", "info", check=True)
    p = tern.tern("loglevels", check=True)
    assert "default: info\n" in p.stdout
    assert "smtpserver: trace\n" in p.stdout
    tern.tern("loglevels", "", "smtpserver", check=True)
    p = tern.tern("loglevels", check=True)
    assert "smtpserver" not in p.stdout
    p = tern.tern("loglevels", "loud")
    assert p.returncode == 1 and "unknown log level" in p.stderr


def test_package_log_levels_from_config(make_tern):
    t = make_tern(static_extra="PackageLogLevels:\n\tsmtpserver: trace\n\tctl: error\n").start()
    p = t.tern("loglevels", check=True)
    assert "smtpserver: trace\n" in p.stdout and "ctl: error\n" in p.stdout


def test_domains_conf_change_is_reloaded(tern):
    with open(tern.domains_conf, "a") as f:
        f.write("\tother:\n\t\tDomain: test.example\n\t\tDestinations:\n\t\t\tother@test.example: nil\n")
    tern.wait_log(r'm="domains.conf reloaded"')
    p = tern.tern("config", "account", "list", check=True)
    assert "other" in p.stdout.split()


def test_broken_domains_conf_is_refused_and_old_kept(tern):
    tern.expect_error(r'm="domains.conf changed but was refused')
    with open(tern.domains_conf, "a") as f:
        f.write("Bogus: 1\n")
    m = tern.wait_log(r'l=error m="domains.conf changed but was refused[^\n]*')
    assert re.search(r'domains\.conf:\d+: unknown field \\"Bogus\\"', m.group(0)), m.group(0)
    # Reported once per broken version, not every second.
    time.sleep(2.5)
    assert tern.log().count("changed but was refused") == 1
    # The server still runs with the previous version.
    p = tern.tern("loglevels", check=True)
    assert p.returncode == 0


def test_sighup_reloads_at_once(tern):
    tern.proc.send_signal(signal.SIGHUP)
    tern.wait_log(r'm="reload requested by SIGHUP"')


def test_bad_static_config_fails_with_file_line(make_tern):
    t = make_tern(static_extra="Bogus: true\n")
    p = run_tern(["serve"], config=t.config, timeout=30)
    assert p.returncode == 1
    assert re.search(r"tern\.conf:\d+: unknown field \"Bogus\" in ", p.stderr), p.stderr
