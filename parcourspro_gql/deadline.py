"""A time limit that returns on time, whatever the awaited work does when it is cancelled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


def _consume(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.debug("abandoned work ended with an error", extra={"error": repr(task.exception())})


async def within(work: Coroutine[Any, Any, T], seconds: float) -> T:
    """The result of `work`, or TimeoutError after `seconds`. Unlike `asyncio.timeout`, this does not wait
    for the cancelled work to finish its cleanup: aiosmtplib sends QUIT to a stalled relay when cancelled,
    asyncpg may wait on a frozen server; either would stretch the limit by its own timeouts. The abandoned
    work is cancelled and finishes on its own."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        task.add_done_callback(_consume)
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_consume)
        raise TimeoutError(f"not done within {seconds:g} s")
    return task.result()
