"""Rate limits on what anyone may trigger (X4): e-mails to one recipient, sign-ups from one client address.

Counted in the database (rate_limit_hits), so that they hold across processes and hosts; on PostgreSQL the
count and the new hit are serialised per key by an advisory lock, so that parallel requests (aliased fields
of one document included) cannot all pass under the limit.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.clock import clock
from parcourspro_gql.models import RateLimitHit

security_log = logging.getLogger("parcourspro_gql.security")

# The e-mails that a stranger can make the platform send to an address: each counts against its recipient.
MAIL_TO_RECIPIENT = "mail.recipient"
SIGN_UP_FROM_ADDRESS = "sign_up.address"


async def take(session: AsyncSession, kind: str, key: str, limit: int, window: timedelta) -> bool:
    """Counts one use of `kind` for `key` in the session's transaction and returns True, unless `limit` uses
    were already counted within `window`: then nothing is counted, a security event is logged, and False."""
    key = key[:254]
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"rate:{kind}:{key}"}
        )
    now = clock.now()
    used = await session.scalar(
        select(func.count()).where(
            RateLimitHit.kind == kind, RateLimitHit.key == key, RateLimitHit.at > now - window
        )
    )
    if (used or 0) >= limit:
        security_log.info(kind, extra={"event": f"{kind}.limited", "key": key})
        return False
    session.add(RateLimitHit(kind=kind, key=key, at=now))
    await session.flush()
    return True
