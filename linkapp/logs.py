"""Logging: a request id on every line of a request (its calls to Discord and GitHub included),
JSON lines when `LOG_FORMAT=json`, no query strings in request lines, and tracebacks only where they help.

The id comes from the proxy's X-Request-ID header when it looks like one, else a new one;
it is echoed in the response so an operator can find a person's request in the logs.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse

from linkapp.cache import CACHE_UNAVAILABLE
from linkapp.database import driver_error_name, is_database_unavailable

log = logging.getLogger(__name__)
request_id: ContextVar[str] = ContextVar("request_id", default="-")
_VALID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # not "-", which marks a line outside any request


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _VALID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id.set(request.request_id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id.get()
            return response
        finally:
            request_id.reset(token)


def streamed_under(current_id: str, content: Iterable[str]) -> Iterator[str]:
    """A streamed body (the admin's CSV export) is read once RequestIdMiddleware has returned: what is logged
    while it is read, a failure half-way included, still carries the request's id."""
    chunks = iter(content)
    while True:
        token = request_id.set(current_id)
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        except Exception:
            log.exception("streamed answer failed half-way")  # the server's own line about it carries no id
            raise
        finally:
            request_id.reset(token)
        yield chunk


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        if record.request_id == "-":
            record.request_id = _logged_after_the_request(record)
        return True


def _logged_after_the_request(record: logging.LogRecord) -> str:
    """Two lines about a request are written once the middleware has returned: Django's "Not Found: /x"
    (and every other 4xx/5xx answered without an exception), which carries the request, and
    gunicorn's access line, which carries the response headers."""
    if isinstance(request := getattr(record, "request", None), HttpRequest):
        return getattr(request, "request_id", "-")
    if record.name == "gunicorn.access" and isinstance(record.args, dict):
        return record.args.get("{x-request-id}o", "-")
    return "-"


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json), for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            # UTC with its zone: gunicorn's master, which never loads Django's TIME_ZONE, writes the same clock.
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class QueryStringFilter(logging.Filter):
    """Cuts the query string out of the development server's request lines: OAuth callbacks carry `code`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple) and isinstance(record.args[0], str):
            record.args = (re.sub(r"\?\S*", "", record.args[0], count=1), *record.args[1:])
        return True


class OneLineWarning(logging.Filter):
    """For bad input Django logs as an ERROR with a traceback (a wrong Host header, which scanners send
    all day): one WARNING line, which still tells an operator which host to add to ALLOWED_HOSTS."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        return True


class ClientErrorOneLine(OneLineWarning):
    """django.request logs a body it cannot parse (a malformed multipart one) as a 400 with a traceback: the
    client's mistake, one line. A 5xx keeps its traceback: that one is ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        return super().filter(record) if getattr(record, "status_code", 500) < 500 else True


class OutageOneLine(logging.Filter):
    """Through an outage of Postgres or Redis, Django logs every request's 503 as an ERROR with a traceback of
    dozens of lines, the cause at its end: one ERROR line naming the cause instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and (service := unavailable_service(error)):
            record.msg, record.args = f"{record.getMessage()} ({service} unavailable: {one_line(error)})", ()
            record.exc_info = record.exc_text = None
        return True


def unavailable_service(error: BaseException) -> str | None:
    """Which service an error says is away just now, "database" or "cache" (a 503, not a bug); None for any other."""
    if is_database_unavailable(error):
        return "database"
    if isinstance(error, CACHE_UNAVAILABLE):
        return "cache"
    return None


def one_line(error: BaseException) -> str:
    """An error as an operator can look it up: the driver's class (not Django's wrapper) and its message's first
    line (a driver's goes on with hints, and a log line must stay one)."""
    first_line = str(error).strip().splitlines()[:1]
    name = driver_error_name(error)
    return f"{name}: {first_line[0]}" if first_line else name
