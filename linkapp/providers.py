"""What every server-side call to Discord or GitHub shares: one pooled HTTP session and the errors.

The errors subclass allauth's ProviderException so that allauth's callback view turns
them into an authentication error page instead of a 500.
"""

from __future__ import annotations

import contextlib
import copyreg
import functools
import http.cookiejar
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from allauth.socialaccount.providers.base import ProviderException
from django.conf import settings
from requests.adapters import HTTPAdapter

log = logging.getLogger("linkapp.providers")
ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # an OAuth error code (RFC 6749): bad_verification_code
READ_CHUNK = 64 * 1024
# The most we read of one answer, unpacked: GitHub's largest, a page of 100 repositories, is under 1 MB, and a
# person's list may have GITHUB_MAX_CONCURRENCY pages in flight at once. (urllib3 2.6 and later unpack a gzip
# piece by piece, so a small one that unpacks huge never sits whole in memory.)
LARGEST_ANSWER = 4 * 1024 * 1024
# urllib3's errors while reading a body, as `requests` maps them, except that a body past its time is a timeout.
READ_ERRORS = (
    (urllib3.exceptions.ReadTimeoutError, requests.ReadTimeout),
    (urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError),
    (urllib3.exceptions.DecodeError, requests.exceptions.ContentDecodingError),
    (urllib3.exceptions.SSLError, requests.exceptions.SSLError),
)


class AnswerTooLarge(requests.RequestException):
    """An answer past LARGEST_ANSWER, unpacked: read no further, rather than hold it all in the worker's memory."""


class ProviderError(ProviderException):
    """Discord or GitHub answered with something we cannot use."""

    status = 502

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason

    def __reduce__(self) -> tuple:
        # Unpickled without __init__, so a failure kept in the cache comes back exactly as raised.
        return copyreg.__newobj__, (type(self), *self.args), self.__dict__


class ProviderUnavailable(ProviderError):
    """The provider failed (5xx) or did not answer within PROVIDER_TIMEOUT."""

    status = 503


class ProviderTimeout(ProviderUnavailable):
    status = 504


class ProviderUnauthorized(ProviderError):
    """The token we hold is no longer accepted (revoked or expired). A 403, not a 401: the person's session
    with us is fine, and a 401 must name a way to authenticate with us (RFC 9110, WWW-Authenticate)."""

    status = 403


class StateRefused(ProviderError):
    """The callback cannot be trusted: no state, an unknown or already used one, a wrong issuer, or a sign-in
    attempt past the wizard TTL."""

    status = 400


class ProviderRateLimited(ProviderError):
    """The provider asks us to wait this many seconds (kept within a day, whatever it says)."""

    status = 503
    LONGEST_WAIT = 86400

    def __init__(self, provider: str, retry_after: float) -> None:
        self.retry_after = min(max(retry_after, 0.0), self.LONGEST_WAIT)
        self.retry_at = time.time() + self.retry_after
        # When it ends, too: the error is kept, and logged again at each retry before then.
        until = datetime.fromtimestamp(self.retry_at, UTC).strftime("%Y-%m-%d %H:%M:%S")
        super().__init__(provider, f"rate limited for {self.retry_after:.0f}s, until {until} UTC")


@contextlib.contextmanager
def revoked_if_unused(revoke: Callable[[str], object], access_token: str) -> Iterator[None]:
    """Revoke a grant just made when the provider's answers about it cannot be used (or reading
    them failed, a bug included): the token is kept nowhere, so it would stay alive at the provider.
    Not when the provider failed or did not answer (ProviderUnavailable): asking it to revoke would
    keep the person waiting another PROVIDER_TIMEOUT."""
    try:
        yield
    except ProviderUnavailable:
        raise
    except Exception:
        revoke(access_token)
        raise


