"""The repair commands: recalculatemailboxcounts, bumpuidvalidity,
reassignuids, fixuidmeta, fixmsgsize, reparse, ensureparsed and
reassignthreads change what they should (damage is made with sqlite3 on the
index while no server runs), print what they fixed, and leave an account
that `tern verifydata` finds clean; directly and through the server."""

import mailbox
import os
import shutil
import sqlite3
import tempfile
import time

import pytest

from store_util import index, mailbox_row


def write_mbox(path):
    box = mailbox.mbox(path)
    msgs = [
        (b"From: Alice <alice@example.org>\nSubject: Plans\nMessage-ID: <p1@x>\n\nfirst\n", 1),
        (b"From: Bob <bob@example.org>\nSubject: Re: Plans\nMessage-ID: <p2@x>\n"
         b"In-Reply-To: <p1@x>\nReferences: <p1@x>\n\nsecond\n", 2),
        (b"From: Alice <alice@example.org>\nSubject: Re: Re: Plans\nMessage-ID: <p3@x>\n"
         b"References: <p1@x> <p2@x>\n\nthird\n", 3),
        (b"From: Carol <carol@example.org>\nSubject: Other\nMessage-ID: <o1@x>\n\nother\n", 4),
    ]
    for data, i in msgs:
        m = mailbox.mboxMessage(data)
        m.set_from("x@example.org", time.gmtime(1700000000 + i * 60))
        if i % 2:
            m.set_flags("R")
        box.add(m)
    box.close()


@pytest.fixture
def account(make_tern):
    t = make_tern()
    work = tempfile.mkdtemp(prefix="tern-maint-")
    src = os.path.join(work, "in.mbox")
    write_mbox(src)
    p = t.tern("import", "mbox", "mjl", "Inbox", src)
    assert p.returncode == 0, p.stderr
    yield t
    shutil.rmtree(work, ignore_errors=True)


def damage(t, *sql):
    db = sqlite3.connect(os.path.join(t.data_dir, "accounts", "mjl", "index.db"))
    for s in sql:
        db.execute(s)
    db.commit()
    db.close()


def query(t, sql):
    db = index(t.data_dir)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def clean(t):
    p = t.tern("verifydata", t.data_dir)
    assert p.returncode == 0, p.stdout + p.stderr


def test_recalculatemailboxcounts(account):
    t = account
    clean(t)
    damage(t, "UPDATE mailboxes SET unseen = 9, size = 1 WHERE name = 'Inbox'",
           "UPDATE account SET size = size + 100")
    assert t.tern("verifydata", t.data_dir).returncode == 1
    p = t.tern("recalculatemailboxcounts", "mjl")
    assert p.returncode == 0, p.stderr
    assert "mailbox Inbox: unseen 9 -> 2, size 1 -> " in p.stdout
    assert "account size" in p.stdout
    clean(t)
    p = t.tern("recalculatemailboxcounts", "mjl")
    assert p.returncode == 0 and p.stdout == ""
    p = t.tern("recalculatemailboxcounts")
    assert p.returncode == 2


def test_bumpuidvalidity_and_reassignuids(account):
    t = account
    before = mailbox_row(t.data_dir, "Inbox")["uidvalidity"]
    sent = mailbox_row(t.data_dir, "Sent")["uidvalidity"]
    p = t.tern("bumpuidvalidity", "mjl", "Inbox")
    assert p.returncode == 0, p.stderr
    after = mailbox_row(t.data_dir, "Inbox")["uidvalidity"]
    assert after > before and "mailbox Inbox: uidvalidity %d -> %d" % (before, after) in p.stdout
    assert mailbox_row(t.data_dir, "Sent")["uidvalidity"] == sent
    p = t.tern("bumpuidvalidity", "mjl")
    assert p.returncode == 0 and p.stdout.count("uidvalidity") == 6
    p = t.tern("bumpuidvalidity", "mjl", "Nope")
    assert p.returncode == 1 and "no mailbox Nope" in p.stderr
    clean(t)

    # Gaps in UIDs (as after expunges), then renumbering.
    damage(t, "UPDATE messages SET uid = uid * 10",
           "UPDATE mailboxes SET uidnext = 100 WHERE name = 'Inbox'")
    clean(t)
    inbox = mailbox_row(t.data_dir, "Inbox")
    p = t.tern("reassignuids", "mjl", str(inbox["id"]))
    assert p.returncode == 0, p.stderr
    assert "mailbox Inbox: 4 messages renumbered, uidnext 100 -> 5" in p.stdout
    assert [r[0] for r in query(t, "SELECT uid FROM messages ORDER BY id")] == [1, 2, 3, 4]
    assert mailbox_row(t.data_dir, "Inbox")["uidvalidity"] > inbox["uidvalidity"]
    clean(t)


