"""tern import mbox|maildir and tern export: files made by Python's mailbox
module are imported with their flags, keywords and dates, and exports read
back by Python's mailbox module give the same bytes, flags, keywords and
dates; directly (no server) and through a running server's ctl socket."""

import mailbox
import os
import shutil
import tempfile
import time

import pytest

from store_util import FLAG_BITS, mailbox_row, mboxrd_unquote, messages, strip_flag_headers

SEEN, ANSWERED, FLAGGED, DELETED, DRAFT = 1, 2, 4, 8, 16
FORWARDED, JUNK = FLAG_BITS["$forwarded"], FLAG_BITS["$junk"]

BODIES = [
    # (message-id, body, mbox flags, epoch)
    ("m1@test", b"Plain body.\n", "", 1600000000),
    ("m2@test", b"From the start of a line\nand >From quoted? no: >From is kept only in mboxrd\n",
     "RO", 1600000100),
    ("m3@test", b"Two lines\n\n\nwith empty lines at the end\n\n", "RF", 1600000200),
    ("m4@test", b"Answered and deleted\nFrom here too\n", "ROAD", 1600000300),
    ("m5@test", b"UTF-8: \xc3\xa9t\xc3\xa9\n", "", 1600000400),
]


def message(msgid, body, subject=None):
    subject = subject or "about " + msgid
    return (b"From: Sender <sender@example.org>\nTo: mjl@test.example\nSubject: "
            + subject.encode() + b"\nMessage-ID: <" + msgid.encode() + b">\n"
            b"Date: Sun, 13 Sep 2020 12:26:40 +0000\n\n" + body)


def python_mbox(path, items):
    box = mailbox.mbox(path)
    for msgid, body, flags, when in items:
        m = mailbox.mboxMessage(message(msgid, body))
        m.set_from("sender@example.org", time.gmtime(when))
        if flags:
            m.set_flags(flags)
        box.add(m)
    box.close()


def mbox_flag_bits(flags):
    bits = 0
    for c, b in (("R", SEEN), ("A", ANSWERED), ("F", FLAGGED), ("D", DELETED)):
        if c in flags:
            bits |= b
    return bits


def python_mbox_messages(path):
    """Message-ID -> (bytes without flag headers, mboxrd unquoted; flags; From line date)."""
    box = mailbox.mbox(path, create=False)
    out = {}
    for key in box.keys():
        m = box[key]
        raw = mboxrd_unquote(strip_flag_headers(box.get_bytes(key)))
        msgid = m["Message-ID"].strip("<>")
        out[msgid] = (raw, "".join(sorted(m.get_flags())), m.get_from().split(" ", 1)[1])
    box.close()
    return out