def seconds(value: object) -> float | None:
    """A number of seconds from a header or body field, or None when it is not one."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class PooledSession(requests.Session):
    """A session on the process-wide connection pool: closing it (allauth does) leaves the pool open."""

    def close(self) -> None:
        pass


_adapter: HTTPAdapter | None = None
_session: requests.Session | None = None


def provider_session() -> requests.Session:
    """A new session on the process-wide connection pool (allauth asks for one per token exchange).

    `requests` would read proxies, CA bundle and ~/.netrc from the environment on every call
    (`trust_env`), about 15% of a call's CPU. The proxies and the CA bundle are read here instead (the
    proxies once per provider host, so HTTPS_PROXY and NO_PROXY still apply); ~/.netrc not at all: every
    call brings its own credentials.
    """
    global _adapter
    if _adapter is None:
        # Kept-alive connections per host: the concurrent GitHub calls of 8 worker threads (twice
        # gunicorn.conf.py's default of 4). Beyond that a connection is opened and then dropped,
        # which costs time, never a request.
        _adapter = HTTPAdapter(pool_connections=4, pool_maxsize=8 * max(settings.GITHUB_MAX_CONCURRENCY, 2))
    session = PooledSession()
    # Discord's and GitHub's answers may set cookies (Cloudflare's `__cfruid`, say); kept in a jar shared by
    # every person's calls, one person's would go with the next person's requests.
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    session.trust_env = False
    session.proxies = dict(environment_proxies())
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    session.mount("https://", _adapter)
    session.mount("http://", _adapter)
    # First: the other hooks (ours, and those allauth's session adds) then find the whole answer read.
    session.hooks["response"] = [read_whole_answer, log_response]
    return session


@functools.cache
def environment_proxies() -> dict[str, str]:
    """The environment's proxy for each provider host, keyed the way `requests` looks them up (read once)."""
    proxies = {}
    for url in filter(
        None, (settings.DISCORD_URL, settings.DISCORD_CDN_URL, settings.GITHUB_URL, settings.GITHUB_API_URL)
    ):
        parts = urlsplit(url)
        found = requests.utils.get_environ_proxies(url)  # empty when NO_PROXY names the host
        if proxy := found.get(parts.scheme) or found.get("all"):
            proxies[f"{parts.scheme}://{parts.hostname}"] = proxy
    return proxies


def http_session() -> requests.Session:
    """The process-wide session for our own calls: keep-alive saves a TLS handshake per call."""
    global _session
    if _session is None:
        _session = provider_session()
    return _session


def request(provider: str, method: str, url: str, **kwargs: Any) -> requests.Response:
    """One call to a provider, with PROVIDER_TIMEOUT and transport failures mapped to our errors."""
    kwargs.setdefault("timeout", settings.PROVIDER_TIMEOUT)
    try:
        return http_session().request(method, url, **kwargs)
    except requests.RequestException as exc:
        log.warning("provider call %s %s failed: %s", method, urlsplit(url).path, type(exc).__name__)
        raise transport_error(provider, exc) from exc


def transport_error(provider: str, exc: requests.RequestException) -> ProviderError:
    """No usable answer: none within PROVIDER_TIMEOUT, no connection, a 5xx or 429 raised for it (trying again
    may help), or one too large to read, which the provider did send: an answer we cannot use, like one we
    cannot parse (502), so a grant it was about is revoked."""
    if isinstance(exc, AnswerTooLarge):
        return ProviderError(provider, "answer too large")
    if isinstance(exc, requests.Timeout):
        return ProviderTimeout(provider, "timed out")
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        if exc.response.status_code == 429:
            return ProviderRateLimited(provider, retry_after(exc.response))
        return ProviderUnavailable(provider, f"HTTP {exc.response.status_code}")
    return ProviderUnavailable(provider, type(exc).__name__)


def retry_after(response: requests.Response) -> float:
    """Seconds a rate-limited answer asks us to wait, from the most precise of what it says.

    Discord's body `retry_after` first (an edge proxy may send an HTML page with only the header),
    then `Retry-After`, then GitHub's `x-ratelimit-reset` (epoch seconds) when the hour's allowance is
    used up (GitHub sends it on every answer), else the minute GitHub asks for on a secondary limit."""
    try:
        body = response.json()
    except (ValueError, RecursionError):  # not JSON, or JSON nested deeper than Python's parser goes
        body = None
    wait = seconds(body.get("retry_after")) if isinstance(body, dict) else None
    if wait is None:
        wait = retry_after_header(response.headers.get("Retry-After"))
    if wait is None and response.headers.get("x-ratelimit-remaining") == "0":
        reset = seconds(response.headers.get("x-ratelimit-reset"))
        wait = reset - time.time() if reset is not None else None
    return 60.0 if wait is None else wait


def retry_after_header(value: str | None) -> float | None:
    """`Retry-After` in either of HTTP's forms: seconds (what Discord and GitHub send), or a date (what some
    proxies in front of them send). A date already past, by our clock, says nothing we can use."""
    wait = seconds(value)
    if wait is not None or not value:
        return wait
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    # HTTP dates are GMT; a "-0000" one, or one in asctime's form, comes back without a zone.
    wait = date.replace(tzinfo=date.tzinfo or UTC).timestamp() - time.time()
    return wait if wait > 0 else None


