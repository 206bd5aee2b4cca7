"""A private Dovecot instance on loopback, the reference IMAP server of the benchmark.

Started in the foreground from a scratch directory with its own dovecot.conf
(`dovecot -F -c FILE`; the system instance is never touched, see
shared/PEERS.md), stopped by signalling its master PID. Mail is stored as
Maildir under the scratch directory, owned by an unprivileged user; fsync
settings are left as Debian ships them. The login service runs in
high-performance mode (service_count = 0, one long-lived process per core) so
it is not the bottleneck, and the limits allow 10,000+ concurrent
connections of one user from one address."""

import os
import pwd
import signal
import socket
import subprocess
import time

CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = tern-bench-{port}
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{dir}/mail/%u/Maildir
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 1
mail_max_userip_connections = {maxconn}
default_client_limit = {maxconn}
default_vsz_limit = 0
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  service_count = 0
  process_min_avail = {cores}
  process_limit = {cores}
  client_limit = {maxconn}
}}
service imap {{
  process_limit = {maxconn}
  client_limit = {imap_client_limit}
  service_count = {imap_service_count}
}}
service anvil {{
  client_limit = {anvil_limit}
}}
service auth {{
  client_limit = {anvil_limit}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    """imap_client_limit: connections one imap process serves (Debian's default is 1: a process
    per connection; above 1 a process also lives on for further connections, service_count 0)."""

    def __init__(self, workdir, users, maxconn=12000, imap_client_limit=1):
        self.dir = workdir
        self.port = free_port()
        self.log_path = os.path.join(workdir, "dovecot.log")
        self.conf = os.path.join(workdir, "dovecot.conf")
        self.proc = None
        nobody = pwd.getpwnam("nobody")
        for d in ("run", "state", "mail"):
            os.makedirs(os.path.join(workdir, d), exist_ok=True)
        os.chmod(workdir, 0o755)
        os.chown(os.path.join(workdir, "mail"), nobody.pw_uid, nobody.pw_gid)
        with open(os.path.join(workdir, "users"), "w") as f:
            for user, password in users.items():
                f.write("%s:{PLAIN}%s\n" % (user, password))
        with open(self.conf, "w") as f:
            f.write(CONF.format(dir=workdir, port=self.port, uid=nobody.pw_uid,
                                gid=nobody.pw_gid, maxconn=maxconn,
                                imap_client_limit=imap_client_limit,
                                imap_service_count=1 if imap_client_limit == 1 else 0,
                                anvil_limit=maxconn + 1000, cores=os.cpu_count() or 1))

    def start(self):
        log = open(os.path.join(self.dir, "dovecot.out"), "wb")
        self.proc = subprocess.Popen(["dovecot", "-F", "-c", self.conf], stdout=log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("dovecot exited: see %s and %s" % (log.name, self.log_path))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise SystemExit("dovecot did not start; see %s" % self.log_path)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
