"""IMAP message commands with imaplib and a raw client: FETCH (every item,
BODY[section]<partial>, BINARY, RFC822 items), STORE, COPY, MOVE, EXPUNGE,
UID EXPUNGE, SEARCH with ESEARCH and SEARCHRES, on rev1 and rev2."""

import base64
import email
import imaplib
import re

from test_imap_session import Raw, greeting, imapd, login, still_serving  # noqa: F401

PLAIN = (b"From: Alice <alice@peer.example>\r\nTo: mjl@test.example\r\n"
         b"Subject: first message\r\nDate: Mon, 2 Jan 2023 10:00:00 +0100\r\n"
         b"Message-ID: <m1@peer.example>\r\nX-Tag: red\r\n\r\nHello world, plain body.\r\n")

BIN = base64.b64encode(b"\x00\x01binary\xffdata").decode()
MULTI = ("From: Bob <bob@peer.example>\r\nTo: mjl@test.example\r\n"
         "Subject: =?utf-8?q?caf=C3=A9?= report\r\nDate: Tue, 3 Jan 2023 11:00:00 +0000\r\n"
         "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
         "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\nQuarterly caf=C3=A9 numbers\r\n"
         "--b1\r\nContent-Type: application/octet-stream\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\n" + BIN + "\r\n--b1--\r\n").encode()


def setup_box(t):
    m = login(t)
    assert m.append("INBOX", None, None, PLAIN)[0] == "OK"
    assert m.append("INBOX", r"(\Flagged)", None, MULTI)[0] == "OK"
    assert m.append("INBOX", r"(\Seen)", None, PLAIN.replace(b"first", b"third"))[0] == "OK"
    assert m.select("INBOX")[1] == [b"3"]
    return m


def test_fetch_items(imapd):
    m = setup_box(imapd)
    typ, data = m.fetch("1", "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE)")
    assert typ == "OK"
    line = data[0]
    # IMAP4rev1 (imaplib): the SELECT claimed the three new messages as \Recent (RFC 3501 2.3.2).
    assert b"UID 1" in line and b"FLAGS (\\Recent)" in line, line
    assert b"RFC822.SIZE %d" % len(PLAIN) in line
    assert b'ENVELOPE ("Mon, 2 Jan 2023 10:00:00 +0100" "first message" (("Alice" NIL "alice" "peer.example"))' in line, line
    typ, data = m.fetch("2", "(BODYSTRUCTURE)")
    assert b'("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE"' in data[0], data
    assert b'"MIXED"' in data[0]
    typ, data = m.fetch("2", "(BODY)")
    assert typ == "OK" and b"BODY ((" in data[0]
    # Whole message and partial, peek keeps \Seen unset.
    typ, data = m.fetch("1", "(BODY.PEEK[])")
    assert data[0][1] == PLAIN
    typ, data = m.fetch("1", "(BODY.PEEK[]<6.5>)")
    assert data[0][0].endswith(b"BODY[]<6> {5}") and data[0][1] == PLAIN[6:11], data
    typ, data = m.fetch("1", "(FLAGS)")
    assert b"\\Seen" not in data[0]
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (subject x-tag)])")
    assert data[0][1] == b"Subject: first message\r\nX-Tag: red\r\n\r\n", data
    typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS.NOT (subject x-tag date message-id)])")
    assert data[0][1] == b"From: Alice <alice@peer.example>\r\nTo: mjl@test.example\r\n\r\n", data
    typ, data = m.fetch("1", "(BODY.PEEK[TEXT])")
    assert data[0][1] == b"Hello world, plain body.\r\n"
    typ, data = m.fetch("2", "(BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2])")
    assert data[0][1] == b"Quarterly caf=C3=A9 numbers", data
    assert data[1][1].startswith(b"Content-Type: text/plain"), data
    assert data[2][1] == BIN.encode()
    # BINARY: decoded, with NUL as literal8.
    typ, data = m.fetch("2", "(BINARY.PEEK[1] BINARY.PEEK[2] BINARY.SIZE[2])")
    assert typ == "OK", data
    assert data[0][1] == "Quarterly café numbers".encode(), data
    assert data[1][1] == b"\x00\x01binary\xffdata"
    assert b"BINARY.SIZE[2] 13" in data[2], data
    # Non-peek BODY[] sets \Seen and reports it.
    typ, data = m.fetch("1", "(BODY[TEXT])")
    assert b"FLAGS (\\Seen \\Recent)" in data[0][0] or b"FLAGS (\\Seen \\Recent)" in data[1], data
    # RFC822 items for rev1 clients.
    typ, data = m.fetch("3", "(RFC822.HEADER RFC822.TEXT)")
    assert data[0][0].endswith(b"RFC822.HEADER {%d}" % (PLAIN.index(b"\r\n\r\n") + 4)), data
    typ, data = m.fetch("3", "RFC822")
    assert data[0][1] == PLAIN.replace(b"first", b"third")
    typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
    assert len(data) == 3 and all(b"UID" in d for d in data), data
    m.logout()