def read_whole_answer(
    response: requests.Response, *args, stream: bool = False, timeout: object = None, **kwargs
) -> None:
    """A `requests` response hook: the answer's body within the call's timeout (a number of seconds, else
    PROVIDER_TIMEOUT) of its start.

    `requests` times each wait for bytes, not the call: an answer that trickles in a few bytes at a time
    would hold the thread for as long as it trickles. So the body is read here, as `requests` would read
    it next, each wait cut to what is left of the timeout, and no further read once part of the body is in
    and the time is up, or once it is larger than any answer we use (LARGEST_ANSWER, counted unpacked: a
    small gzip may unpack to gigabytes). (A compressed or chunked answer trickled byte by byte can still
    outlast the time by the reads that one decoded piece takes; a caller that streams, and a redirect on its
    way to the answer, each hop with its own timeout and read whole, are left to `requests`.)
    """
    if stream or response.raw is None or response.is_redirect:
        return
    budget = timeout if isinstance(timeout, int | float) else settings.PROVIDER_TIMEOUT
    deadline = time.monotonic() + budget - response.elapsed.total_seconds()
    chunks, size = [], 0
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 and chunks and not response.raw.closed:
                raise urllib3.exceptions.ReadTimeoutError(None, response.url, f"no whole answer within {budget} s")
            if (connection := response.raw.connection) is not None and connection.sock is not None:
                # At least a moment: the first piece of an answer already here is still read. urllib3 resets
                # the socket's timeout when the connection is reused.
                connection.sock.settimeout(max(remaining, 0.001))
            if not (chunk := response.raw.read1(READ_CHUNK, decode_content=True)):
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > LARGEST_ANSWER:
                response.close()
                log_response(response)
                raise AnswerTooLarge(f"more than {LARGEST_ANSWER} bytes", response=response)
    except urllib3.exceptions.HTTPError as exc:
        response.close()  # half read: not a connection to reuse
        log_response(response)
        error = next((ours for theirs, ours in READ_ERRORS if isinstance(exc, theirs)), requests.ConnectionError)
        raise error(exc, response=response) from exc
    # Where `requests` keeps a body it has read, as `Response.content` leaves it.
    response._content, response._content_consumed = b"".join(chunks), True


def log_response(response: requests.Response, *args, **kwargs) -> None:
    """A `requests` response hook: one line per provider call, with the request id (via the log filter).

    Only host and path: never the query string, headers or body, where codes and tokens travel.
    """
    url = urlsplit(response.request.url)
    log.info(
        "provider call %s %s%s status=%s ms=%.0f",
        response.request.method,
        url.netloc,
        url.path,
        response.status_code,
        response.elapsed.total_seconds() * 1000,
    )


def raise_unless_ok(provider: str, response: requests.Response) -> None:
    """What both providers' statuses other than 200 mean (their rate limits differ, and are read first). Unlike
    `requests`' raise_for_status, a 3xx or another 2xx raises too: no answer we use comes with one."""
    status = response.status_code
    if status == 401:
        raise ProviderUnauthorized(provider, "token not accepted")
    if status >= 500:
        raise ProviderUnavailable(provider, f"HTTP {status}")
    if status != 200:
        raise ProviderError(provider, f"HTTP {status}")


def revoke(provider: str, method: str, url: str, *, success: int, **kwargs: Any) -> None:
    """Give a token back; a failure is logged, never raised: what the person did goes on, and the
    token is kept nowhere anyway."""
    try:
        response = request(provider, method, url, **kwargs)
    except ProviderError as exc:
        log.warning("%s token revocation failed: %s", provider.lower(), exc.reason)
        return
    if response.status_code != success:
        log.warning("%s token revocation failed: HTTP %s", provider.lower(), response.status_code)


def error_code(value: object) -> str:
    """A provider's `error` as the log and our failures carry it: an error code as OAuth defines them
    (incorrect_client_credentials, invalid_grant), else "other". Not the text a proxy or a server of
    some other kind may send there, which could forge log lines or be a whole page."""
    return value if isinstance(value, str) and ERROR_CODE.fullmatch(value) else "other"


def json_body(provider: str, response: requests.Response) -> object:
    """The decoded body, any JSON value: its reader checks its shape. An HTML error page from a proxy becomes a
    ProviderError."""
    try:
        return response.json()
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested deeper than Python's parser goes
        raise ProviderError(provider, f"non-JSON answer (HTTP {response.status_code})") from exc


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: object) -> bool:
    """Whether Postgres can keep all of this JSON: allauth keeps a profile whole (extra_data, a jsonb), and a
    link keeps names in columns. JSON may carry a NUL character, half of a surrogate pair ("\\ud800") or NaN;
    Postgres refuses each, and a refused save would be a 500 at every try. Walked without recursion: an answer
    may be nested as deep as Python's JSON parser goes."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str) and UNSTORABLE.search(item):
            return False
        elif isinstance(item, float) and not math.isfinite(item):  # NaN and Infinity, which JSON's parser allows
            return False
    return True
