"""Structured JSON logs: one object per line, carrying the request id, never personal data.

Log records carry ids, route templates (``/users/{user_id}``, never the filled-in path or query
string), status codes, timings and roles; never usernames, names or form values.
"""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import sys
from datetime import UTC, datetime
from typing import Any

from localjustice.web.middleware.request_id import request_id_var

#: Extra attributes copied from a log record into the JSON line when present. ``checkpoint`` is a
#: signed audit checkpoint (seq, head hash, time, signature: no personal data), so the log stream
#: holds a copy the database cannot rewrite (``localjustice.audit.anchor``).
FIELDS = ("method", "route", "status", "duration_ms", "role", "event", "checkpoint")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__
        return json.dumps(line, separators=(",", ":"))


_listener: logging.handlers.QueueListener | None = None


def configure_logging(level: int = logging.INFO) -> None:
    """Send the app's and the server's logs to stderr as JSON lines, written off the event loop."""
    global _listener
    if _listener is not None:
        _listener.stop()
    stream = logging.StreamHandler(sys.stderr)
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    _listener = logging.handlers.QueueListener(records, stream)
    handler = logging.handlers.QueueHandler(records)  # formats here, in the request's context
    handler.setFormatter(JsonFormatter())
    _listener.start()
    atexit.register(_listener.stop)
    for name in ("localjustice", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
