"""The command line: help, version, config test/describe, and the commands
that edit domains.conf (written back atomically, picked up by a running server)."""

import os
import re
import stat

import pytest

from harness import Tern, run_tern, REPO


def lines(p):
    return p.stdout.splitlines()


def test_version_and_help():
    p = run_tern(["version"], check=True)
    assert re.match(r"^\S+\n$", p.stdout)
    p = run_tern(["help"], check=True)
    assert "tern config test" in p.stdout
    assert "mox commands that tern does not implement yet:" in p.stdout
    p = run_tern(["help", "config", "account"], check=True)
    # Several matches: one summary each.
    assert p.stdout.count("tern config account ") == 6
    p = run_tern(["help", "config", "account", "add"], check=True)
    assert p.stdout.startswith("usage: tern config account add $account $address\n\n")


def test_unknown_and_planned_commands():
    p = run_tern(["nonsense"])
    assert p.returncode == 2 and 'unknown command "nonsense"' in p.stderr
    p = run_tern(["queue", "list"])
    assert p.returncode == 1
    assert '"queue list" is a mox command that tern does not implement yet (part of the outgoing queue)' in p.stderr
    p = run_tern(["help", "queue", "list"])
    assert p.returncode == 1 and "does not implement yet" in p.stderr


def test_config_env_var_and_mox_conf_name(make_tern):
    t = make_tern()
    # MOXCONF and TERNCONF name the static file, like mox's MOXCONF.
    p = run_tern(["config", "test"], env={"TERNCONF": t.config})
    assert p.returncode == 0, p.stderr
    moxconf = os.path.join(t.config_dir, "mox.conf")
    os.rename(t.config, moxconf)
    p = run_tern(["config", "test"], env={"MOXCONF": moxconf})
    assert p.returncode == 0, p.stderr


def test_config_test_lists_unacted_fields(make_tern):
    listeners = ("\tlocal:\n\t\tIPs:\n\t\t\t- 127.0.0.1\n\t\tSMTP:\n\t\t\tEnabled: true\n\t\t\tPort: 1\n"
                 "\t\t\tNoSTARTTLS: true\n\t\t\tDNSBLs:\n\t\t\t\t- dnsbl.example\n")
    t = make_tern(listeners=listeners)
    p = t.tern("config", "test")
    assert p.returncode == 0, p.stderr
    assert "are valid" in p.stdout
    # SMTP is served; its DNSBL checks come with junk filtering.
    assert "\tListeners.local.SMTP.DNSBLs\t(junk filtering)" in p.stdout, p.stdout
    assert "\tListeners.local.SMTP\t" not in p.stdout


@pytest.mark.parametrize("domains,message", [
    ("Domains:\n\ttest.example: nil\nAccounts:\n\tmjl:\n\t\tDomain: test.example\n\t\tDestinations:\n\t\t\tmjl@test.example: nil\n\t\tBogus: 1\n",
     r'domains\.conf:8: unknown field "Bogus" in Account'),
    ("Domains:\n\ttest.example: nil\nAccounts:\n\tmjl:\n\t\tDomain: test.example\n\t\tDestinations:\n\t\t\tmjl@test.example: nil\n\t\tMaxOutgoingMessagesPerDay: many\n",
     r"domains\.conf:8: MaxOutgoingMessagesPerDay: invalid integer \"many\""),
    ("Domains:\n\ttest.example: nil\nAccounts:\n\tmjl:\n\t\tDomain: test.example\n\t\tDestinations:\n\t\t\tmjl@other.example: nil\n",
     r"domains\.conf:7: account mjl: destination mjl@other\.example: domain other\.example is not configured"),
    ("Domains:\n\ttest.example: nil\n",
     r"domains\.conf: missing required field \"Accounts\" in Dynamic"),
])
def test_config_test_rejects_with_file_line(make_tern, domains, message):
    t = make_tern(domains=domains)
    p = t.tern("config", "test")
    assert p.returncode == 1, p.stdout
    assert re.search(message, p.stderr), p.stderr