def test_fetch_bad_sets(imapd):
    m = setup_box(imapd)
    r = Raw(imapd.imap_ports["imap"])
    r.line()
    r.login()
    r.cmd(b"s", b"SELECT INBOX")
    for bad in [b"FETCH 4 FLAGS", b"FETCH 0 FLAGS", b"FETCH x FLAGS", b"FETCH 1 (BODY[1.2.3.x])",
                b"FETCH 1 NONSENSE", b"FETCH 1:2,", b"FETCH 1 BINARY[HEADER]"]:
        _, t = r.cmd(b"b", bad)
        assert t.startswith(b"b BAD"), (bad, t)
    lines, t = r.cmd(b"c", b"UID FETCH 99 FLAGS")
    assert t.startswith(b"c OK") and lines == [], (lines, t)
    lines, t = r.cmd(b"d", b"FETCH 2 BODY.PEEK[9]")
    assert t.startswith(b"d OK"), t
    r.close()
    m.logout()


def test_store_copy_move_expunge(imapd):
    m = setup_box(imapd)
    typ, data = m.store("1:2", "+FLAGS", r"(\Deleted custom)")
    assert typ == "OK" and len(data) == 2, data
    assert b"\\Deleted" in data[0] and b"custom" in data[0]
    typ, data = m.store("2", "-FLAGS.SILENT", r"(\Deleted)")
    assert typ == "OK" and data == [None], data
    typ, data = m.store("3", "FLAGS", r"(\Answered)")
    assert b"FLAGS (\\Answered \\Recent)" in data[0], data
    assert m.create("Other")[0] == "OK"
    typ, data = m.copy("2:3", "Other")
    assert typ == "OK"
    assert re.search(rb"\[COPYUID \d+ 2:3 1:2\]", data[0]), data
    typ, data = m.copy("1", "Missing")
    assert typ == "NO" and b"TRYCREATE" in data[0], data
    typ, data = m.expunge()
    assert data == [b"1"], data
    typ, data = m.select("INBOX")
    assert data == [b"2"]
    typ, data = m._simple_command("MOVE", "1", "Other")
    assert typ == "OK", data
    assert m.untagged_responses.get("EXPUNGE") == [b"1"], m.untagged_responses
    typ, data = m.status("Other", "(MESSAGES)")
    assert b"MESSAGES 3" in data[0], data
    m.select("Other")
    m.store("1", "+FLAGS", r"(\Deleted)")
    m.store("2", "+FLAGS", r"(\Deleted)")
    typ, data = m.uid("EXPUNGE", "1")
    assert typ == "OK"
    assert m.untagged_responses.get("EXPUNGE") == [b"1"], m.untagged_responses
    typ, data = m.search(None, "ALL")
    assert data == [b"1 2"], data
    m.logout()


def test_search_address_and_subject_keys_use_the_envelope(imapd):
    """FROM/TO/CC/BCC/SUBJECT match the envelope's fields (RFC 9051 6.4.4):
    display names with encoded words decoded, and mailbox@host."""
    m = login(imapd)
    msg = ("From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@peer.example>\r\n"
           "To: Team <team@lists.example>, solo@one.example\r\n"
           "Cc: \"Carol C.\" <carol@cc.example>\r\n"
           "Bcc: hidden@bcc.example\r\n"
           "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus Berlin\r\n"
           "\r\nFrom the body: bodyonly@nowhere.example\r\n").encode()
    assert m.append("INBOX", None, None, msg)[0] == "OK"
    assert m.append("INBOX", None, None, PLAIN)[0] == "OK"
    m.select("INBOX")
    r = Raw(imapd.imap_ports["imap"])
    r.line()
    r.login()
    r.cmd(b"s", b"SELECT INBOX")
    def s(crit):
        lines, t = r.cmd(b"x", b"SEARCH CHARSET UTF-8 " + crit)
        assert t.startswith(b"x OK"), (crit, t)
        return lines[0]
    assert s("FROM {5+}\r\nJ\xc3\xb6rg".encode("latin-1")) == b"* SEARCH 1"
    assert s(b"FROM =?UTF-8?Q?J=C3=B6rg") == b"* SEARCH 1", "as written"
    assert s(b"FROM JOERG@PEER") == b"* SEARCH 1"
    assert s(b"FROM alice") == b"* SEARCH 2"
    assert s(b"FROM bodyonly") == b"* SEARCH", "the body is not the envelope"
    assert s(b"TO solo@one") == b"* SEARCH 1"
    assert s(b"TO team") == b"* SEARCH 1"
    assert s(b"TO mjl@test.example") == b"* SEARCH 2"
    assert s(b"CC \"Carol C.\"") == b"* SEARCH 1"
    assert s(b"BCC hidden") == b"* SEARCH 1"
    assert s(b"CC hidden") == b"* SEARCH"
    assert s("SUBJECT {7+}\r\nGr\xc3\xbc\xc3\x9fe".encode("latin-1")) == b"* SEARCH 1"
    assert s(b"SUBJECT BERLIN") == b"* SEARCH 1"
    assert s(b"OR FROM alice SUBJECT berlin") == b"* SEARCH 1 2"
    m.logout()


