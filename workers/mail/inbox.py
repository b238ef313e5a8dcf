"""The local inbox: a Maildir where mail is kept when no SMTP server is configured.

The worker adds each composed message (`keep`); `taproot mail` reads them back (`entries`,
`text_of`). A Maildir is a directory of one file per message, written atomically (tmp/
then new/), so a reader never sees half a message and any mail client can open it too.
"""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Entry:
    key: str
    date: str
    to: str
    subject: str
    message: EmailMessage


def keep(directory: Path, message: EmailMessage) -> str:
    """Add `message` to the Maildir at `directory` (created if missing); its key."""
    box = mailbox.Maildir(directory, create=True)
    try:
        return box.add(message)
    finally:
        box.close()


def entries(directory: Path) -> list[Entry]:
    """Every message of the Maildir, oldest first (none when it does not exist yet)."""
    if not (directory / "new").is_dir() and not (directory / "cur").is_dir():
        return []
    box = mailbox.Maildir(directory, create=False)
    try:
        found: list[tuple[str, EmailMessage]] = []
        for key in box.iterkeys():
            with box.get_file(key) as handle:
                found.append((key, _parse(handle)))
    finally:
        box.close()
    found.sort(key=lambda item: (_timestamp(item[1]), _mail_id(item[1]), item[0]))
    return [
        Entry(
            key, str(msg.get("Date", "")), str(msg.get("To", "")), str(msg.get("Subject", "")), msg
        )
        for key, msg in found
    ]


def text_of(message: EmailMessage) -> str:
    """The plain-text part (what a person reads in a terminal), else the whole body."""
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        part = message
    content = part.get_content() if isinstance(part, EmailMessage) else str(part)
    return str(content)


def _parse(handle: Any) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parse(handle)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _mail_id(message: EmailMessage) -> int:
    # The outbox id orders messages kept within the same second of the Date header.
    value = str(message.get("X-Taproot-Mail-Id", ""))
    return int(value) if value.isdigit() else 0


def _timestamp(message: EmailMessage) -> float:
    try:
        return parsedate_to_datetime(str(message["Date"])).timestamp()
    except (TypeError, ValueError):
        return 0.0
