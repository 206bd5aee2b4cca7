"""Bad input to the IMAP server: each gets the right answer (a tagged BAD or
NO with a response code where one fits, or a BYE where the connection cannot
go on) and the server keeps serving."""

import socket

from test_imap_session import Raw, greeting, imapd, still_serving  # noqa: F401


def session(t):
    r, _ = greeting(t.imap_ports["imap"])
    r.login()
    return r


def test_literals(imapd):
    r = session(imapd)
    # A synchronizing literal waits for "+"; the client may send nothing more.
    r.send(b"a1 CREATE {4}\r\n")
    assert r.line().startswith(b"+ ")
    r.send(b"Lit1\r\n")
    _, t = r.until(b"a1")
    assert t.startswith(b"a1 OK"), t
    # Oversized synchronizing literal: refused before the data, no "+".
    r.send(b"a2 CREATE {2000000}\r\n")
    line = r.line()
    assert line.startswith(b"a2 BAD [TOOBIG]") or line.startswith(b"a2 NO [TOOBIG]"), line
    # Oversized APPEND: NO [TOOBIG] (APPENDLIMIT), nothing read.
    r.send(b"a3 APPEND INBOX {2000000000}\r\n")
    line = r.line()
    assert line.startswith(b"a3 NO [TOOBIG]"), line
    # Oversized non-synchronizing literal: its bytes are read and dropped, then BAD.
    big = b"x" * (1100 * 1024)
    r.send(b"a4 CREATE {%d+}\r\n" % len(big) + big + b"\r\n")
    _, t = r.until(b"a4")
    assert t.startswith(b"a4 BAD [TOOBIG]"), t
    # A literal announcement that is not a number.
    _, t = r.cmd(b"a5", b"CREATE {12x}")
    assert t.startswith(b"a5 BAD"), t
    # Before login: literals are bounded small.
    p, _ = greeting(imapd.imap_ports["imap"])
    p.send(b"b1 LOGIN {100000}\r\n")
    line = p.line()
    assert line.startswith(b"b1 BAD [TOOBIG]"), line
    _, t = p.cmd(b"b2", b"NOOP")
    assert t.startswith(b"b2 OK"), t
    p.close()
    # Unterminated literal: the connection ends at the client's close, server stays up.
    u = session(imapd)
    u.send(b"c1 APPEND INBOX {100+}\r\nonly a few bytes")
    u.sock.shutdown(socket.SHUT_WR)
    assert u.closed()
    u.close()
    _, t = r.cmd(b"a6", b"NOOP")
    assert t.startswith(b"a6 OK"), t
    r.close()
    still_serving(imapd)


def test_unknown_and_malformed_commands(imapd):
    r = session(imapd)
    for cmd in [b"FROBNICATE", b"SELECT", b"SELECT INBOX extra", b"FETCH", b"LOGIN a b",
                b"STORE 1 +FLAGS (\\Seen)", b"CAPABILITY x", b"\x00\x01\x02", b"UID FOO 1",
                b"LIST", b"STATUS INBOX (NOSUCH)", b"APPEND", b"ENABLE"]:
        _, t = r.cmd(b"x", cmd)
        assert t.startswith(b"x BAD"), (cmd, t)
    _, t = r.cmd(b"x", b"")
    r.cmd(b"s", b"SELECT INBOX")
    for cmd in [b"FETCH 1 FLAGS", b"FETCH 0:1 FLAGS", b"FETCH 1:2:3 FLAGS", b"FETCH -1 FLAGS",
                b"FETCH 4294967296 FLAGS", b"FETCH 1,,2 FLAGS", b"STORE * +FLAGS (x)",
                b"COPY 1: Trash", b"FETCH $ FLAGS extra"]:
        _, t = r.cmd(b"y", cmd)
        assert t.startswith(b"y BAD"), (cmd, t)
    _, t = r.cmd(b"z", b"NOOP")
    assert t.startswith(b"z OK"), t
    r.close()
    still_serving(imapd)


def test_nesting_and_long_lines(imapd):
    r = session(imapd)
    r.cmd(b"s", b"SELECT INBOX")
    _, t = r.cmd(b"n1", b"SEARCH " + b"(" * 10000 + b"ALL" + b")" * 10000)
    assert t.startswith(b"n1 BAD"), t
    _, t = r.cmd(b"n2", b"FETCH 1 " + b"(" * 10000 + b"FLAGS" + b")" * 10000)
    assert t.startswith(b"n2 BAD"), t
    _, t = r.cmd(b"n3", b"ID " + b"(" * 10000)
    assert t.startswith(b"n3 BAD"), t
    line = b"n4 NOOP " + b"a" * (200 * 1024)
    _, t = r.cmd(b"n4", line[3:])
    assert t.startswith(b"n4 BAD [TOOBIG]"), t
    _, t = r.cmd(b"n5", b"NOOP")
    assert t.startswith(b"n5 OK"), t
    r.close()
    still_serving(imapd)


def test_mailbox_names(imapd):
    r = session(imapd)
    for name in [b"Bad&AB", b"&Jjo", b"A&-&", b"x&AGE-", b'"../up"', b'"a/../b"', b'".."',
                 b'"/root"', b'"a//b"', b'{3+}\r\na\x00b', b'"\\x01ctl"']:
        _, t = r.cmd(b"m", b"CREATE " + name)
        assert t.startswith(b"m NO") or t.startswith(b"m BAD"), (name, t)
    _, t = r.cmd(b"m", b"SELECT ../../etc")
    assert t.startswith(b"m NO") or t.startswith(b"m BAD"), t
    lines, t = r.cmd(b"l", b'LIST "" "*"')
    assert not any(b".." in ln or b"etc" in ln for ln in lines), lines
    r.close()
    still_serving(imapd)


def test_too_many_bad_commands_and_other_protocols(imapd):
    r, _ = greeting(imapd.imap_ports["imap"])
    r.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r.line().startswith(b"* BYE")
    assert r.closed()
    r = session(imapd)
    for i in range(25):
        r.send(b"t%d NOSUCHCOMMAND\r\n" % i)
    bye = False
    try:
        while True:
            line = r.line()
            if line.startswith(b"* BYE"):
                bye = True
                break
    except EOFError:
        pass
    assert bye
    r.close()
    still_serving(imapd)
