"""A request id in every log record of a request, and logs as JSON lines when asked.

``RequestIdMiddleware`` (first in MIDDLEWARE) takes the id the load balancer sends in
``X-Request-ID`` when it is a short token (letters, digits, ``.``, ``_``, ``-``; at most 64),
or makes one; it answers with the same header, so a user's error report, the balancer's log and
the portal's log name the same request. The id lives in a context variable for the request's
duration; ``RequestIdFilter``, on the console handler (settings.LOGGING), copies it into every
record, whichever logger wrote it (Django's, the portal's, a library's). Records written outside
a request carry ``-``.

``LOG_FORMAT=json`` (settings) writes each record as one JSON object per line
(``JsonFormatter``), for a log collector; the default is plain text with the id in brackets.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
import re
import uuid

from django.core.signals import request_finished

HEADER = "X-Request-ID"
NO_REQUEST = "-"
# Short token characters only: nothing that could forge a log line or a header.
VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

_current = contextvars.ContextVar("request_id", default=NO_REQUEST)


def current_request_id() -> str:
    """The id of the request being served by this thread or task, or "-"."""
    return _current.get()


def request_id_from(value: str | None) -> str:
    """The balancer's id when it is a valid token, else a new one (32 hex digits)."""
    if value and VALID_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        # Not reset when this returns: Django logs a 4xx/5xx response (django.request) after
        # the middleware; request_finished (end_of_request below) forgets the id.
        _current.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def end_of_request(**kwargs) -> None:
    """request_finished's receiver: the records written between two requests carry no id."""
    _current.set(NO_REQUEST)


request_finished.connect(end_of_request, dispatch_uid="ntm_portal.request_id.end_of_request")


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, and
    the status code and traceback when the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id()),
        }
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int):
            entry["status_code"] = status_code
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)
