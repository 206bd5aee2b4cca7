"""Sessions that see each other: untagged EXISTS, EXPUNGE, VANISHED and
FETCH FLAGS at the moments RFC 9051 allows (never an EXPUNGE during FETCH,
STORE or SEARCH by sequence number), IDLE woken by other sessions and by
SMTP deliveries, and CONDSTORE/QRESYNC resynchronisation after a
reconnect."""

import re
import smtplib

from test_imap_session import Raw, greeting, imapd, login, still_serving  # noqa: F401

MSG = (b"From: Sender <sender@peer.example>\r\nTo: mjl@test.example\r\n"
       b"Subject: sync test\r\n\r\nbody\r\n")


def raw_session(t, select=b"INBOX", enable=None):
    r = Raw(t.imap_ports["imap"])
    r.line()
    r.login()
    if enable:
        _, tg = r.cmd(b"en", b"ENABLE " + enable)
        assert tg.startswith(b"en OK"), tg
    if select:
        lines, tg = r.cmd(b"sel", b"SELECT " + select)
        assert tg.startswith(b"sel OK"), tg
        r.select_lines = lines
    return r


def fill(t, n):
    m = login(t)
    for i in range(n):
        assert m.append("INBOX", None, None, MSG.replace(b"sync test", b"msg %d" % i))[0] == "OK"
    return m


def test_noop_reports_changes_of_other_session(imapd):
    m = fill(imapd, 3)
    a = raw_session(imapd)
    assert b"* 3 EXISTS" in a.select_lines
    m.select("INBOX")
    m.append("INBOX", None, None, MSG)
    m.store("2", "+FLAGS", r"(\Flagged)")
    lines, tg = a.cmd(b"n1", b"NOOP")
    assert b"* 4 EXISTS" in lines, lines
    # a (IMAP4rev1) selected first: the messages are \Recent to it (RFC 3501 2.3.2).
    assert any(re.match(rb"\* 2 FETCH \(UID 2 FLAGS \(\\Flagged \\Recent\)\)", ln)
               for ln in lines), lines
    m.store("1", "+FLAGS", r"(\Deleted)")
    m.expunge()
    # FETCH by sequence number: no EXPUNGE now; the expunged message is skipped.
    lines, tg = a.cmd(b"f1", b"FETCH 1:4 (UID)")
    assert not any(b"EXPUNGE" in ln for ln in lines), lines
    assert tg.startswith(b"f1 OK"), tg
    assert b"* 1 FETCH (UID 1)" not in lines, lines
    lines, tg = a.cmd(b"s1", b"SEARCH ALL")
    assert not any(b"EXPUNGE" in ln for ln in lines), lines
    lines, tg = a.cmd(b"st", b"STORE 2 +FLAGS.SILENT (\\Seen)")
    assert not any(b"EXPUNGE" in ln for ln in lines), lines
    # UID FETCH may carry it; NOOP does.
    lines, tg = a.cmd(b"n2", b"NOOP")
    assert b"* 1 EXPUNGE" in lines, lines
    lines, tg = a.cmd(b"f2", b"FETCH 1:* (UID)")
    assert [ln for ln in lines if b"FETCH" in ln] == [b"* 1 FETCH (UID 2)", b"* 2 FETCH (UID 3)",
                                                     b"* 3 FETCH (UID 4)"], lines
    a.close()
    m.logout()


def test_idle_woken_by_smtp_delivery_and_expunge(imapd):
    fill(imapd, 1).logout()
    a = raw_session(imapd, enable=b"QRESYNC")
    a.send(b"i IDLE\r\n")
    assert a.line().startswith(b"+ ")
    with smtplib.SMTP("127.0.0.1", imapd.imap_ports["smtp"], timeout=20) as s:
        s.sendmail("sender@peer.example", ["mjl@test.example"], MSG)
    assert a.line() == b"* 2 EXISTS"
    assert a.line() == b"* 2 RECENT"  # IMAP4rev1: RECENT goes with EXISTS (RFC 3501 7.3.2)
    m = login(imapd)
    m.select("INBOX")
    m.store("1", "+FLAGS", r"(\Deleted)")
    line = a.line()
    assert re.match(rb"\* 1 FETCH \(UID 1 FLAGS \(\\Deleted \\Recent\) MODSEQ \(\d+\)\)",
                    line), line
    m.expunge()
    assert a.line() == b"* VANISHED 1"
    a.send(b"DONE\r\n")
    _, tg = a.until(b"i")
    assert tg.startswith(b"i OK"), tg
    a.close()
    m.logout()


