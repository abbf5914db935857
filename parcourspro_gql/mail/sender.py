"""Delivery backends: SMTP (aiosmtplib) for real mail, .eml files for development."""

from __future__ import annotations

import asyncio
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from parcourspro_gql.models import OutboxAttachment, OutboxMessage


class Sender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


def build_message(row: OutboxMessage, attachments: list[OutboxAttachment], mail_from: str) -> EmailMessage:
    """The MIME message of an outbox row. Its Message-ID is the same at every attempt (see message_id), so
    a relay or a mail client recognises a resent copy."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = message_id(row, mail_from)
    message["X-ParcoursPro-Outbox-Id"] = str(row.id)
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        if maintype == "text":
            # Text parts (a calendar invitation) say their charset, or readers take them for ASCII.
            message.add_attachment(
                attachment.content.decode("utf-8"),
                subtype=subtype,
                charset="utf-8",
                filename=attachment.file_name,
            )
        else:
            message.add_attachment(
                attachment.content, maintype=maintype, subtype=subtype, filename=attachment.file_name
            )
    return message


def message_id(row: OutboxMessage, mail_from: str) -> str:
    """`<outbox-ID.CREATED@DOMAIN>`: a function of the row alone (its id, its creation time, the sender's
    domain), so every delivery attempt of one row carries the same Message-ID and two rows never share one
    (the creation time tells apart rows of two databases that reuse an id)."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "parcourspro.local"
    return f"<outbox-{row.id}.{row.created_at:%Y%m%d%H%M%S%f}@{domain}>"


class SmtpSender:
    """`smtp://[user:password@]host:port[?starttls=1]` or `smtps://...` (implicit TLS)."""

    def __init__(self, url: str, timeout: float = 30) -> None:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        self.hostname = parts.hostname or "127.0.0.1"
        self.use_tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.use_tls else 25)
        self.start_tls = query.get("starttls", ["0"])[0] in {"1", "true", "yes"}
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls if not self.use_tls else None,
            tls_context=ssl.create_default_context() if (self.use_tls or self.start_tls) else None,
            timeout=self.timeout,
        )


class FileSender:
    """Writes each email as `<outbox id>.eml` into a folder (the development default, `file://var/mail`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        outbox_id = message["X-ParcoursPro-Outbox-Id"] or make_msgid()
        path = self.folder / f"{outbox_id}.eml"

        def _write() -> None:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(bytes(message))
            tmp.replace(path)

        await asyncio.to_thread(_write)


def sender_from_url(url: str) -> Sender:
    """The backend named by PARCOURSPRO_MAIL_URL."""
    parts = urlsplit(url)
    if parts.scheme in {"smtp", "smtps"}:
        return SmtpSender(url)
    if parts.scheme == "file":
        # file://var/mail is relative (netloc "var"), file:///srv/mail absolute.
        return FileSender(Path(parts.netloc + parts.path) if parts.netloc else Path(parts.path))
    raise ValueError(f"unsupported PARCOURSPRO_MAIL_URL scheme: {parts.scheme!r}")
