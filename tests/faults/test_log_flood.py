"""Logs under a fault that fails every request (issue 20): at most so many traces a minute, every line kept."""

from __future__ import annotations

import io
import json
import logging

from parcourspro_gql.logs import JsonFormatter, TracebackLimit


def test_traces_are_limited_per_minute_and_every_line_is_kept():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(TracebackLimit(3))
    logger = logging.getLogger("parcourspro_gql.tests.flood")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for n in range(5):
            try:
                raise RuntimeError(f"failure {n}")
            except RuntimeError:
                logger.exception("request failed")
        logger.warning("a line without trace")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["request failed"] * 5 + ["a line without trace"]
    assert ["trace" in line for line in lines] == [True, True, True, False, False, False]
    assert [line.get("trace_suppressed") for line in lines] == [None, None, None, True, True, None]
    assert "RuntimeError: failure 2" in lines[2]["trace"]
