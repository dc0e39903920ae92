import json
import logging
import os
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from django.db import OperationalError
from django_redis.exceptions import ConnectionInterrupted
from psycopg.errors import LockNotAvailable
from redis.exceptions import ConnectionError as RedisConnectionError

from linkapp.logs import (
    ClientErrorOneLine,
    JsonFormatter,
    OutageOneLine,
    QueryStringFilter,
    RequestIdFilter,
    one_line,
    request_id,
)
from linkapp.tests.gunicorn_process import gunicorn_serving, run_gunicorn


@pytest.mark.django_db
def test_request_id_is_echoed_and_generated(client):
    given = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    made = client.get("/healthz", HTTP_X_REQUEST_ID="bad id; rm -rf")

    assert given["X-Request-ID"] == "abc-123"
    assert made["X-Request-ID"] != "bad id; rm -rf" and len(made["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_a_request_id_is_at_most_64_characters(client):
    longest = "a" * 64
    assert client.get("/healthz", HTTP_X_REQUEST_ID=longest)["X-Request-ID"] == longest
    answered = client.get("/healthz", HTTP_X_REQUEST_ID=longest + "a")["X-Request-ID"]
    assert answered != longest + "a" and len(answered) == 32


@pytest.mark.django_db
@pytest.mark.parametrize("sent", ["-", "--", ".", "_x"])
def test_a_request_id_must_begin_with_a_letter_or_digit(client, sent):
    """ "-" is what a line outside any request carries: a request sending it could not be found in the logs."""
    answered = client.get("/healthz", HTTP_X_REQUEST_ID=sent)["X-Request-ID"]
    assert answered != sent and len(answered) == 32


def test_json_lines_carry_the_request_id():
    record = logging.LogRecord("linkapp.wizard", logging.INFO, __file__, 1, "step=%s", ("linked",), None)
    token = request_id.set("req-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id.reset(token)

    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-1"
    assert line["message"] == "step=linked"
    assert line["level"] == "INFO"
    assert abs(datetime.fromisoformat(line["time"]) - datetime.fromtimestamp(record.created, UTC)) < timedelta(
        milliseconds=1
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])  # ms, UTC whatever the zone


def test_a_json_line_about_a_failure_carries_its_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())

    line = json.loads(JsonFormatter().format(record))
    assert line["exception"].startswith("Traceback (most recent call last):")
    assert line["exception"].endswith("ValueError: boom")


def test_gunicorns_access_line_carries_the_request_id_of_the_response_it_logs():
    """gunicorn writes it once the request is over; the id is the response's X-Request-ID header."""

    def logged(logger: str) -> str:
        record = logging.LogRecord(
            logger, logging.INFO, __file__, 1, "%(U)s", ({"U": "/", "{x-request-id}o": "acc-1"},), None
        )
        RequestIdFilter().filter(record)
        return record.request_id

    assert logged("gunicorn.access") == "acc-1"
    assert logged("linkapp.wizard") == "-"  # another logger's arguments are no response


@pytest.mark.parametrize(("status", "level", "traceback_kept"), [(400, "WARNING", False), (500, "ERROR", True)])
def test_only_a_client_errors_traceback_is_dropped(status, level, traceback_kept):
    """A 5xx is ours to fix: Django's ERROR line about it keeps its traceback."""
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    record.status_code = status

    assert ClientErrorOneLine().filter(record)
    assert record.levelname == level and (record.exc_info is not None) == traceback_kept


def raised(error: BaseException, cause: BaseException | None = None) -> tuple:
    try:
        raise error from cause
    except type(error):
        return sys.exc_info()


def service_unavailable_record(exc_info: tuple) -> logging.LogRecord:
    """Django's line about a 503 that handler500 made of an exception (a "%" in the path is no placeholder)."""
    record = logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, "%s: %s", ("Service Unavailable", "/r%s/"), exc_info
    )
    record.status_code = 503
    return record


