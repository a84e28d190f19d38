"""With no EMAIL_HOST every email is kept as a file (var/mail/*.eml) that the curation pages list and show.

Django's file backend appends a whole connection's messages to one log file; one .eml per message is
what a mail client opens and what a page can list. Written to a temporary name, then renamed, so a
reader never sees half a message.
"""

import email.parser
import email.policy
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

FILE_NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}-[0-9a-f]{32}\.eml$")


def outbox_dir() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        directory = outbox_dir()
        directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{datetime.now(UTC):%Y%m%dT%H%M%S.%f}-{uuid.uuid4().hex}.eml"
            partial = directory / f".{name}.part"
            partial.write_bytes(message.message().as_bytes(linesep="\r\n"))
            os.replace(partial, directory / name)
        return len(email_messages)


@dataclass
class KeptEmail:
    name: str
    subject: str
    to: str
    date: str
    text: str = ""
    html: str = ""
    headers: list[tuple[str, str]] | None = None


def _parse(path: Path, *, headers_only: bool):
    with path.open("rb") as handle:
        parser = email.parser.BytesHeaderParser if headers_only else email.parser.BytesParser
        return parser(policy=email.policy.default).parse(handle)


def kept_emails(*, limit: int = 200) -> list[KeptEmail]:
    """The newest kept emails first (headers only)."""
    directory = outbox_dir()
    if not directory.is_dir():
        return []
    names = sorted((n for n in os.listdir(directory) if FILE_NAME.match(n)), reverse=True)[:limit]
    emails = []
    for name in names:
        message = _parse(directory / name, headers_only=True)
        emails.append(
            KeptEmail(name, str(message["Subject"] or ""), str(message["To"] or ""), str(message["Date"] or ""))
        )
    return emails


def kept_email(name: str) -> KeptEmail | None:
    """One kept email with its parts; None for a name that is not one (never a path outside the outbox)."""
    if not FILE_NAME.match(name) or not (outbox_dir() / name).is_file():
        return None
    message = _parse(outbox_dir() / name, headers_only=False)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return KeptEmail(
        name,
        str(message["Subject"] or ""),
        str(message["To"] or ""),
        str(message["Date"] or ""),
        text=text.get_content() if text else "",
        html=html.get_content() if html else "",
        headers=[(key, str(value)) for key, value in message.items()],
    )