def test_config_test_static_errors(make_tern):
    t = make_tern(static_extra="QuotaMessageSize: lots\n")
    p = t.tern("config", "test")
    assert p.returncode == 1
    assert re.search(r"tern\.conf:\d+: QuotaMessageSize: invalid integer \"lots\"", p.stderr), p.stderr
    t2 = make_tern(listeners="\tlocal:\n\t\tIPs:\n\t\t\t- 300.1.1.1\n")
    p = t2.tern("config", "test")
    assert p.returncode == 1
    assert re.search(r"tern\.conf:\d+: .*300\.1\.1\.1", p.stderr), p.stderr


@pytest.mark.parametrize("which,top", [("describe-static", ["DataDir:", "Listeners:", "Postmaster:", "Transports:"]),
                                       ("describe-domains", ["Domains:", "Accounts:", "WebHandlers:", "Routes:"])])
def test_describe_templates_parse_back(make_tern, which, top):
    p = run_tern(["config", which], check=True)
    for key in top:
        assert "\n" + key in p.stdout
    # Every field is documented in the template.
    assert len(re.findall(r"^\t*# ", p.stdout, re.M)) > 100
    # Written as a config file, the template gets past parsing and binding:
    # what remains are checks of values (empty required values).
    t = make_tern()
    target = t.config if which == "describe-static" else t.domains_conf
    with open(target, "w") as f:
        f.write(p.stdout)
    p = t.tern("config", "test")
    assert p.returncode == 1
    for syntax in ("unknown field", "expected", "missing required", "duplicate", "invalid boolean",
                   "invalid integer", "invalid number", "invalid duration"):
        assert syntax not in p.stderr, p.stderr


def test_account_and_address_commands(make_tern):
    t = make_tern()
    st = os.stat(t.domains_conf)
    os.chmod(t.domains_conf, 0o640)
    assert t.tern("config", "account", "add", "x", "x@test.example").returncode == 0
    assert lines(t.tern("config", "account", "list", check=True)) == ["mjl", "x"]
    assert lines(t.tern("config", "account", "addresses", "x", check=True)) == ["x@test.example"]
    # Mode and owner of domains.conf survive the rewrite; no temporary file is left.
    st2 = os.stat(t.domains_conf)
    assert stat.S_IMODE(st2.st_mode) == 0o640 and st2.st_uid == st.st_uid
    assert sorted(os.listdir(t.config_dir)) == ["domains.conf", "tern.conf"]

    p = t.tern("config", "account", "add", "x", "y@test.example")
    assert p.returncode == 1 and 'account "x" already exists' in p.stderr
    p = t.tern("config", "account", "add", "y", "X@Test.Example")
    assert p.returncode == 1 and "already configured for account x" in p.stderr
    p = t.tern("config", "account", "add", "y", "y@other.example")
    assert p.returncode == 1 and "domain other.example is not configured" in p.stderr
    p = t.tern("config", "account", "add", "../evil", "evil@test.example")
    assert p.returncode == 1 and 'must not contain "/"' in p.stderr

    t.tern("config", "address", "add", "x2@test.example", "x", check=True)
    t.tern("config", "address", "add", "@test.example", "x", check=True)
    assert lines(t.tern("config", "account", "addresses", "x", check=True)) == [
        "@test.example", "x2@test.example", "x@test.example"]
    assert lines(t.tern("config", "address", "account", "X2@test.example", check=True)) == ["x"]
    assert lines(t.tern("config", "address", "account", "whoever@test.example", check=True)) == ["x"]
    t.tern("config", "address", "rm", "@test.example", check=True)
    p = t.tern("config", "address", "account", "whoever@test.example")
    assert p.returncode == 1 and "not configured" in p.stderr

    t.tern("config", "account", "disable", "x", "moved to another server", check=True)
    assert "x\t(disabled)" in lines(t.tern("config", "account", "list", check=True))
    p = t.tern("config", "account", "disable", "x", "bad\x01message")
    assert p.returncode == 1 and "printable ASCII" in p.stderr
    t.tern("config", "account", "enable", "x", check=True)
    assert "x" in lines(t.tern("config", "account", "list", check=True))

    p = t.tern("config", "account", "rm", "mjl")
    assert p.returncode == 1 and "postmaster account" in p.stderr
    os.makedirs(os.path.join(t.data_dir, "accounts", "x", "msg"))
    t.tern("config", "account", "rm", "x", check=True)
    assert lines(t.tern("config", "account", "list", check=True)) == ["mjl"]
    assert not os.path.exists(os.path.join(t.data_dir, "accounts", "x")), "account data removed"
    assert t.tern("config", "test").returncode == 0


