"""Real IMAP clients against tern: isync/mbsync synchronising a Maildir both
ways (messages, flags and expunges survive round trips), mutt in batch mode,
curl for fetch and search, and `tern localserve`'s IMAP ports."""

import glob
import imaplib
import os
import shutil
import subprocess
import tempfile

from test_imap_session import PASSWORD, imapd, login  # noqa: F401

MSG = (b"From: Sender <sender@peer.example>\r\nTo: mjl@test.example\r\n"
       b"Subject: %s\r\nMessage-ID: <%s@peer.example>\r\n\r\nbody of %s\r\n")


def msg(name):
    return MSG % (name.encode(), name.encode(), name.encode())


def mbsync_config(t, maildir):
    return ("IMAPAccount tern\nHost 127.0.0.1\nPort %d\nUser mjl@test.example\nPass %s\n"
            "SSLType None\nAuthMechs LOGIN\n\n"
            "IMAPStore tern-remote\nAccount tern\n\n"
            "MaildirStore local\nPath %s/\nInbox %s/INBOX\nSubFolders Verbatim\n\n"
            "Channel tern\nFar :tern-remote:\nNear :local:\nPatterns INBOX Work\n"
            "Create Both\nExpunge Both\nSync All\nSyncState *\n"
            % (t.imap_ports["imap"], PASSWORD, maildir, maildir))


def mbsync(cfg):
    p = subprocess.run(["mbsync", "-c", cfg, "-a"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def local_msgs(maildir, box="INBOX"):
    """{subject: maildir flags} of the local Maildir folder."""
    out = {}
    for path in glob.glob(os.path.join(maildir, box, "cur", "*")) + \
            glob.glob(os.path.join(maildir, box, "new", "*")):
        with open(path, "rb") as f:
            data = f.read()
        subj = [ln for ln in data.split(b"\n") if ln.startswith(b"Subject: ")][0][9:].strip()
        flags = path.rsplit(":2,", 1)[1] if ":2," in path else ""
        out[subj.decode()] = (flags, path)
    return out


def server_msgs(t, box="INBOX"):
    m = login(t)
    typ, data = m.select(box)
    assert typ == "OK", data
    out = {}
    typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])") if data != [b"0"] \
        else ("OK", [])
    for item in data:
        if isinstance(item, tuple):
            subj = item[1].split(b":", 1)[1].strip().decode()
            out[subj] = item[0].split(b"FLAGS (")[1].split(b")")[0].decode()
    m.logout()
    return out


def test_mbsync_round_trips(imapd):
    m = login(imapd)
    m.append("INBOX", r"(\Seen)", None, msg("one"))
    m.append("INBOX", None, None, msg("two"))
    m.append("INBOX", r"(\Flagged)", None, msg("three"))
    m.create("Work")
    m.append("Work", None, None, msg("work1"))
    m.logout()
    d = tempfile.mkdtemp(prefix="tern-it-mbsync-")
    try:
        maildir = os.path.join(d, "mail")
        os.makedirs(maildir)
        cfg = os.path.join(d, "mbsyncrc")
        with open(cfg, "w") as f:
            f.write(mbsync_config(imapd, maildir))
        mbsync(cfg)
        loc = local_msgs(maildir)
        assert set(loc) == {"one", "two", "three"}, loc
        assert loc["one"][0] == "S" and loc["two"][0] == "" and loc["three"][0] == "F", loc
        assert set(local_msgs(maildir, "Work")) == {"work1"}
        # Local changes: flag "two", trash "one", a new message.
        path = loc["two"][1]
        base = os.path.basename(path).split(":2,")[0]
        os.rename(path, os.path.join(maildir, "INBOX", "cur", base + ":2,FS"))
        path = loc["one"][1]
        os.rename(path, path + "T" if path.endswith(":2,S") else path)
        with open(os.path.join(maildir, "INBOX", "new", "1700000000.x.host"), "wb") as f:
            f.write(msg("local"))
        mbsync(cfg)
        srv = server_msgs(imapd)
        assert set(srv) == {"two", "three", "local"}, srv
        assert "\\Flagged" in srv["two"] and "\\Seen" in srv["two"], srv
        # Server changes: \Seen on "three", "local" expunged, a new one.
        m = login(imapd)
        m.select("INBOX")
        typ, data = m.search(None, "SUBJECT", "three")
        m.store(data[0].decode(), "+FLAGS", r"(\Seen)")
        typ, data = m.search(None, "SUBJECT", "local")
        m.store(data[0].decode(), "+FLAGS", r"(\Deleted)")
        m.expunge()
        m.append("INBOX", None, None, msg("four"))
        m.logout()
        mbsync(cfg)
        loc = local_msgs(maildir)
        assert set(loc) == {"two", "three", "four"}, loc
        assert "S" in loc["three"][0] and "F" in loc["three"][0], loc
        # A second run changes nothing.
        mbsync(cfg)
        assert set(local_msgs(maildir)) == {"two", "three", "four"}
        assert set(server_msgs(imapd)) == {"two", "three", "four"}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_curl_fetch_and_search(imapd):
    m = login(imapd)
    m.append("INBOX", None, None, msg("curl one"))
    m.append("INBOX", None, None, msg("curl two"))
    m.logout()
    url = "imap://127.0.0.1:%d/INBOX" % imapd.imap_ports["imap"]
    user = "mjl@test.example:" + PASSWORD
    p = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", user, url + "/;UID=2"],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout == msg("curl two"), p.stdout
    p = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", user, url + "?SUBJECT%20one"],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == b"* SEARCH 1", p.stdout
    p = subprocess.run(["curl", "-sS", "--max-time", "30", "-u", user,
                        "imap://127.0.0.1:%d/" % imapd.imap_ports["imap"]],
                       capture_output=True, timeout=60)
    assert p.returncode == 0 and b"INBOX" in p.stdout, p


def test_mutt_batch(imapd):
    m = login(imapd)
    m.append("INBOX", None, None, msg("for mutt"))
    m.logout()
    d = tempfile.mkdtemp(prefix="tern-it-mutt-")
    try:
        rc = os.path.join(d, "muttrc")
        with open(rc, "w") as f:
            f.write('set folder="imap://mjl%%40test.example:%s@127.0.0.1:%d/"\n'
                    'set spoolfile="+INBOX"\nset ssl_starttls=no\nset ssl_force_tls=no\n'
                    'set header_cache=""\nset message_cachedir=""\nset mail_check=0\n'
                    'set imap_passive=no\nset quit=yes\nset confirmcreate=no\n'
                    'set delete=no\nset move=no\n' % (PASSWORD, imapd.imap_ports["imap"]))
        # Save the first message into a new folder: mutt logs in, lists, fetches, copies.
        # mutt needs a terminal: script(1) gives it a pseudo-terminal.
        cmd = ("mutt -n -F %s -e \"push '<save-message>=Saved<enter><quit>'\" -f +INBOX"
               % rc)
        p = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True,
                           timeout=30, env=dict(os.environ, TERM="vt100"),
                           stdin=subprocess.DEVNULL)
        m = login(imapd)
        typ, data = m.status("Saved", "(MESSAGES)")
        m.logout()
        assert typ == "OK" and b"MESSAGES 1" in data[0], (data, p.stdout[-2000:], p.stderr)
    finally:
        shutil.rmtree(d, ignore_errors=True)