def test_fixuidmeta(account):
    t = account
    damage(t, "UPDATE mailboxes SET uidnext = 2 WHERE name = 'Inbox'",
           "UPDATE account SET next_uidvalidity = 1")
    assert t.tern("verifydata", t.data_dir).returncode == 1
    p = t.tern("fixuidmeta", "mjl")
    assert p.returncode == 0, p.stderr
    assert "mailbox Inbox: uidnext 2 -> 5" in p.stdout
    assert "account next uidvalidity 1 -> " in p.stdout
    clean(t)


def test_fixmsgsize(account):
    t = account
    fid = query(t, "SELECT file_id FROM messages ORDER BY id LIMIT 1")[0][0]
    path = os.path.join(t.data_dir, "accounts", "mjl", "msg", "%x" % (fid >> 12), str(fid))
    with open(path, "ab") as f:
        f.write(b"appended\r\n")
    size = os.path.getsize(path)
    assert t.tern("verifydata", t.data_dir).returncode == 1
    p = t.tern("fixmsgsize", "mjl")
    assert p.returncode == 0, p.stderr
    assert "file %d: size %d -> %d, parsed again" % (fid, size - 10, size) in p.stdout
    assert "mailbox Inbox: size" in p.stdout
    assert query(t, "SELECT size FROM messages WHERE file_id = %d" % fid)[0][0] == size
    clean(t)
    p = t.tern("fixmsgsize")
    assert p.returncode == 0 and p.stdout == "account mjl:\n"


def test_reparse_and_ensureparsed(account):
    t = account
    damage(t, "UPDATE files SET parsed = NULL WHERE id IN (SELECT file_id FROM messages "
              "ORDER BY id LIMIT 2)",
           "UPDATE messages SET message_id = '', from_addr = ''")
    p = t.tern("ensureparsed", "mjl")
    assert p.returncode == 0, p.stderr
    assert "parsed 2 message files" in p.stdout
    assert query(t, "SELECT count(*) FROM files WHERE parsed IS NULL")[0][0] == 0
    p = t.tern("ensureparsed", "-all", "mjl")
    assert "parsed 4 message files" in p.stdout
    damage(t, "UPDATE messages SET message_id = '', from_addr = ''")
    p = t.tern("reparse")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "account mjl:\nparsed 4 message files\n"
    assert query(t, "SELECT message_id, from_addr FROM messages ORDER BY id") == [
        ("p1@x", "alice@example.org"), ("p2@x", "bob@example.org"),
        ("p3@x", "alice@example.org"), ("o1@x", "carol@example.org")]
    clean(t)


def test_reassignthreads(account):
    t = account
    threads = query(t, "SELECT id, thread_id, thread_parents FROM messages ORDER BY id")
    ids = [r[0] for r in threads]
    assert [r[1] for r in threads] == [ids[0], ids[0], ids[0], ids[3]]
    # Every message its own thread, and the threading fields lost.
    damage(t, "UPDATE messages SET thread_id = id, thread_parents = '', subject_base = ''")
    p = t.tern("reassignthreads", "mjl")
    assert p.returncode == 0, p.stderr
    assert "threads assigned for 4 messages" in p.stdout
    assert query(t, "SELECT id, thread_id, thread_parents FROM messages ORDER BY id") == threads
    assert query(t, "SELECT subject_base FROM messages ORDER BY id")[0][0] == "plans"
    clean(t)


def test_repairs_through_server(account):
    t = account
    damage(t, "UPDATE mailboxes SET unread = 7 WHERE name = 'Inbox'",
           "UPDATE messages SET thread_id = id, thread_parents = ''")
    t.start()
    p = t.tern("recalculatemailboxcounts", "mjl")
    assert p.returncode == 0, p.stderr
    assert "mailbox Inbox: unread 7 -> 2" in p.stdout
    p = t.tern("reassignthreads")
    assert p.returncode == 0 and "threads assigned for 4 messages" in p.stdout
    p = t.tern("bumpuidvalidity", "mjl", "Inbox")
    assert p.returncode == 0 and "mailbox Inbox: uidvalidity" in p.stdout
    p = t.tern("reparse", "nobody")
    assert p.returncode == 1 and "account nobody not in the configuration" in p.stderr
    t.wait_log(r"m=maintenance pkg=ctl op=reassignthreads account=mjl")
    t.stop()
    clean(t)
