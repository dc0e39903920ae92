"""A HEAD gets its GET's status and headers, no body, and leaves nothing in gunicorn's log
(linkapp/head_requests.py): load balancers and uptime monitors probe with HEAD every few seconds."""

import socket

import pytest
import requests
from django.http import StreamingHttpResponse
from django.test import RequestFactory

from linkapp.head_requests import HeadWithoutBody
from linkapp.tests.gunicorn_process import gunicorn_serving
from tests.services import suite_database_url

PATHS = ["/", "/readyz", "/healthz", "/static/linkapp.css", "/no-such-page/", "/api/v1/me/links", "/dashboard/"]


def raw_head(port: int, path: str) -> bytes:
    """Everything gunicorn sends for a HEAD, read until it closes: the headers and whatever follows them."""
    with socket.create_connection(("127.0.0.1", port), 10) as conn:
        conn.sendall(f"HEAD {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


@pytest.mark.django_db
def test_a_head_probe_gets_the_gets_headers_and_leaves_no_warning(free_tcp_port):
    base = f"http://127.0.0.1:{free_tcp_port}"
    with gunicorn_serving(free_tcp_port, {"DATABASE_URL": suite_database_url()}) as served:
        for path in PATHS:
            get = requests.get(base + path, allow_redirects=False, timeout=10)
            head = requests.head(base + path, allow_redirects=False, timeout=10)
            assert (head.status_code, head.headers["Content-Type"]) == (get.status_code, get.headers["Content-Type"])
        readyz = requests.get(f"{base}/readyz", timeout=10)
        assert readyz.status_code == 200, readyz.text
        assert requests.head(f"{base}/readyz", timeout=10).headers["Content-Length"] == str(len(readyz.content))
        head, _, after_the_headers = raw_head(free_tcp_port, "/readyz").partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ") and after_the_headers == b""
    out, err = served.printed
    assert "no-body response" not in out + err  # gunicorn's warning for each HEAD answered with a body


def test_a_streamed_answer_to_a_head_is_never_produced():
    """A streamed body (the admin's CSV export, say) is left unread: the work behind it never runs."""
    produced = []

    def rows():
        produced.append("a row")
        yield b"a row\n"

    response = HeadWithoutBody(lambda request: StreamingHttpResponse(rows()))(RequestFactory().head("/export/"))

    assert b"".join(response.streaming_content) == b""
    assert produced == []