@pytest.fixture
def work():
    d = tempfile.mkdtemp(prefix="tern-import-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_import_export_mbox_round_trip(make_tern, work):
    t = make_tern()
    src = os.path.join(work, "in.mbox")
    python_mbox(src, BODIES)
    p = t.tern("import", "mbox", "mjl", "Archive/2020", src)
    assert p.returncode == 0, p.stderr
    assert "imported 5 messages into mailbox Archive/2020 of account mjl" in p.stdout

    # The index: order, flags, internal dates from the From lines, CRLF line endings.
    rows = messages(t.data_dir, "Archive/2020")
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert [r[1] for r in rows] == [mbox_flag_bits(b[2]) for b in BODIES]
    assert [r[3] for r in rows] == [b[3] for b in BODIES]
    box = mailbox.mbox(src, create=False)
    stored = [mboxrd_unquote(box.get_bytes(k)).replace(b"\n", b"\r\n") for k in box.keys()]
    box.close()
    assert [r[4] for r in rows] == [len(s) for s in stored]
    mb = mailbox_row(t.data_dir, "Archive/2020")
    assert (mb["total"], mb["deleted"], mb["unseen"]) == (4, 1, 2)

    out = os.path.join(work, "out")
    p = t.tern("export", "mbox", out, "mjl", "Archive")
    assert p.returncode == 0, p.stderr
    assert os.path.exists(os.path.join(out, "Archive.mbox"))  # the parent, empty
    got = python_mbox_messages(os.path.join(out, "Archive", "2020.mbox"))
    assert len(got) == 5
    for msgid, body, flags, when in BODIES:
        raw, gflags, date = got[msgid]
        assert raw == message(msgid, body)
        assert gflags == "".join(sorted(set(flags) - {"O"}))
        assert date == time.asctime(time.gmtime(when))

    # -single leaves the children out; exporting again never overwrites.
    out2 = os.path.join(work, "single")
    p = t.tern("export", "mbox", "-single", out2, "mjl", "Archive")
    assert p.returncode == 0, p.stderr
    assert os.listdir(out2) == ["Archive.mbox"]
    p = t.tern("export", "mbox", "-single", out2, "mjl", "Archive")
    assert p.returncode == 1 and "exists, not overwriting" in p.stderr

    p = t.tern("verifydata", t.data_dir)
    assert p.returncode == 0, p.stdout + p.stderr


def test_import_mboxrd_quoting(make_tern, work):
    """A file with ">>From " lines is mboxrd: each quoted line loses exactly one ">"."""
    t = make_tern()
    original = b"Subject: q\nMessage-ID: <q@test>\n\nFrom a\n>From b\n>>From c\nFromage\n"
    quoted = b"Subject: q\nMessage-ID: <q@test>\n\n>From a\n>>From b\n>>>From c\nFromage\n"
    src = os.path.join(work, "rd.mbox")
    with open(src, "wb") as f:
        f.write(b"From someone Thu Jan  1 00:00:10 1970\n" + quoted + b"\n")
        f.write(b"From someone Fri Jan  2 00:00:00 1970 +0100\nSubject: r\nMessage-ID: <r@test>\n\nbody\n\n")
    p = t.tern("import", "mbox", "mjl", "Inbox", src)
    assert p.returncode == 0, p.stderr
    rows = messages(t.data_dir, "Inbox")
    assert [r[3] for r in rows] == [10, 86400 - 3600]
    out = os.path.join(work, "out")
    assert t.tern("export", "mbox", out, "mjl", "Inbox").returncode == 0
    with open(os.path.join(out, "Inbox.mbox"), "rb") as f:
        data = f.read()
    assert quoted in data  # mboxrd again, byte for byte
    got = python_mbox_messages(os.path.join(out, "Inbox.mbox"))
    assert got["q@test"][0] == original


def python_maildir(path):
    """A Maildir with flags in names, Dovecot keyword letters and dates as mtimes."""
    md = mailbox.Maildir(path, create=True)
    with open(os.path.join(path, "dovecot-keywords"), "w") as f:
        f.write("0 $Forwarded\n1 Junk\n2 Custom-Label\n4 other\n")
    items = [
        ("d1@test", "", "new", 1500000000),
        ("d2@test", "S", "cur", 1500000100),
        ("d3@test", "FRS", "cur", 1500000200),
        ("d4@test", "DTa", "cur", 1500000300),
        ("d5@test", "Sbce", "cur", 1500000400),  # d: no keyword, ignored
    ]
    for msgid, flags, sub, when in items:
        m = mailbox.MaildirMessage(message(msgid, b"maildir body " + msgid.encode() + b"\n"))
        m.set_subdir(sub)
        if flags:
            m.set_flags(flags)
        m.set_date(when)
        md.add(m)
    md.close()
    return items


def read_keywords(path):
    kw = {}
    with open(os.path.join(path, "dovecot-keywords")) as f:
        for line in f:
            n, name = line.split(" ", 1)
            kw[chr(ord("a") + int(n))] = name.strip()
    return kw


def test_import_export_maildir_round_trip(make_tern, work):
    t = make_tern()
    src = os.path.join(work, "Maildir")
    items = python_maildir(src)
    p = t.tern("import", "maildir", "mjl", "Imported", src)
    assert p.returncode == 0, p.stderr
    rows = messages(t.data_dir, "Imported")
    assert len(rows) == 5
    # new/ first, then cur/, each in name order; Python's names start with the time.
    by_date = {r[3]: r for r in rows}
    want = {
        1500000000: (0, ""),
        1500000100: (SEEN, ""),
        1500000200: (SEEN | FLAGGED | ANSWERED, ""),
        1500000300: (DRAFT | DELETED | FORWARDED, ""),
        1500000400: (SEEN | JUNK, "custom-label other"),
    }
    for when, (flags, kw) in want.items():
        assert (by_date[when][1], by_date[when][2]) == (flags, kw), when

    out = os.path.join(work, "out")
    p = t.tern("export", "maildir", out, "mjl", "Imported")
    assert p.returncode == 0, p.stderr
    exported = os.path.join(out, "Imported")
    letters = read_keywords(exported)
    md = mailbox.Maildir(exported, factory=None, create=False)
    seen = set()
    for key in md.keys():
        m = md.get_message(key)
        msgid = m["Message-ID"].strip("<>")
        orig = [i for i in items if i[0] == msgid][0]
        assert md.get_bytes(key) == message(msgid, b"maildir body " + msgid.encode() + b"\n")
        assert int(m.get_date()) == orig[3]
        flags = m.get_flags()
        upper = "".join(c for c in flags if c.isupper())
        names = sorted(letters[c] for c in flags if c.islower())
        assert upper == "".join(sorted(set(orig[1]) & set("DFRST")))
        when = orig[3]
        wkw = {"$Forwarded"} if want[when][0] & FORWARDED else set()
        if want[when][0] & JUNK:
            wkw.add("$Junk")
        wkw |= set(want[when][1].split())
        assert set(names) == wkw, msgid
        assert m.get_subdir() == ("cur" if "S" in upper else "new")
        seen.add(msgid)
    assert len(seen) == 5
    # Re-importing the export gives the same flags and keywords.
    p = t.tern("import", "maildir", "mjl", "Again", exported)
    assert p.returncode == 0, p.stderr
    again = {r[3]: (r[1], r[2]) for r in messages(t.data_dir, "Again")}
    assert again == {w: v for w, v in want.items()}
    assert t.tern("verifydata", t.data_dir).returncode == 0


def test_import_export_through_server(make_tern, work):
    t = make_tern().start()
    src = os.path.join(work, "big.mbox")
    n = 1200
    python_mbox(src, [("b%d@test" % i, b"body %d\nFrom line\n" % i, "RO" if i % 2 else "",
                       1600000000 + i) for i in range(n)])
    p = t.tern("import", "mbox", "mjl", "Big", src, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "1000 messages imported" in p.stdout
    assert "imported %d messages into mailbox Big" % n in p.stdout
    t.wait_log(r"import.*account=mjl.*messages=%d" % n)

    out = os.path.join(work, "out")
    p = t.tern("export", "mbox", out, "mjl", "Big", timeout=300)
    assert p.returncode == 0, p.stderr
    assert "exported %d messages" % n in p.stdout
    got = python_mbox_messages(os.path.join(out, "Big.mbox"))
    assert len(got) == n
    assert got["b7@test"][0] == message("b7@test", b"body 7\nFrom line\n")
    assert got["b7@test"][1] == "R"

    outm = os.path.join(work, "outm")
    p = t.tern("export", "maildir", outm, "mjl", timeout=300)
    assert p.returncode == 0, p.stderr
    assert sorted(os.listdir(outm)) == ["Archive", "Big", "Drafts", "Inbox", "Junk", "Sent", "Trash"]
    assert len(os.listdir(os.path.join(outm, "Big", "cur"))) == n // 2

    # Errors from the server reach the command.
    p = t.tern("import", "mbox", "nobody", "Inbox", src)
    assert p.returncode == 1 and "account nobody not in the configuration" in p.stderr
    t.stop()
    rows = messages(t.data_dir, "Big")
    assert [r[0] for r in rows] == list(range(1, n + 1))
    assert [r[3] for r in rows] == [1600000000 + i for i in range(n)]
    p = t.tern("verifydata", t.data_dir)
    assert p.returncode == 0, p.stdout + p.stderr


def test_import_malformed_input(make_tern, work):
    t = make_tern()
    bad = os.path.join(work, "bad.mbox")
    with open(bad, "wb") as f:
        f.write(b"Subject: no From line\n\nbody\n")
    p = t.tern("import", "mbox", "mjl", "Inbox", bad)
    assert p.returncode == 1
    assert '%s:1: first line does not start with "From "' % bad in p.stderr

    notdir = os.path.join(work, "notamaildir")
    os.makedirs(notdir)
    p = t.tern("import", "maildir", "mjl", "Inbox", notdir)
    assert p.returncode == 1 and "not a Maildir" in p.stderr

    md = os.path.join(work, "md")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, sub))
    with open(os.path.join(md, "dovecot-keywords"), "w") as f:
        f.write("0 $Forwarded\n1\n")
    p = t.tern("import", "maildir", "mjl", "Inbox", md)
    assert p.returncode == 1
    assert "%s/dovecot-keywords:2: expected \"NUMBER KEYWORD\"" % md in p.stderr
    with open(os.path.join(md, "dovecot-keywords"), "w") as f:
        f.write("0 $Forwarded\n30 x\n")
    p = t.tern("import", "maildir", "mjl", "Inbox", md)
    assert "dovecot-keywords:2: keyword number 30 above 25" in p.stderr
    os.unlink(os.path.join(md, "dovecot-keywords"))

    # A message over the limit (a sparse file) is refused with its name; earlier ones stay.
    with open(os.path.join(md, "cur", "1.a.host:2,S"), "wb") as f:
        f.write(message("ok@test", b"fine\n"))
    big = os.path.join(md, "cur", "2.b.host:2,S")
    with open(big, "wb") as f:
        f.truncate(65 * 1024 * 1024)
    p = t.tern("import", "maildir", "mjl", "Inbox", md)
    assert p.returncode == 1
    assert "%s: message larger than 67108864 bytes" % big in p.stderr
    assert "(1 messages imported before)" in p.stderr

    huge = os.path.join(work, "huge.mbox")
    with open(huge, "wb") as f:
        f.write(b"From x Thu Jan  1 00:00:00 1970\nSubject: a\n\nsmall\n\n")
        f.write(b"From x Thu Jan  1 00:00:00 1970\nSubject: b\n\n")
        f.write(b"x" * 1000 + b"\n")
        f.seek(65 * 1024 * 1024)
        f.write(b"\n")
    p = t.tern("import", "mbox", "mjl", "Inbox", huge)
    assert p.returncode == 1 and "%s:6: message larger than 67108864 bytes" % huge in p.stderr

    p = t.tern("import", "mbox", "mjl", "Inbox")
    assert p.returncode == 2 and "usage: tern import mbox $account $mailbox $mbox" in p.stderr
    p = t.tern("import", "mbox", "mjl", "bad//name", os.path.join(work, "in.mbox"))
    assert p.returncode == 1
    assert t.tern("verifydata", t.data_dir).returncode == 0


def test_help_and_planned_list():
    from harness import run_tern
    for cmd in ("import", "export", "backup", "reparse", "bumpuidvalidity",
                "recalculatemailboxcounts", "reassignthreads", "reassignuids", "fixuidmeta",
                "fixmsgsize", "ensureparsed"):
        p = run_tern(["help", cmd])
        assert p.returncode == 0, (cmd, p.stderr)
        assert "not implemented" not in p.stdout + p.stderr