def b64_lines(data):
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def test_sections_of_an_encoded_message_inside_an_encoded_message(imapd):
    """message/global may be base64 (RFC 6532 3.5): each nested level's sections are cut
    from the decoded body of the level above, for FETCH and SEARCH."""
    inner = (b"From: c@x.example\r\nSubject: inner\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"i\"\r\n\r\n"
             b"--i\r\nContent-Type: text/plain\r\n\r\ninner text\r\n"
             b"--i\r\nContent-Type: text/plain\r\n\r\ninner second\r\n--i--\r\n")
    middle = (b"From: b@x.example\r\nSubject: middle\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: multipart/mixed; boundary=\"m\"\r\n\r\n"
              b"--m\r\nContent-Type: text/plain\r\n\r\nmiddle text\r\n"
              b"--m\r\nContent-Type: message/global\r\nContent-Transfer-Encoding: base64\r\n\r\n"
              + b64_lines(inner) + b"--m--\r\n")
    outer = (b"From: a@x.example\r\nSubject: outer\r\nMIME-Version: 1.0\r\n"
             b"Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n"
             b"--o\r\nContent-Type: text/plain\r\n\r\nouter text\r\n"
             b"--o\r\nContent-Type: message/global\r\nContent-Transfer-Encoding: base64\r\n\r\n"
             + b64_lines(middle) + b"--o--\r\n")
    m = login(imapd)
    assert m.append("INBOX", None, None, outer)[0] == "OK"
    m.select("INBOX")
    def section(sec):
        typ, data = m.fetch("1", "(BODY.PEEK[%s])" % sec)
        assert typ == "OK", (sec, data)
        return data[0][1]
    assert section("1") == b"outer text"
    assert section("2.HEADER") == middle[:middle.index(b"\r\n\r\n") + 4]
    assert section("2.1") == b"middle text"
    assert section("2.2") == b64_lines(inner)[:-2]
    assert section("2.2.HEADER") == inner[:inner.index(b"\r\n\r\n") + 4]
    assert section("2.2.1") == b"inner text"
    assert section("2.2.2") == b"inner second"
    assert section("2.2.1.MIME") == b"Content-Type: text/plain\r\n\r\n"
    assert section("2.2.TEXT") == inner[inner.index(b"\r\n\r\n") + 4:]
    typ, data = m.fetch("1", "(BINARY.PEEK[2.2])")
    assert data[0][1] == inner
    typ, data = m.search(None, "BODY", '"inner second"')
    assert data == [b"1"], data
    typ, data = m.search(None, "BODY", '"nowhere at all"')
    assert data == [b""], data
    m.logout()


