"""A private Postfix instance on loopback, for interop tests and benchmarks.

Started from a scratch directory with its own main.cf/master.cf (the system
instance is never touched), stopped with `postfix stop`, as
shared/PEERS.md describes. Two modes: relay everything to another SMTP
server (relayhost), or deliver test.example to Maildirs (virtual)."""

import os
import pwd
import shutil
import socket
import subprocess
import time

POSTCONF_DEFAULTS = ["daemon_directory", "command_directory", "shlib_directory",
                     "meta_directory", "sendmail_path", "newaliases_path", "mailq_path"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available():
    return shutil.which("postfix") is not None or os.path.exists("/usr/sbin/postfix")


class Postfix:
    def __init__(self, workdir, relay_port=None, maildir_users=(), hostname="postfix.test.example",
                 message_size_limit=10240000, tls_cert=None, tls_key=None):
        self.dir = workdir
        self.conf = os.path.join(workdir, "conf")
        self.queue = os.path.join(workdir, "queue")
        self.data = os.path.join(workdir, "data")
        self.mail = os.path.join(workdir, "mail")
        self.log_path = os.path.join(workdir, "postfix.log")
        self.port = free_port()
        os.makedirs(self.conf)
        os.makedirs(self.queue)
        os.makedirs(self.data)
        os.makedirs(self.mail)
        pf = pwd.getpwnam("postfix")
        os.chown(self.data, pf.pw_uid, pf.pw_gid)
        os.chmod(workdir, 0o755)
        defaults = {}
        for name in POSTCONF_DEFAULTS:
            out = subprocess.run(["postconf", "-dh", name], capture_output=True, text=True)
            defaults[name] = out.stdout.strip()
        lines = ["compatibility_level = 3.6",
                 "config_directory = " + self.conf,
                 "queue_directory = " + self.queue,
                 "data_directory = " + self.data,
                 "maillog_file = " + self.log_path,
                 "maillog_file_prefixes = " + workdir,
                 "inet_interfaces = 127.0.0.1",
                 "inet_protocols = ipv4",
                 "mynetworks = 127.0.0.0/8",
                 "myhostname = " + hostname,
                 "mydestination =",
                 "alias_maps =",
                 "alias_database =",
                 "smtputf8_enable = yes",
                 "message_size_limit = %d" % message_size_limit,
                 "virtual_mailbox_limit = %d" % message_size_limit,
                 "smtpd_recipient_restrictions = permit_mynetworks, reject",
                 "smtpd_relay_restrictions = permit_mynetworks, reject",
                 "default_process_limit = 200"]
        lines += ["%s = %s" % kv for kv in defaults.items()]
        if relay_port:
            lines += ["relayhost = [127.0.0.1]:%d" % relay_port,
                      "smtp_tls_security_level = may",
                      "smtp_tls_loglevel = 1"]
        if tls_cert:
            # STARTTLS offered to clients, with this certificate (chain after the leaf).
            lines += ["smtpd_tls_cert_file = " + tls_cert,
                      "smtpd_tls_key_file = " + tls_key,
                      "smtpd_tls_security_level = may",
                      "smtpd_tls_loglevel = 1"]
        if maildir_users:
            vmap = os.path.join(self.conf, "vmailbox")
            with open(vmap, "w") as f:
                for u in maildir_users:
                    f.write("%s@test.example %s/Maildir/\n" % (u, u))
            nobody = pwd.getpwnam("nobody")
            os.chown(self.mail, nobody.pw_uid, nobody.pw_gid)
            lines += ["virtual_mailbox_domains = test.example",
                      "virtual_mailbox_base = " + self.mail,
                      "virtual_mailbox_maps = texthash:" + vmap,
                      "virtual_uid_maps = static:%d" % nobody.pw_uid,
                      "virtual_gid_maps = static:%d" % nobody.pw_gid]
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write("\n".join(lines) + "\n")
        self.write_master()

    def write_master(self):
        out = []
        with open("/etc/postfix/master.cf") as f:
            for line in f:
                fields = line.split()
                if not line.strip() or line.startswith("#") or line[0] in " \t":
                    out.append(line)
                    continue
                if fields[0] == "smtp" and fields[1] == "inet":
                    fields[0] = "127.0.0.1:%d" % self.port
                if len(fields) >= 8:
                    fields[4] = "n"  # no chroot: the scratch directory has no copy of /etc
                out.append(" ".join(fields) + "\n")
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.writelines(out)

    def postfix(self, *args):
        cmd = "postfix -c %s %s" % (self.conf, " ".join(args))
        # postfix prints its errors only to a terminal or the log (PEERS.md).
        return subprocess.run(["script", "-qc", cmd, "/dev/null"], capture_output=True, text=True,
                              timeout=120)

    def start(self, timeout=30):
        p = self.postfix("start")
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("postfix did not start: %s%s\n%s" % (p.stdout, p.stderr, self.log()))

    def stop(self):
        pid = None
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError):
            pass
        self.postfix("stop")
        deadline = time.time() + 20
        while pid and os.path.exists("/proc/%d" % pid) and time.time() < deadline:
            time.sleep(0.1)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def maildir_count(self, user):
        d = os.path.join(self.mail, user, "Maildir", "new")
        try:
            return len(os.listdir(d))
        except FileNotFoundError:
            return 0