def test_domain_commands(make_tern):
    t = make_tern()
    t.tern("config", "domain", "add", "bücher.example", "newacc", "info", check=True)
    p = t.tern("config", "account", "addresses", "newacc", check=True)
    assert lines(p) == ["info@bücher.example"]
    keys = os.listdir(os.path.join(t.config_dir, "dkim"))
    assert len(keys) == 2 and any("ed25519" in k for k in keys) and any("rsa2048" in k for k in keys)
    for k in keys:
        assert stat.S_IMODE(os.stat(os.path.join(t.config_dir, "dkim", k)).st_mode) == 0o600
    with open(t.domains_conf) as f:
        conf = f.read()
    assert "\tbücher.example:\n" in conf and "dmarc-reports" in conf and "tls-reports" in conf

    p = t.tern("config", "domain", "add", "xn--bcher-kva.example", "newacc")
    assert p.returncode == 1 and "already exists" in p.stderr
    p = t.tern("config", "domain", "add", "third.example", "nobody-yet")
    assert p.returncode == 1 and "give a localpart to create it" in p.stderr
    t.tern("config", "domain", "add", "-disabled", "third.example", "mjl", check=True)
    assert "postmaster@third.example" not in lines(t.tern("config", "account", "addresses", "mjl", check=True)), \
        "the postmaster account gets postmaster@ every domain without a destination"
    t.tern("config", "domain", "enable", "third.example", check=True)
    t.tern("config", "domain", "disable", "third.example", check=True)

    p = t.tern("config", "domain", "rm", "bücher.example")
    assert p.returncode == 1 and "still has address" in p.stderr
    t.tern("config", "domain", "rm", "third.example", check=True)
    old = os.path.join(t.config_dir, "dkim", "old")
    assert len(os.listdir(old)) == 2, "keys of the removed domain moved to dkim/old"
    assert t.tern("config", "test").returncode == 0


def test_alias_commands(make_tern):
    t = make_tern()
    t.tern("config", "account", "add", "x", "x@test.example", check=True)
    t.tern("config", "alias", "add", "list@test.example", "mjl@test.example", check=True)
    assert lines(t.tern("config", "alias", "list", "test.example", check=True)) == ["list@test.example"]
    t.tern("config", "alias", "addaddr", "list@test.example", "x@test.example", check=True)
    t.tern("config", "alias", "update", "list@test.example", "-postpublic", "false", "-listmembers", "true", check=True)
    p = t.tern("config", "alias", "print", "list@test.example", check=True)
    assert p.stdout == ("postpublic: false\nlistmembers: true\nallowmsgfrom: false\nmembers:\n"
                        "\tmjl@test.example\n\tx@test.example\n")
    p = t.tern("config", "alias", "add", "x@test.example", "mjl@test.example")
    assert p.returncode == 1 and "is an address of account" in p.stderr
    p = t.tern("config", "alias", "addaddr", "list@test.example", "stranger@elsewhere.example")
    assert p.returncode == 1
    p = t.tern("config", "address", "rm", "x@test.example")
    assert p.returncode == 1
    t.tern("config", "alias", "rmaddr", "list@test.example", "x@test.example", check=True)
    p = t.tern("config", "alias", "rmaddr", "list@test.example", "mjl@test.example")
    assert p.returncode == 1 and "at least one member" in p.stderr
    t.tern("config", "alias", "rm", "list@test.example", check=True)
    assert lines(t.tern("config", "alias", "list", "test.example", check=True)) == []


def test_edit_reaches_running_server(tern):
    tern.tern("config", "account", "add", "live", "live@test.example", check=True)
    tern.wait_log(r'm="domains.conf reloaded"')


def test_concurrent_edits_all_land(make_tern):
    """Edits from many processes at once serialize on the lock; none is lost."""
    import subprocess
    from harness import TERN_BIN, tern_env
    t = make_tern()
    procs = [subprocess.Popen([TERN_BIN, "-config", t.config, "config", "address", "add",
                               "a%d@test.example" % i, "mjl"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tern_env())
             for i in range(12)]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    addrs = lines(t.tern("config", "account", "addresses", "mjl", check=True))
    assert sorted(addrs) == sorted(["mjl@test.example"] + ["a%d@test.example" % i for i in range(12)])
    assert t.tern("config", "test").returncode == 0