@pytest.mark.parametrize(
    ("exc_info", "cause"),
    [
        (
            raised(OperationalError("canceling statement due to lock timeout\n"), LockNotAvailable("lock timeout")),
            "database unavailable: LockNotAvailable: canceling statement due to lock timeout",
        ),
        (
            raised(ConnectionInterrupted(connection=None), RedisConnectionError("Error 111. Connection refused.")),
            "cache unavailable: ConnectionError: Redis ConnectionError: Error 111. Connection refused.",
        ),
    ],
    ids=["database", "cache"],
)
def test_an_outage_is_one_error_line_naming_its_cause(exc_info, cause):
    record = service_unavailable_record(exc_info)

    assert OutageOneLine().filter(record)
    assert record.getMessage() == f"Service Unavailable: /r%s/ ({cause})"
    assert record.levelname == "ERROR" and record.exc_info is None


def test_an_error_without_words_is_named_by_its_class():
    assert one_line(ValueError("boom")) == "ValueError: boom"
    assert one_line(ValueError("")) == "ValueError"


def test_any_other_errors_line_keeps_its_traceback():
    record = service_unavailable_record(raised(ValueError("boom")))

    assert OutageOneLine().filter(record)
    assert record.getMessage() == "Service Unavailable: /r%s/" and record.exc_info[0] is ValueError


@pytest.mark.django_db
def test_djangos_line_about_a_refused_request_carries_its_request_id(client, caplog):
    """Django writes "Not Found: /x" once the middleware has returned, so the id comes from the request."""
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/no-such-page/", HTTP_X_REQUEST_ID="abc-404")

    (record,) = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Not Found: /no-such-page/"
    RequestIdFilter().filter(record)
    assert record.request_id == "abc-404"


def test_request_lines_lose_their_query_string():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /accounts/discord/login/callback/?code=SECRET&state=x HTTP/1.1", "302", "0"),
        None,
    )
    QueryStringFilter().filter(record)
    assert record.getMessage() == '"GET /accounts/discord/login/callback/ HTTP/1.1" 302 0'


@pytest.mark.parametrize("access_log", ["-", "access.log"])
def test_gunicorn_lines_are_json_too_with_log_format_json(free_tcp_port, tmp_path, access_log):
    access_log_file = tmp_path / access_log
    access_log = access_log if access_log == "-" else str(access_log_file)
    out, err = run_gunicorn(free_tcp_port, {"LOG_FORMAT": "json", "GUNICORN_ACCESS_LOG": access_log})

    printed = (out + err).splitlines()
    written = printed if access_log == "-" else access_log_file.read_text().splitlines()
    assert not [line for line in printed + written if "[INFO]" in line]  # gunicorn's plain format
    entries = [json.loads(line) for line in printed if line.startswith("{")]
    assert any(e["logger"] == "gunicorn.error" and "Booting worker" in e["message"] for e in entries)
    access = [json.loads(line) for line in written if '"gunicorn.access"' in line]
    assert any("/healthz" in e["message"] and e["request_id"] == "log-1" for e in access)
    if access_log != "-":
        assert not [e for e in entries if e["logger"] == "gunicorn.access"]  # only in the file asked for


def test_gunicorns_plain_access_lines_say_when(free_tcp_port):
    """A plain access log written to a file has no other time than the one its format writes."""
    out, err = run_gunicorn(free_tcp_port, {"GUNICORN_ACCESS_LOG": "-"})

    (line,) = [line for line in out.splitlines() if "/healthz" in line]
    assert re.search(r"\[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\]", line) and "log-1" in line


def test_gunicorn_json_lines_keep_the_log_level_asked_for(free_tcp_port):
    out, err = run_gunicorn(free_tcp_port, {"LOG_FORMAT": "json"}, "--log-level", "warning")

    assert "Booting worker" not in out + err  # an INFO line
    out, err = run_gunicorn(free_tcp_port, {"LOG_FORMAT": "json"}, "--log-level", "debug")
    debug = [json.loads(line) for line in (out + err).splitlines() if '"DEBUG"' in line]
    assert any(e["logger"] == "gunicorn.error" for e in debug)


