"""IMAP mailbox commands with imaplib and a raw client: SELECT/EXAMINE,
CREATE (with USE), DELETE, RENAME, SUBSCRIBE/UNSUBSCRIBE, LIST (extended,
special-use, STATUS return), LSUB, STATUS, APPEND, CLOSE, UNSELECT, and
mailbox names in modified UTF-7 and UTF-8."""

import imaplib

from test_imap_session import PASSWORD, Raw, greeting, imapd, login, still_serving  # noqa: F401

MSG = (b"From: Sender <sender@peer.example>\r\nTo: mjl@test.example\r\n"
       b"Subject: hello there\r\nDate: Mon, 2 Jan 2023 10:00:00 +0100\r\n"
       b"Message-ID: <m1@peer.example>\r\n\r\nBody text line.\r\n")


def test_select_examine_and_append(imapd):
    m = login(imapd)
    typ, data = m.select("INBOX")
    assert typ == "OK" and data == [b"0"], data
    typ, data = m.append("INBOX", r"(\Seen custom)", imaplib.Time2Internaldate(1700000000), MSG)
    assert typ == "OK", data
    typ, data = m.select("Inbox")
    assert data == [b"1"]
    assert m.untagged_responses.get("UIDVALIDITY")
    assert m.untagged_responses.get("UIDNEXT") == [b"2"]
    flags = m.untagged_responses["FLAGS"][0]
    assert b"\\Seen" in flags and b"custom" in flags
    typ, data = m.select("INBOX", readonly=True)
    assert typ == "OK"
    assert m.untagged_responses.get("READ-ONLY") == [b""]
    assert m.close()[0] == "OK"
    typ, data = m.select("Nonexistent")
    assert typ == "NO"
    # APPEND to a missing mailbox: TRYCREATE.
    r, _ = greeting(imapd.imap_ports["imap"])
    r.login()
    _, t = r.cmd(b"a", b"APPEND Missing {5+}\r\nhello")
    assert t.startswith(b"a NO [TRYCREATE]"), t
    # Synchronizing literal.
    r.send(b"b APPEND INBOX (\\Flagged) {%d}\r\n" % len(MSG))
    assert r.line().startswith(b"+")
    r.send(MSG + b"\r\n")
    _, t = r.until(b"b")
    assert t.startswith(b"b OK"), t
    _, t = r.cmd(b"c", b"APPEND INBOX (\\Bogus) {5+}\r\nhello")
    assert t.startswith(b"c BAD"), t
    lines, t = r.cmd(b"d", b"STATUS INBOX (MESSAGES UIDNEXT UNSEEN DELETED SIZE)")
    assert t.startswith(b"d OK"), t
    assert lines == [b"* STATUS \"INBOX\" (MESSAGES 2 UIDNEXT 3 UNSEEN 1 DELETED 0 SIZE %d)"
                     % (2 * len(MSG))], lines
    lines, t = r.cmd(b"e", b"UNSELECT")
    assert t.startswith(b"e BAD"), t
    _, t = r.cmd(b"f", b"EXAMINE INBOX")
    assert t.startswith(b"f OK [READ-ONLY]"), t
    _, t = r.cmd(b"g", b"UNSELECT")
    assert t.startswith(b"g OK"), t
    r.close()
    m.logout()


def test_create_delete_rename_subscribe_list(imapd):
    m = login(imapd)
    assert m.create("Work")[0] == "OK"
    assert m.create("Work/Projects/Deep")[0] == "OK"
    assert m.create("Work")[0] == "NO"
    typ, data = m.list()
    names = [d.split(b' "/" ')[1].strip(b'"') for d in data]
    for n in [b"INBOX", b"Work", b"Work/Projects", b"Work/Projects/Deep", b"Sent", b"Trash"]:
        assert n in names, (n, data)
    typ, data = m.list("\"\"", "Work/%")
    assert data == [b'(\\HasChildren) "/" "Work/Projects"'], data
    assert m.rename("Work/Projects", "Archive2/Old")[0] == "OK"
    typ, data = m.list("\"\"", "Archive2*")
    assert len(data) == 3, data
    assert m.rename("INBOX", "x")[0] in ("OK", "NO")
    assert m.delete("Work")[0] == "OK"
    assert m.delete("INBOX")[0] == "NO"
    assert m.subscribe("Archive2/Old")[0] == "OK"
    typ, data = m.lsub("\"\"", "Archive2*")
    assert any(b"Archive2/Old" in d for d in data), data
    assert m.unsubscribe("Archive2/Old")[0] == "OK"
    typ, data = m.lsub("\"\"", "Archive2/Old")
    assert data == [None], data
    m.logout()


