"""The WSGI application gunicorn runs, called as gunicorn calls it: Django's test client builds its
requests itself, past the code these tests are about."""

from __future__ import annotations

import io

import pytest

from linkapp.wsgi import TolerantWSGIRequest, application

# The real handler closes the database connection at each request's start and end, as the test client does not:
# no test transaction around these.
pytestmark = pytest.mark.django_db(transaction=True)


def call(method: str, path: str, content_type: str, body: bytes = b"") -> tuple[str, bytes]:
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    started = []
    chunks = application(environ, lambda status, headers, exc_info=None: started.append(status))
    try:
        return started[0], b"".join(chunks)
    finally:
        chunks.close()


# A parameter Django cannot decode, and charsets Python knows as codecs but not as text encodings.
ODD_CONTENT_TYPES = ["text/plain; x*=bogus''a", "text/plain; charset=rot13", "text/plain; charset=zlib"]


@pytest.mark.parametrize("content_type", ODD_CONTENT_TYPES)
def test_an_odd_content_type_is_read_as_none(content_type):
    status, body = call("GET", "/healthz?probe=1", content_type)
    assert (status, body) == ("200 OK", b'{"status": "ok"}')


@pytest.mark.parametrize("charset", ["rot13", "hex"])
def test_a_form_sent_in_no_text_encoding_is_refused_with_a_page(charset):
    status, body = call("POST", "/?a=1", f"application/x-www-form-urlencoded; charset={charset}", b"a=1")
    assert status == "403 Forbidden"  # a form like any other without this site's cookie: the refused-form page
    assert b"Form expired" in body and b"Try again" in body


def test_too_many_query_fields_beside_a_charset_are_refused_with_a_400():
    """Django parses the query string as it reads the charset: more fields than it allows ended there."""
    status, body = call("GET", "/?" + "&".join(["a=1"] * 1001), "text/plain; charset=utf-8")
    assert status == "400 Bad Request"
    assert b"Try again" in body


def test_a_usual_charset_is_still_used():
    environ = {"REQUEST_METHOD": "GET", "QUERY_STRING": "q=%E9", "wsgi.input": io.BytesIO()}
    request = TolerantWSGIRequest({**environ, "CONTENT_TYPE": "text/plain; charset=latin-1"})
    assert (request.encoding, request.GET["q"]) == ("latin-1", "é")


@pytest.mark.parametrize("charset", ["rot13", "hex", "zlib"])
def test_a_form_without_a_query_string_in_no_text_encoding_reads_as_empty(charset):
    """With no query string to decode while the charset is read, nothing else finds that the codec is no text
    encoding: reading the form would be a LookupError (a 500) in the first view that reads it."""
    body = b"a=%C3%A9"
    environ = {"REQUEST_METHOD": "POST", "QUERY_STRING": "", "CONTENT_LENGTH": str(len(body))}
    content_type = f"application/x-www-form-urlencoded; charset={charset}"
    request = TolerantWSGIRequest({**environ, "CONTENT_TYPE": content_type, "wsgi.input": io.BytesIO(body)})
    assert (request.content_type, request.encoding, request.POST.dict()) == ("", None, {})
