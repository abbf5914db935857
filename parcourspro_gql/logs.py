"""JSON logs, each line carrying the id of the request that caused it."""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",
    "request_id",
}
_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    # Stamped when the record is made: a handler may format it after the request's context is gone.
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    return record


logging.setLogRecordFactory(_record_with_request_id)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras, and the trace."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TracebackLimit(logging.Filter):
    """At most `per_minute` traces a minute: a fault that fails every request (a bug on a hot path, a
    dependency gone) would otherwise write a full trace per request, megabytes a minute. Past the limit a
    record keeps its line (message, request id, extras) and loses its trace, saying so (`trace_suppressed`)."""

    def __init__(self, per_minute: int) -> None:
        super().__init__()
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._window_start = float("-inf")
        self._count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info:
            return True
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= 60:
                self._window_start, self._count = now, 0
            self._count += 1
            allowed = self._count <= self.per_minute
        if not allowed:
            record.exc_info = None
            record.exc_text = None
            record.trace_suppressed = True
        return True


def configure_logging(level: str = "INFO", tracebacks_per_minute: int = 10) -> None:
    """Send every logger's records as JSON lines to stderr, with at most `tracebacks_per_minute` traces."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(TracebackLimit(tracebacks_per_minute))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # Our own access log replaces uvicorn's, with the request id and the duration.
    logging.getLogger("uvicorn.access").disabled = True
