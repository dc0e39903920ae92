import json
import logging

import pytest

from linkapp.logs import JsonFormatter, QueryStringFilter, RequestIdFilter, request_id


@pytest.mark.django_db
def test_request_id_is_echoed_and_generated(client):
    given = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    made = client.get("/healthz", HTTP_X_REQUEST_ID="bad id; rm -rf")

    assert given["X-Request-ID"] == "abc-123"
    assert made["X-Request-ID"] != "bad id; rm -rf" and len(made["X-Request-ID"]) == 32


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