def test_list_extended_specialuse_status(imapd):
    r, _ = greeting(imapd.imap_ports["imap"])
    r.login()
    _, t = r.cmd(b"a", b"CREATE Junkish (USE (\\Junk))")
    assert t.startswith(b"a OK"), t
    _, t = r.cmd(b"a2", b"CREATE Bad (USE (\\Nonsense))")
    assert t.startswith(b"a2 NO [USEATTR]"), t
    lines, t = r.cmd(b"b", b'LIST (SPECIAL-USE) "" "*"')
    assert t.startswith(b"b OK"), t
    assert any(b"\\Junk" in ln and b"Junkish" in ln for ln in lines), lines
    assert all(b"INBOX" not in ln for ln in lines), lines
    lines, t = r.cmd(b"c", b'LIST "" INBOX RETURN (STATUS (MESSAGES UIDNEXT))')
    assert t.startswith(b"c OK"), t
    assert lines[0].startswith(b"* LIST ("), lines
    assert lines[1] == b'* STATUS "INBOX" (MESSAGES 0 UIDNEXT 1)', lines
    lines, t = r.cmd(b"d", b'LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN)')
    assert t.startswith(b"d OK"), t
    assert any(b"\\Subscribed" in ln for ln in lines), lines
    lines, t = r.cmd(b"e", b'LIST "" ""')
    assert lines == [b'* LIST (\\Noselect) "/" ""'], lines
    r.close()


def test_utf7_and_utf8_names(imapd):
    r, _ = greeting(imapd.imap_ports["imap"])
    r.login()
    _, t = r.cmd(b"a", b"CREATE Entw&APw-rfe")
    assert t.startswith(b"a OK"), t
    lines, _ = r.cmd(b"b", b'LIST "" Entw*')
    assert lines == [b'* LIST (\\HasNoChildren) "/" "Entw&APw-rfe"'], lines
    _, t = r.cmd(b"c", b"CREATE Bad&AB")
    assert t.startswith(b"c NO") or t.startswith(b"c BAD"), t
    _, t = r.cmd(b"d", b"ENABLE UTF8=ACCEPT")
    assert t.startswith(b"d OK"), t
    lines, _ = r.cmd(b"e", b'LIST "" Entw*')
    assert lines == [b'* LIST (\\HasNoChildren) "/" "Entw\xc3\xbcrfe"'], lines
    r.close()
    still_serving(imapd)


def test_names_cannot_escape(imapd):
    r, _ = greeting(imapd.imap_ports["imap"])
    r.login()
    for name in [b'"../x"', b'"a/../../b"', b'"/abs"', b'"a//b"']:
        _, t = r.cmd(b"a", b"CREATE " + name)
        assert t.startswith(b"a NO") or t.startswith(b"a BAD"), (name, t)
    _, t = r.cmd(b"b", b"CREATE {3+}\r\na\x00b")
    assert t.startswith(b"b NO") or t.startswith(b"b BAD"), t
    r.close()
    still_serving(imapd)


def test_idle_sees_append_of_other_session(imapd):
    a = Raw(imapd.imap_ports["imap"])
    a.line()
    a.login()
    _, t = a.cmd(b"s", b"SELECT INBOX")
    assert t.startswith(b"s OK"), t
    a.send(b"i IDLE\r\n")
    assert a.line().startswith(b"+ ")
    m = login(imapd)
    assert m.append("INBOX", None, None, MSG)[0] == "OK"
    assert a.line() == b"* 1 EXISTS"
    a.send(b"DONE\r\n")
    _, t = a.until(b"i")
    assert t.startswith(b"i OK"), t
    m.logout()
    a.close()
