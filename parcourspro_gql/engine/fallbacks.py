"""What the engine does when a shortcut fails in a way it should not.

A shortcut may always hand a field back to graphql-core's normal way: that way gives the usual answer or the
usual error. Expected hand-backs (a value that does not fit a plan, a serialisation refused with a
GraphQLError) are silent. Anything else (an AttributeError after a rename, a TypeError in a plan) is a bug of
the shortcut: the client still gets the normal way's answer, the log says it once per place (not once per
row of every page), and under the tests it raises, so that the bug fails the test that met it.
"""

from __future__ import annotations

import logging

log = logging.getLogger("parcourspro_gql.engine")

# The places already logged (bounded: a place is a code site and a field, a few hundred at most).
_LOGGED: set[str] = set()
_MAX_LOGGED = 1_024


class ShortcutFailed(RuntimeError):
    """Raised instead of falling back when `raise_in_tests` is on."""


class _Switch:
    """Whether an unexpected failure raises (tests/conftest.py turns it on) instead of falling back, and the
    failures met so far in that mode: graphql-core turns an exception into an error of the answer, which a
    test might not look at, so the suite also fails every test after which this list is not empty."""

    raise_in_tests = False
    failures: list[str] = []  # noqa: RUF012 (one switch per process)


switch = _Switch()


def unexpected(place: str, error: BaseException) -> None:
    """An unexpected failure of a shortcut at `place` (a site and the field or type it was serving): logged
    once with its trace, raised as ShortcutFailed under the tests; the caller then takes the normal way."""
    if switch.raise_in_tests:
        message = f"engine shortcut failed at {place}: {error!r}"
        switch.failures.append(message)
        raise ShortcutFailed(message) from error
    if place in _LOGGED:
        return
    if len(_LOGGED) < _MAX_LOGGED:
        _LOGGED.add(place)
    log.error(
        "engine shortcut failed, the normal way answers",
        exc_info=(type(error), error, error.__traceback__),
        extra={"place": place},
    )