def test_condstore(imapd):
    fill(imapd, 3).logout()
    a = raw_session(imapd, select=None)
    lines, tg = a.cmd(b"s", b"SELECT INBOX (CONDSTORE)")
    hms = [ln for ln in lines if b"HIGHESTMODSEQ" in ln]
    assert hms, lines
    high = int(re.search(rb"HIGHESTMODSEQ (\d+)", hms[0]).group(1))
    lines, tg = a.cmd(b"st", b"STORE 2 +FLAGS (\\Flagged)")
    m2 = int(re.search(rb"MODSEQ \((\d+)\)", lines[0]).group(1))
    assert m2 > high, lines
    lines, tg = a.cmd(b"f", b"FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % high)
    assert lines == [b"* 2 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ (%d))" % m2], lines
    lines, tg = a.cmd(b"u", b"STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)" % high)
    assert tg.startswith(b"u OK [MODIFIED 2]"), (lines, tg)
    lines, tg = a.cmd(b"se", b"SEARCH MODSEQ %d" % (m2 + 1))
    assert lines and lines[0].startswith(b"* SEARCH 1 3 (MODSEQ "), lines
    lines, tg = a.cmd(b"x", b"FETCH 1 (MODSEQ)")
    assert re.match(rb"\* 1 FETCH \(MODSEQ \(\d+\)\)", lines[0]), lines
    lines, tg = a.cmd(b"st2", b"STATUS INBOX (HIGHESTMODSEQ)")
    assert re.match(rb'\* STATUS "INBOX" \(HIGHESTMODSEQ \d+\)', lines[0]), lines
    a.close()
    # An account with CONDSTORE disabled does not announce or accept it.
    r = Raw(imapd.imap_ports["imap"])
    r.line()
    r.login(b"nocond@test.example")
    lines, tg = r.cmd(b"c", b"CAPABILITY")
    assert b"CONDSTORE" not in lines[0] and b"QRESYNC" not in lines[0], lines
    _, tg = r.cmd(b"s", b"SELECT INBOX (CONDSTORE)")
    assert tg.startswith(b"s BAD"), tg
    r.close()


def test_qresync_after_reconnect(imapd):
    m = fill(imapd, 5)
    a = raw_session(imapd, select=None, enable=b"QRESYNC")
    lines, tg = a.cmd(b"s", b"SELECT INBOX")
    uidvalidity = int(re.search(rb"UIDVALIDITY (\d+)", b"\n".join(lines)).group(1))
    high = int(re.search(rb"HIGHESTMODSEQ (\d+)", b"\n".join(lines)).group(1))
    a.close()
    # While the client is away: two expunged, one flagged, one added.
    m.select("INBOX")
    m.store("2,4", "+FLAGS", r"(\Deleted)")
    m.expunge()
    m.store("3", "+FLAGS", r"(\Answered)")  # UID 5 now seq 3
    m.append("INBOX", None, None, MSG)
    a = raw_session(imapd, select=None, enable=b"QRESYNC")
    lines, tg = a.cmd(b"q", b"SELECT INBOX (QRESYNC (%d %d 1:5))" % (uidvalidity, high))
    assert tg.startswith(b"q OK"), (lines, tg)
    assert b"* VANISHED (EARLIER) 2,4" in lines, lines
    assert any(re.match(rb"\* 3 FETCH \(UID 5 FLAGS \(\\Answered\) MODSEQ \(\d+\)\)", ln)
               for ln in lines), lines
    assert lines.index(b"* VANISHED (EARLIER) 2,4") < [i for i, ln in enumerate(lines)
                                                       if b"FETCH" in ln][0]
    # UID FETCH with VANISHED.
    lines, tg = a.cmd(b"v", b"UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % high)
    assert lines[0] == b"* VANISHED (EARLIER) 2,4", lines
    assert len([ln for ln in lines if b"FETCH" in ln]) == 2, lines  # UID 5 and the new UID 6
    # Wrong UIDVALIDITY: a plain select.
    lines, tg = a.cmd(b"q2", b"SELECT INBOX (QRESYNC (%d %d))" % (uidvalidity + 1, high))
    assert tg.startswith(b"q2 OK") and not any(b"VANISHED" in ln for ln in lines), lines
    _, tg = a.cmd(b"b", b"UID FETCH 1:* FLAGS (VANISHED)")
    assert tg.startswith(b"b BAD"), tg
    a.close()
    m.logout()