def test_search_keys_and_esearch(imapd):
    m = setup_box(imapd)
    def s(*crit):
        typ, data = m.search(None, *crit)
        assert typ == "OK", (crit, data)
        return data[0]
    assert s("ALL") == b"1 2 3"
    assert s("FLAGGED") == b"2"
    assert s("UNSEEN") == b"1 2"
    assert s("NOT", "SEEN") == b"1 2"
    assert s("OR", "FLAGGED", "SEEN") == b"2 3"
    assert s("SUBJECT", "third") == b"3"
    assert s("FROM", "bob") == b"2"
    assert s("HEADER", "X-Tag", "red") == b"1 3"
    assert s("BODY", "quarterly") == b"2"
    assert s("TEXT", "alice") == b"1 3"
    assert s("LARGER", str(len(PLAIN) + 1)) == b"2"
    assert s("SMALLER", str(len(PLAIN) + 1)) == b"1 3"
    assert s("SENTBEFORE", "3-Jan-2023") == b"1 3"
    assert s("SENTON", "3-Jan-2023") == b"2"
    assert s("SINCE", "1-Jan-2020") == b"1 2 3"
    assert s("BEFORE", "1-Jan-2020") == b""
    assert s("2:*") == b"2 3"
    assert s("UID", "1,3") == b"1 3"
    assert s("(OR UID 1 UID 2)", "UNFLAGGED") == b"1"
    # This session's SELECT claimed all three (RFC 3501 2.3.2); NEW is RECENT UNSEEN.
    assert s("NEW") == b"1 2" and s("OLD") == b"" and s("RECENT") == b"1 2 3"
    assert s("KEYWORD", "nope") == b"" and s("UNKEYWORD", "nope") == b"1 2 3"
    typ, data = m.search("UTF-8", "ALL")
    assert typ == "OK"
    typ, data = m.search("KOI8-R", "ALL")
    assert typ == "NO" and b"BADCHARSET" in data[0], data
    r = Raw(imapd.imap_ports["imap"])
    r.line()
    r.login()
    r.cmd(b"s", b"SELECT INBOX")
    lines, t = r.cmd(b"e1", b"SEARCH RETURN (MIN MAX COUNT ALL) NOT FLAGGED")
    assert lines == [b'* ESEARCH (TAG "e1") MIN 1 MAX 3 ALL 1,3 COUNT 2'], lines
    lines, t = r.cmd(b"e2", b"UID SEARCH RETURN () ALL")
    assert lines == [b'* ESEARCH (TAG "e2") UID ALL 1:3'], lines
    lines, t = r.cmd(b"e3", b"SEARCH RETURN (SAVE) FLAGGED")
    assert lines == [] and t.startswith(b"e3 OK"), (lines, t)
    lines, t = r.cmd(b"e4", b"FETCH $ (UID)")
    assert lines == [b"* 2 FETCH (UID 2)"], lines
    lines, t = r.cmd(b"u1", b"SEARCH CHARSET UTF-8 BODY {5+}\r\ncaf\xc3\xa9")
    assert lines == [b"* SEARCH 2"], lines
    lines, t = r.cmd(b"u2", b"SEARCH CHARSET UTF-8 SUBJECT {5+}\r\ncaf\xc3\xa9")
    assert lines == [b"* SEARCH 2"], lines
    lines, t = r.cmd(b"e5", b"SEARCH RETURN (COUNT) SUBJECT nothingmatches")
    assert lines == [b'* ESEARCH (TAG "e5") COUNT 0'], lines
    _, t = r.cmd(b"e6", b"ENABLE IMAP4rev2")
    lines, t = r.cmd(b"e7", b"SEARCH SEEN")
    assert lines == [b'* ESEARCH (TAG "e7") ALL 3'], lines
    # Deep nesting is refused, and the session goes on.
    _, t = r.cmd(b"e8", b"SEARCH " + b"(" * 10000 + b"ALL" + b")" * 10000)
    assert t.startswith(b"e8 BAD"), t
    _, t = r.cmd(b"e9", b"SEARCH " + b"NOT " * 5000 + b"ALL")
    assert t.startswith(b"e9 BAD"), t
    lines, t = r.cmd(b"e10", b"NOOP")
    assert t.startswith(b"e10 OK")
    r.close()
    m.logout()


def test_imaplib_rev2(imapd):
    """The same commands after ENABLE IMAP4rev2: ESEARCH instead of SEARCH, no RECENT or
    UNSEEN at SELECT but its LIST, UTF-8 mailbox names."""
    m = login(imapd)
    typ, data = m._simple_command("ENABLE", "IMAP4rev2")
    assert typ == "OK" and m.untagged_responses.pop("ENABLED") == [b"IMAP4rev2"]
    assert m.append("INBOX", None, None, PLAIN)[0] == "OK"
    assert m.append("INBOX", r"(\Seen)", None, MULTI)[0] == "OK"
    typ, data = m.select("INBOX")
    assert typ == "OK" and data == [b"2"]
    assert "RECENT" not in m.untagged_responses and "UNSEEN" not in m.untagged_responses
    assert m.untagged_responses.pop("LIST") == [b'() "/" "INBOX"'], m.untagged_responses
    typ, data = m._simple_command("SEARCH", "UNSEEN")
    assert typ == "OK"
    es = m.untagged_responses.pop("ESEARCH")
    assert re.fullmatch(rb'\(TAG "\w+"\) ALL 1', es[0]), es
    typ, data = m._simple_command("UID", "SEARCH", "ALL")
    assert typ == "OK"
    es = m.untagged_responses.pop("ESEARCH")
    assert es[0].endswith(b") UID ALL 1:2"), es
    typ, data = m._simple_command("CREATE", '"Caf\u00e9"'.encode())
    assert typ == "OK", data
    typ, data = m.list('""', '"Caf*"')
    assert data == ['(\\HasNoChildren) "/" "Caf\u00e9"'.encode()], data
    typ, data = m.status("INBOX", "(MESSAGES UNSEEN DELETED SIZE)")
    assert typ == "OK" and b"MESSAGES 2 UNSEEN 1 DELETED 0 SIZE" in data[0], data
    typ, data = m.fetch("1:2", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK" and len([d for d in data if isinstance(d, tuple)]) == 2
    assert m.store("1", "+FLAGS", r"(\Deleted)")[0] == "OK"
    assert m.expunge()[0] == "OK"
    assert m.unselect()[0] == "OK"
    m.logout()
