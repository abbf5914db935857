"""Writes emails into the outbox, inside the caller's transaction: no change without its email."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.clock import clock
from parcourspro_gql.models import OutboxAttachment, OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Attachment:
    file_name: str
    content_type: str
    content: bytes


PARIS = ZoneInfo("Europe/Paris")


def french_datetime(value: datetime) -> str:
    """12/01/2027 à 09h30, in Paris time: how every email states a moment."""
    return value.astimezone(PARIS).strftime("%d/%m/%Y à %Hh%M")


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("parcourspro_gql", "mail/templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["when"] = french_datetime
    return environment


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str | None


def render(template: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Renders `<template>.subject.txt`, `<template>.txt` and, when it exists, `<template>.html`."""
    env = _environment()
    subject = " ".join(env.get_template(f"{template}.subject.txt").render(context).split())
    text = env.get_template(f"{template}.txt").render(context)
    html_name = f"{template}.html"
    html = env.get_template(html_name).render(context) if html_name in env.list_templates() else None
    return RenderedEmail(subject=subject, text=text, html=html)


async def enqueue(
    session: AsyncSession,
    *,
    to: str,
    template: str,
    context: Mapping[str, Any],
    dedup_key: str | None = None,
    attachments: Sequence[Attachment] = (),
    rendered: RenderedEmail | None = None,
) -> OutboxMessage:
    """Adds one email to the outbox in `session`'s transaction; the dispatcher sends it after commit.

    `rendered` is the email already rendered from `template` and `context` (the inbox reuses its subject)."""
    rendered = rendered or render(template, context)
    now = clock.now()
    message = OutboxMessage(
        created_at=now,
        template=template,
        to_address=to,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        dedup_key=dedup_key,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(message)
    await session.flush()
    for attachment in attachments:
        session.add(
            OutboxAttachment(
                message_id=message.id,
                file_name=attachment.file_name,
                content_type=attachment.content_type,
                content=attachment.content,
            )
        )
    return message