def test_python_warnings_are_log_lines_too(tmp_path):
    """A warning a library raises at run time is written by Python itself to standard error, as a bare line of
    text: under LOG_FORMAT=json a log shipper would choke on it, and it would carry no request id."""
    env = {**os.environ, "DEBUG": "0", "HTTPS": "0", "LOG_FORMAT": "json", "SECRET_KEY": "test-only-secret-key"}
    script = "import django, warnings; django.setup(); warnings.warn('a library is unhappy', UserWarning)"
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        env={**env, "DJANGO_SETTINGS_MODULE": "linkapp.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    lines = run.stderr.splitlines()
    assert run.returncode == 0 and lines, run.stderr
    (line,) = [json.loads(line) for line in lines]
    assert (line["logger"], line["level"]) == ("py.warnings", "WARNING")
    assert "a library is unhappy" in line["message"]


def test_gunicorns_access_lines_name_the_path_never_the_query_string(free_tcp_port):
    """README: paths only. A provider callback's query string holds its single-use `code` and its `state`."""
    with gunicorn_serving(free_tcp_port, {"GUNICORN_ACCESS_LOG": "-"}) as served:
        requests.get(f"http://127.0.0.1:{free_tcp_port}/healthz?code=one-time-code&state=s", timeout=30)
    out, err = served.printed

    assert len([line for line in out.splitlines() if "/healthz" in line]) == 2
    assert "one-time-code" not in out + err


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_an_address_cannot_write_an_access_line_of_its_own(free_tcp_port, log_format):
    """gunicorn decodes the path it logs: %0A would end the line and begin one the sender wrote."""
    forged = '/healthz%0A[30/Nov/2026:00:00:00 +0000] 10.0.0.1 "POST /admin/login/" 302 3ms x%22%1B[2J'
    env = {"GUNICORN_ACCESS_LOG": "-", "LOG_FORMAT": log_format}
    with gunicorn_serving(free_tcp_port, env) as served:
        answer = requests.get(f"http://127.0.0.1:{free_tcp_port}{forged}", timeout=30)
    out, err = served.printed

    assert answer.status_code == 404
    assert not [line for line in out.splitlines() if line.startswith("[30/Nov/2026:00:00:00")]
    (line,) = [line for line in out.splitlines() if "/admin/login/" in line]
    assert "/healthz%0A%5B30/Nov/2026:00:00:00%20+0000%5D%2010.0.0.1%20%22POST%20/admin/login/%22" in line
    assert "\x1b" not in out + err and "\\u001b" not in out  # no terminal escape, even as JSON writes it


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_a_request_gunicorn_refuses_itself_is_answered_and_logged(free_tcp_port, log_format):
    """gunicorn answers a request it cannot read (two Host headers) with a 400 of its own, logged without a path:
    the access line must not stop that answer (JSON logs turn the access log on in any case)."""
    with gunicorn_serving(free_tcp_port, {"GUNICORN_ACCESS_LOG": "-", "LOG_FORMAT": log_format}) as served:
        with socket.create_connection(("127.0.0.1", free_tcp_port), timeout=30) as client:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
            answer = client.recv(4096)
    out, err = served.printed

    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert [line for line in out.splitlines() if " 400 " in line and "GET -" in line], out


def test_gunicorn_json_lines_hold_no_access_lines_unless_asked_for(free_tcp_port):
    """A logging config turns gunicorn's access log on: without GUNICORN_ACCESS_LOG it stays off, as in plain."""
    out, err = run_gunicorn(free_tcp_port, {"LOG_FORMAT": "json", "GUNICORN_ACCESS_LOG": ""})

    assert "Booting worker" in out + err
    assert '"gunicorn.access"' not in out + err
