"""Helpers for the message store command tests: reading an account's index
directly (read-only, with the account closed) and mbox/Maildir round trips."""

import os
import re
import sqlite3

FLAG_BITS = {"seen": 1, "answered": 2, "flagged": 4, "deleted": 8, "draft": 16,
             "$forwarded": 32, "$junk": 64, "$notjunk": 128, "$phishing": 256, "$mdnsent": 512}


def index(datadir, account="mjl"):
    path = os.path.join(datadir, "accounts", account, "index.db")
    return sqlite3.connect("file:%s?mode=ro" % path, uri=True)


def messages(datadir, mailbox, account="mjl"):
    """(uid, flags, keywords, received, size) of a mailbox's messages in UID order."""
    db = index(datadir, account)
    try:
        return db.execute(
            "SELECT m.uid, m.flags, m.keywords, m.received, m.size FROM messages m "
            "JOIN mailboxes mb ON mb.id = m.mailbox_id WHERE mb.name = ? ORDER BY m.uid",
            (mailbox,)).fetchall()
    finally:
        db.close()


def mailbox_row(datadir, mailbox, account="mjl"):
    db = index(datadir, account)
    db.row_factory = sqlite3.Row
    try:
        return dict(db.execute("SELECT * FROM mailboxes WHERE name = ?", (mailbox,)).fetchone())
    finally:
        db.close()


FLAG_HEADER = re.compile(rb"^(Status|X-Status|X-Keywords|Content-Length):", re.I)


def strip_flag_headers(msg):
    """The message without the flag-carrying headers mbox writers add."""
    head, sep, body = msg.partition(b"\n\n")
    lines = [l for l in head.split(b"\n") if not FLAG_HEADER.match(l)]
    return b"\n".join(lines) + sep + body


def mboxrd_unquote(msg):
    """Python's mailbox module leaves ">From " quoting in place: undo mboxrd's."""
    return re.sub(rb"(?m)^>(>*From )", rb"\1", msg)
