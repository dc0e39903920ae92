"""A local fake of Discord's and GitHub's OAuth2 and REST endpoints on one port.

Why: ``make demo`` lets a person click through the app without real credentials, and
integration tests and benchmarks run it on a background thread to inject faults and
inspect the calls it received. Every answer that has a provider's published example payload
(``payloads/*.json``) is a deep copy of it with only the identifying fields replaced, so the
app is exercised against the real shapes rather than shapes we made up (``examples.py``;
the demo GitHub's accounts and repositories are built in ``github_objects.py``); the few
without one (an unknown client, a malformed request, an injected status no example has) take
the provider's general error shape.

Run it with ``python -m demo.providers [--host H] [--port P] [--repos N] [--delay S]``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import hashlib
import hmac
import json
import math
import re
import secrets
import string
import struct
import sys
import threading
import time
import traceback
import zlib
from dataclasses import dataclass, field, replace
from email.message import Message
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

from demo import examples
from demo.github_objects import SORT_KEYS, Repo, generate_repos, github_user, repo_payload, stable_int

__all__ = [
    "DEFAULT_PORT",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "Call",
    "DemoProviders",
    "Fault",
    "TokenInfo",
    "main",
]


# --- Demo data rules --------------------------------------------------------------------

_CODE_LIFETIME = 600.0  # seconds an authorization code stays valid
_GITHUB_ACCESS_DENIED = (
    ("error", "access_denied"),
    ("error_description", "The user has denied your application access."),
    (
        "error_uri",
        (
            "/apps/building-integrations/setting-up-and-registering-oauth-apps/"
            "troubleshooting-authorization-request-errors/#access-denied"
        ),
    ),
)
_DISCORD_ACCESS_DENIED = (
    ("error", "access_denied"),
    ("error_description", "The resource owner or authorization server denied the request"),
)
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_LOGIN_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")

Provider = Literal["discord", "github"]
_NAMES: dict[Provider, str] = {"discord": "Discord", "github": "GitHub"}
_DEFAULT_LOGINS: dict[Provider, str] = {"discord": "nelly", "github": "octocat"}


# --- Public data types ------------------------------------------------------------------


DEMO_CLIENT_ID = "demo-client-id"
DEMO_CLIENT_SECRET = "demo-client-secret"  # noqa: S105 - a demo value, known to the demo providers only
DEFAULT_PORT = 8001


@dataclass
class Fault:
    """A misbehaviour to inject into one endpoint: a stall (delay), then an answer of its own (status,
    with an optional body and headers) instead of the real one, or either answer a byte at a time (trickle)
    or cut off half-way (cut)."""

    status: int | None = None
    body: str | bytes | None = None
    headers: dict[str, str | None] = field(default_factory=dict)  # None leaves the header out
    delay: float = 0.0
    trickle: float = 0.0  # seconds between the body's bytes: an answer that arrives a byte at a time
    cut: bool = False  # the body stops half-way and the connection closes, as when a server fails mid-answer
    padding: int = 0  # bytes of JSON whitespace after the answer: still a usable answer, only far too large
    gzipped: bool = False  # the answer gzipped (Content-Encoding: gzip): with padding, a small one that unpacks huge
    pages: set[int] | None = None  # github.repos only: the pages it applies to
    times: int | None = None  # the requests it applies to; None: every one until cleared

    def __post_init__(self) -> None:
        # Without a status there is no answer of its own to carry them: a test would silently fake nothing.
        if self.status is None and (self.body is not None or self.headers):
            raise ValueError("a Fault with a body or headers needs a status")
        if self.cut and self.trickle:
            raise ValueError("a Fault cuts its answer off or trickles it, not both")
        if self.times is not None and self.times < 1:
            raise ValueError("a Fault applies to at least one request")

    def reshape(self, response: _Response) -> _Response:
        """An answer the app could use but for its size, padded (and gzipped) as asked: what only a size limit
        refuses, where a broken one would fail anyway. A 204 keeps its empty body, as HTTP requires."""
        if response.status == 204 or not (self.padding or self.gzipped):
            return response
        body = response.body + b" " * self.padding
        if not self.gzipped:
            return replace(response, body=body)
        return _Response(
            response.status, gzip.compress(body, compresslevel=1), {**response.headers, "Content-Encoding": "gzip"}
        )


@dataclass
class Call:
    """One request as received, so tests can assert what the app actually sent."""

    endpoint: str
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class TokenInfo:
    """Who an issued access token belongs to and whether it still works."""

    provider: Provider
    login: str
    scopes: list[str]
    revoked: bool = False


# --- Internal data types ----------------------------------------------------------------


@dataclass(frozen=True)
class _Grant:
    """What an authorization code stands for until it is exchanged."""

    provider: Provider
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str
    code_challenge_method: str
    login: str
    created: float


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: Message
    params: dict[str, str]


@dataclass
class _Response:
    status: int
    body: bytes = b""
    headers: dict[str, str | None] = field(default_factory=dict)


# --- Small helpers ----------------------------------------------------------------------


def _solid_png(size: int, rgb: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + rgb * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _random_token(length: int) -> str:
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(length))


def _to_int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _json(status: int, payload: Any, content_type: str = examples.GITHUB_JSON, **headers: str) -> _Response:
    body = json.dumps(payload).encode()
    return _Response(status, body, {"Content-Type": content_type, **headers})


def _discord_json(status: int, payload: Any) -> _Response:
    return _json(status, payload, examples.DISCORD_JSON)


def _html(status: int, title: str, content: str) -> _Response:
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:34rem;margin:3rem auto;line-height:1.5}"
        "button{margin-right:.5rem}</style></head>\n"
        f"<body><h1>{escape(title)}</h1>\n{content}\n</body></html>\n"
    )
    return _Response(status, page.encode(), {"Content-Type": examples.HTML})


def _redirect(uri: str, params: list[tuple[str, str]], safe: str = "") -> _Response:
    separator = "&" if "?" in uri else "?"
    location = f"{uri}{separator}{urlencode(params, safe=safe)}"
    return _Response(302, b"", {"Location": location})


def _split_scopes(provider: Provider, raw: str) -> tuple[str, ...]:
    """Discord separates scopes with spaces; GitHub also accepts commas."""
    pattern = r"\s+" if provider == "discord" else r"[\s,]+"
    return tuple(dict.fromkeys(s for s in re.split(pattern, raw) if s))


def _pkce_ok(grant: _Grant, verifier: str) -> bool:
    if not grant.code_challenge:
        return True
    if not verifier:
        return False
    if grant.code_challenge_method.upper() == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        expected = verifier
    return hmac.compare_digest(expected.encode(), grant.code_challenge.encode())


def _parse_body(content_type: str, raw: bytes) -> dict[str, str]:
    """Form bodies for OAuth, a JSON object for GitHub's revoke call."""
    if not raw:
        return {}
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))


def _guess_content_type(body: bytes, *, discord: bool) -> str:
    try:
        json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep for Python to read
        return examples.HTML if body.lstrip().startswith(b"<") else "text/plain; charset=utf-8"
    return examples.DISCORD_JSON if discord else examples.GITHUB_JSON


# --- The fake -----------------------------------------------------------------------------

_Route = tuple[str, re.Pattern[str], str]
_ROUTES: list[_Route] = [
    (method, re.compile(pattern), name)
    for method, pattern, name in [
        ("GET", r"/discord(?:/api(?:/v\d+)?)?/oauth2/authorize", "discord.authorize"),
        ("POST", r"/discord(?:/api(?:/v\d+)?)?/oauth2/authorize", "discord.decide"),
        ("POST", r"/discord/api(?:/v\d+)?/oauth2/token", "discord.token"),
        ("POST", r"/discord/api(?:/v\d+)?/oauth2/token/revoke", "discord.revoke"),
        ("GET", r"/discord/api(?:/v\d+)?/users/@me", "discord.profile"),
        ("GET", r"/discord-cdn/avatars/(?P<id>\d+)/(?P<hash>[0-9a-f]+)\.png", "discord.avatar"),
        ("GET", r"/github/login/oauth/authorize", "github.authorize"),
        ("POST", r"/github/login/oauth/authorize", "github.decide"),
        ("POST", r"/github/login/oauth/access_token", "github.token"),
        ("GET", r"/github/api/v3/user", "github.user"),
        ("GET", r"/github/api/v3/user/repos", "github.repos"),
        ("GET", r"/github/api/v3/repositories/(?P<id>\d+)", "github.repository"),
        ("DELETE", r"/github/api/v3/applications/(?P<client_id>[^/]+)/token", "github.revoke"),
    ]
]


class DemoProviders:
    """Fake Discord + GitHub on one HTTP port, with fault injection and call recording."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        repo_count: int = 150,
        delay: float = 0.0,
        client_id: str = DEMO_CLIENT_ID,
        client_secret: str = DEMO_CLIENT_SECRET,
    ) -> None:
        self.host = host
        self.port = port
        self.repo_count = repo_count
        self.repo_counts: dict[str, int] = {}
        # Logins that may only read what they see (an outside collaborator everywhere), for tests.
        self.readers: set[str] = set()
        # GitHub omits rel="last" where it cannot count the pages; tests switch it off to see that path.
        self.link_last = True
        self.delay = delay
        self.client_id = client_id
        self.client_secret = client_secret
        self.faults: dict[str, Fault] = {}
        self.calls: list[Call] = []
        self.tokens: dict[str, TokenInfo] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified as each request is answered
        self._cut_short = threading.Event()  # set by reset(): injected stalls end at once
        self._codes: dict[str, _Grant] = {}
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> access token
        self._repo_lists: dict[tuple[str, int], list[Repo]] = {}
        self._repo_views: dict[tuple[str, int, bool, bool, str, str], list[Repo]] = {}
        self._repo_json: dict[tuple[int, str], bytes] = {}
        self._rate_used: dict[str, int] = {}
        self._rate_reset = int(time.time()) + 3600
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle and inspection ---

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def discord_cdn_url(self) -> str:
        return self.base_url + "/discord-cdn"

    @property
    def discord_url(self) -> str:
        return f"{self.base_url}/discord"

    @property
    def github_url(self) -> str:
        return f"{self.base_url}/github"

    def authorize_url(self, provider: Provider) -> str:
        """Where a browser consents (CONTRACT.md's authorize URLs)."""
        if provider == "discord":
            return f"{self.discord_url}/oauth2/authorize"
        return f"{self.github_url}/login/oauth/authorize"

    @property
    def github_api_url(self) -> str:
        """Where the app looks without GITHUB_API_URL when GITHUB_URL is not github.com (GitHub Enterprise's path)."""
        return f"{self.base_url}/github/api/v3"

    def addresses(self) -> dict[str, str]:
        """The variables that point the app at these providers, as settings.py reads them (CONTRACT.md)."""
        return {
            "DISCORD_URL": self.discord_url,
            "DISCORD_CDN_URL": self.discord_cdn_url,
            "GITHUB_URL": self.github_url,
            "GITHUB_API_URL": self.github_api_url,
        }

    def start(self) -> DemoProviders:
        """Serve on a daemon thread so tests and benchmarks keep control of the process."""
        server = _Server((self.host, self.port), _Handler)
        server.providers = self
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="demo-providers", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self, settle: float = 10.0) -> None:
        """Forget per-test state once the requests still being answered (a delayed fault outlasts
        its test; its stall is cut short) are done, so none of them lands in the next test's calls
        or tokens. Issued tokens stay valid so fixtures can share them."""
        self._cut_short.set()
        with self._idle:
            try:
                if not self._idle.wait_for(lambda: self.in_flight == 0, timeout=settle):
                    raise RuntimeError(f"{self.in_flight} demo provider requests still running after {settle} s")
            finally:
                self._cut_short.clear()
            self.faults.clear()
            self.calls.clear()
            self.repo_counts.clear()
            self.readers.clear()
            self.link_last = True
            self.delay = 0.0
        self.reset_stats()

    def reset_stats(self) -> None:
        with self._lock:
            self.max_in_flight = self.in_flight

    def calls_to(self, endpoint: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.endpoint == endpoint]

    def token_names(self) -> set[str]:
        """The access tokens issued so far: a mark for tokens_since."""
        with self._lock:
            return set(self.tokens)

    def tokens_since(self, earlier: set[str], provider: str | None = None) -> dict[str, TokenInfo]:
        """Tokens issued after `earlier` (from token_names), of one provider or both."""
        with self._lock:
            return {
                token: info
                for token, info in self.tokens.items()
                if token not in earlier and provider in (None, info.provider)
            }

    # --- request bookkeeping (called by the handler) ---

    def _route(self, method: str, path: str) -> tuple[str, dict[str, str]]:
        for route_method, pattern, name in _ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return name, match.groupdict()
        return "not_found", {}

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _finished(self) -> None:
        with self._idle:
            self.in_flight -= 1
            self._idle.notify_all()

    def _take_fault(self, endpoint: str, query: dict[str, str]) -> Fault | None:
        """The fault that applies to this request, consuming one of its ``times``."""
        with self._lock:
            fault = self.faults.get(endpoint)
            if fault is None:
                return None
            page = _to_int(query.get("page"), 1)
            if endpoint == "github.repos" and fault.pages is not None and page not in fault.pages:
                return None
            if fault.times is not None:
                fault.times -= 1
                if fault.times == 0:
                    del self.faults[endpoint]
            return fault

    def _fault_response(self, endpoint: str, fault: Fault) -> _Response:
        status = fault.status
        if fault.body is not None:
            body = fault.body.encode() if isinstance(fault.body, str) else fault.body
            headers = {"Content-Type": _guess_content_type(body, discord=endpoint.startswith("discord."))}
        else:
            response = _json(status, self._fault_payload(endpoint, status))
            if endpoint.startswith("discord."):
                response.headers["Content-Type"] = examples.DISCORD_JSON
                if status == 429:
                    # Discord's rate limit always comes with these (discord_errors.json).
                    response.headers.update(examples.discord_rate_limit_headers("429_user_rate_limit"))
            elif status in (403, 429):
                # GitHub's primary rate limit always comes with these (github_errors.json).
                response.headers.update(examples.github_rate_headers(used=5000, reset=int(time.time()) + 60))
            body, headers = response.body, response.headers
        overridden = {name.lower() for name in fault.headers}
        kept = {name: value for name, value in headers.items() if name.lower() not in overridden}
        return _Response(status, body, {**kept, **fault.headers})

    @staticmethod
    def _fault_payload(endpoint: str, status: int) -> dict[str, Any]:
        """A body shaped like the provider's own answer for that status."""
        if status >= 500 and not endpoint.startswith("discord."):
            return examples.SERVER_ERROR
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        if endpoint.startswith("discord."):
            if status == 429:
                return examples.DISCORD_RATE_LIMITED
            if status == 401:
                return examples.DISCORD_UNAUTHORIZED
            if status == 400 and endpoint == "discord.token":
                return examples.DISCORD_INVALID_GRANT.copy()
            # Discord's shape for any other status, 5xx included: its 404 example and the observed 401.
            return {"message": f"{status}: {phrase}", "code": 0}
        if status in (403, 429):
            return examples.GITHUB_RATE_LIMITED
        if status == 401:
            return examples.GITHUB_BAD_CREDENTIALS
        if status == 404:
            return examples.GITHUB_NOT_FOUND
        if status == 400:
            return examples.GITHUB_CLIENT_ERRORS["invalid_json"]["body"]
        if status == 422:
            return examples.GITHUB_CLIENT_ERRORS["invalid_fields"]["body"]
        return {"message": phrase, "documentation_url": "https://docs.github.com/rest"}

    def _answer(self, endpoint: str, request: _Request) -> _Response:
        handler = getattr(self, "_" + endpoint.replace(".", "_"))
        return handler(request)

    # --- authorization pages (both providers) ---

    def _authorize_problem(self, provider: Provider, params: dict[str, str]) -> str | None:
        if params.get("client_id") != self.client_id:
            return "Unknown client_id."
        if not params.get("redirect_uri"):
            return "Missing redirect_uri."
        if provider == "discord" and params.get("response_type") != "code":
            return 'response_type must be "code".'
        if provider == "github" and params.get("code_challenge") and params.get("code_challenge_method") != "S256":
            return 'GitHub supports PKCE with code_challenge_method "S256" only.'
        return None

    def _authorize_page(self, provider: Provider, request: _Request) -> _Response:
        name = _NAMES[provider]
        title = f"Demo {name} — not the real {name}"
        problem = self._authorize_problem(provider, request.query)
        if problem:
            return _html(400, title, f"<p><strong>Invalid authorization request:</strong> {escape(problem)}</p>")
        login = request.query.get("login") or _DEFAULT_LOGINS[provider]
        scopes = _split_scopes(provider, request.query.get("scope", "")) or ("(no scopes)",)
        hidden = "\n".join(
            f'<input type="hidden" name="{escape(key)}" value="{escape(value)}">'
            for key, value in request.query.items()
            if key not in ("login", "decision")
        )
        # GitHub's `prompt=select_account`: its account picker, even when the browser is signed in to one account.
        picker = "<p>Choose the account to use.</p>" if request.query.get("prompt") == "select_account" else ""
        content = f"""<p>This page stands in for {name} so the app can be tried without real
credentials. Nothing entered here leaves this computer.</p>{picker}
<p>The application <strong>{escape(request.query["client_id"])}</strong> would like to:</p>
<ul>{"".join(f"<li><code>{escape(scope)}</code></li>" for scope in scopes)}</ul>
<form method="post" action="{escape(request.path)}">
{hidden}
<p><label for="login">Demo {name} user</label>
<input type="text" id="login" name="login" value="{escape(login)}"></p>
<button name="decision" value="authorize">Authorize</button>
<button name="decision" value="cancel">Cancel</button>
</form>"""
        return _html(200, title, content)

    def _decide(self, provider: Provider, request: _Request) -> _Response:
        params = {k: v for k, v in request.form.items() if k not in ("login", "decision")}
        problem = self._authorize_problem(provider, params)
        if problem:
            name = _NAMES[provider]
            return _html(400, f"Demo {name} — not the real {name}", f"<p>{escape(problem)}</p>")
        state = [("state", params["state"])] if "state" in params else []
        if provider == "github":  # GitHub names itself in every callback (RFC 9207)
            state.append(("iss", f"{self.github_url}/login/oauth"))
        if request.form.get("decision") != "authorize":
            if provider == "discord":
                return _redirect(params["redirect_uri"], [*_DISCORD_ACCESS_DENIED, *state])
            return _redirect(params["redirect_uri"], [*_GITHUB_ACCESS_DENIED, *state], safe="/")
        login = _LOGIN_CHARS.sub("-", request.form.get("login", "")).strip("-.")
        code = secrets.token_urlsafe(24)
        grant = _Grant(
            provider=provider,
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            scopes=_split_scopes(provider, params.get("scope", "")),
            code_challenge=params.get("code_challenge", ""),
            code_challenge_method=params.get("code_challenge_method", "plain"),
            login=login or _DEFAULT_LOGINS[provider],
            created=time.monotonic(),
        )
        with self._lock:
            self._codes[code] = grant
        return _redirect(params["redirect_uri"], [("code", code), *state])

    def _client_ok(self, request: _Request, *, basic_only: bool = False) -> tuple[bool, str]:
        """Check client credentials from HTTP basic auth or, for OAuth, the form body."""
        auth = request.headers.get("Authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                user, _, password = base64.b64decode(auth[6:], validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False, ""
        elif basic_only:
            return False, ""
        else:
            user = request.form.get("client_id", "")
            password = request.form.get("client_secret", "")
        ok = hmac.compare_digest(user.encode(), self.client_id.encode()) and hmac.compare_digest(
            password.encode(), self.client_secret.encode()
        )
        return ok, user

    def _redeem(self, provider: Provider, request: _Request) -> tuple[_Grant | None, str]:
        """Use up a code; return its grant, or None and the name of the offending field."""
        with self._lock:
            grant = self._codes.pop(request.form.get("code", ""), None)
        if grant is None or grant.provider != provider or grant.client_id != self.client_id:
            return None, "code"
        if time.monotonic() - grant.created > _CODE_LIFETIME:
            return None, "code"
        redirect_uri = request.form.get("redirect_uri")
        if (redirect_uri is not None or provider == "discord") and redirect_uri != grant.redirect_uri:
            return None, "redirect_uri"
        if not _pkce_ok(grant, request.form.get("code_verifier", "")):
            return None, "code_verifier"
        return grant, ""

    def _issue(self, provider: Provider, login: str, scopes: list[str]) -> str:
        prefix = "gho_" if provider == "github" else ""
        token = prefix + _random_token(36 if provider == "github" else 30)
        with self._lock:
            self.tokens[token] = TokenInfo(provider, login, scopes)
        return token

    def _bearer(self, request: _Request, provider: Provider) -> TokenInfo | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        schemes = ("bearer",) if provider == "discord" else ("bearer", "token")
        if scheme.lower() not in schemes:
            return None
        info = self.tokens.get(token.strip())
        if info is None or info.revoked or info.provider != provider:
            return None
        return info

    # --- Discord ---

    def _discord_authorize(self, request: _Request) -> _Response:
        return self._authorize_page("discord", request)

    def _discord_decide(self, request: _Request) -> _Response:
        return self._decide("discord", request)

    @staticmethod
    def _discord_form_refused(request: _Request) -> _Response | None:
        """Discord's token and revocation URLs accept only form bodies: "JSON content is not permitted and will
        return an error" (../shared/provider-examples/discord_authorize_params.md). No example of that error
        exists; this is Discord's general error shape."""
        if "json" in (request.headers.get("Content-Type") or ""):
            return _discord_json(400, {"message": "400: Bad Request", "code": 0})
        return None

    def _discord_token(self, request: _Request) -> _Response:
        if refused := self._discord_form_refused(request):
            return refused
        if not self._client_ok(request)[0]:
            return _discord_json(401, {"error": "invalid_client"})
        if request.form.get("grant_type") != "authorization_code":  # the app never refreshes a Discord token
            return self._discord_invalid_grant("grant_type")
        grant, bad_field = self._redeem("discord", request)
        if grant is None:
            return self._discord_invalid_grant(bad_field)
        login, scopes = grant.login, list(grant.scopes)
        access_token = self._issue("discord", login, scopes)
        refresh_token = _random_token(30)
        with self._lock:
            self._refresh_tokens[refresh_token] = access_token
        payload = examples.DISCORD_TOKEN.copy()
        payload.update(access_token=access_token, refresh_token=refresh_token, scope=" ".join(scopes))
        return _discord_json(200, payload)

    @staticmethod
    def _discord_invalid_grant(bad_field: str) -> _Response:
        payload = examples.DISCORD_INVALID_GRANT.copy()
        payload["error_description"] = f'Invalid "{bad_field}" in request'
        return _discord_json(400, payload)

    def _discord_profile(self, request: _Request) -> _Response:
        response = self._discord_profile_answer(request)
        # Discord sends its per-route rate-limit headers "on most responses" (discord_errors.json).
        response.headers.update(examples.discord_rate_limit_headers("rate_limit_headers_example"))
        return response

    def _discord_profile_answer(self, request: _Request) -> _Response:
        info = self._bearer(request, "discord")
        if info is None:
            return _discord_json(401, examples.DISCORD_UNAUTHORIZED)
        user = examples.DISCORD_USER.copy()
        user.update(
            id=str(80351110224678912 + stable_int(info.login) % 10**9),
            username=info.login,
            global_name=info.login.title(),
            avatar=hashlib.sha256(f"avatar:{info.login}".encode()).hexdigest()[:32],
        )
        if "email" in info.scopes:  # Discord only reveals these with the email scope
            user["email"] = f"{info.login}@example.com"
        else:
            del user["email"], user["verified"]
        return _discord_json(200, user)

    def _discord_revoke(self, request: _Request) -> _Response:
        if refused := self._discord_form_refused(request):
            return refused
        if not self._client_ok(request)[0]:
            return _discord_json(401, {"error": "invalid_client"})
        token = request.form.get("token", "")
        with self._lock:
            access = self._refresh_tokens.get(token, token)
            info = self.tokens.get(access)
            if info is not None and info.provider == "discord":
                info.revoked = True
                for refresh, paired in list(self._refresh_tokens.items()):
                    if paired == access:
                        del self._refresh_tokens[refresh]
        return _discord_json(200, {})

    # --- GitHub OAuth ---

    def _github_authorize(self, request: _Request) -> _Response:
        return self._authorize_page("github", request)

    def _github_decide(self, request: _Request) -> _Response:
        return self._decide("github", request)

    def _github_token(self, request: _Request) -> _Response:
        """GitHub answers token errors with HTTP 200, and form-encoded unless asked for JSON."""
        wants_json = "application/json" in request.headers.get("Accept", "")

        def answer(payload: dict[str, Any]) -> _Response:
            if wants_json:
                return _json(200, payload)
            body = urlencode(payload).encode()
            return _Response(200, body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})

        if not self._client_ok(request)[0]:
            return answer(examples.GITHUB_TOKEN_ERRORS["incorrect_client_credentials"])
        grant, bad_field = self._redeem("github", request)
        if grant is None:
            error = "redirect_uri_mismatch" if bad_field == "redirect_uri" else "bad_verification_code"
            return answer(examples.GITHUB_TOKEN_ERRORS[error])
        payload = examples.GITHUB_TOKEN.copy()
        payload.update(
            access_token=self._issue("github", grant.login, list(grant.scopes)),
            scope=",".join(grant.scopes),
            token_type="bearer",
        )
        return answer(payload)

    def _github_revoke(self, request: _Request) -> _Response:
        ok, user = self._client_ok(request, basic_only=True)
        if not ok:
            return _json(401, examples.GITHUB_BAD_CREDENTIALS)
        if request.params["client_id"] != user:
            return _json(404, examples.GITHUB_NOT_FOUND)
        with self._lock:
            info = self.tokens.get(request.form.get("access_token", ""))
            if info is None or info.provider != "github" or info.revoked:
                return _json(404, examples.GITHUB_NOT_FOUND)
            info.revoked = True
        return _Response(204)

    # --- GitHub REST ---

    def _rate_headers(self, login: str) -> dict[str, str]:
        """Shaped like github_errors.json's authenticated 200 example (never enforced)."""
        with self._lock:
            used = self._rate_used[login] = self._rate_used.get(login, 0) + 1
        return examples.github_rate_headers(used=used, reset=self._rate_reset)

    def _github_user(self, request: _Request) -> _Response:
        info = self._bearer(request, "github")
        if info is None:
            return _json(401, examples.GITHUB_BAD_CREDENTIALS)
        return _json(200, github_user(info.login), **self._rate_headers(info.login))

    def _visible_repos(self, info: TokenInfo, sort: str = "full_name", direction: str = "asc") -> list[Repo]:
        """Cached per (login, count, scope, reader, order) so big listings are only sorted once."""
        count = self.repo_counts.get(info.login, self.repo_count)
        with_private = "repo" in info.scopes
        reader = info.login in self.readers
        key = (info.login, count, with_private, reader, sort, direction)
        with self._lock:
            view = self._repo_views.get(key)
            if view is None:
                repos = self._repo_lists.get((info.login, count))
                if repos is None:
                    repos = self._repo_lists[(info.login, count)] = generate_repos(info.login, count)
                view = [r for r in repos if with_private or not r.private]
                if reader:
                    view = [replace(r, permission="pull") for r in view]
                view.sort(key=SORT_KEYS[sort], reverse=direction == "desc")
                self._repo_views[key] = view
        return view

    def _repo_bytes(self, repo: Repo) -> bytes:
        """A repository's list-shape JSON; identical for every viewer with the same access, so cached."""
        cached = self._repo_json.get((repo.id, repo.permission))
        if cached is None:
            payload = json.dumps(repo_payload(examples.GITHUB_REPO, repo)).encode()
            cached = self._repo_json[(repo.id, repo.permission)] = payload
        return cached

    def _github_repos(self, request: _Request) -> _Response:
        info = self._bearer(request, "github")
        if info is None:
            return _json(401, examples.GITHUB_BAD_CREDENTIALS)
        query = request.query
        sort = query.get("sort", "full_name")
        if sort not in SORT_KEYS:
            sort = "full_name"
        direction = query.get("direction", "")
        if direction not in ("asc", "desc"):
            direction = "asc" if sort == "full_name" else "desc"
        repos = self._visible_repos(info, sort, direction)
        per_page = _to_int(query.get("per_page"), 30)
        per_page = 30 if per_page < 1 else min(per_page, 100)
        page = max(1, _to_int(query.get("page"), 1))
        last = max(1, math.ceil(len(repos) / per_page))
        chunk = repos[(page - 1) * per_page : page * per_page]
        body = b"[" + b",".join(self._repo_bytes(repo) for repo in chunk) + b"]"
        headers = {"Content-Type": examples.GITHUB_JSON, **self._rate_headers(info.login)}
        link = self._link_header(request, per_page, page, last)
        if link:
            headers["Link"] = link
        return _Response(200, body, headers)

    def _link_header(self, request: _Request, per_page: int, page: int, last: int) -> str:
        """GitHub's pagination links, in GitHub's order: prev, next, last, first."""
        host = request.headers.get("Host")
        base = f"http://{host}" if host else self.base_url
        others = {k: v for k, v in request.query.items() if k not in ("per_page", "page")}

        def url(target: int) -> str:
            query = urlencode({"per_page": per_page, "page": target, **others})
            return f"{base}{request.path}?{query}"

        links = []
        if page > 1:
            links.append(f'<{url(page - 1)}>; rel="prev"')
        if page < last:
            links.append(f'<{url(page + 1)}>; rel="next"')
            if self.link_last:
                links.append(f'<{url(last)}>; rel="last"')
        if page > 1:
            links.append(f'<{url(1)}>; rel="first"')
        return ", ".join(links)

    def _github_repository(self, request: _Request) -> _Response:
        info = self._bearer(request, "github")
        if info is None:
            return _json(401, examples.GITHUB_BAD_CREDENTIALS)
        repo_id = int(request.params["id"])
        repo = next((r for r in self._visible_repos(info) if r.id == repo_id), None)
        if repo is None:
            return _json(404, examples.GITHUB_NOT_FOUND, **self._rate_headers(info.login))
        return _json(200, repo_payload(examples.GITHUB_REPO_FULL, repo), **self._rate_headers(info.login))

    def _discord_avatar(self, request: _Request) -> _Response:
        """Discord's CDN stand-in: a solid 48x48 PNG in a colour taken from the avatar hash."""
        rgb = bytes.fromhex(request.params["hash"][:6].ljust(6, "0"))
        return _Response(200, _solid_png(48, rgb), {"Content-Type": "image/png", "Cache-Control": "max-age=86400"})

    def _not_found(self, request: _Request) -> _Response:
        if request.path.startswith("/discord"):
            return _discord_json(404, examples.DISCORD_ERRORS["404_not_found"]["body"])
        return _json(404, examples.GITHUB_NOT_FOUND)


# --- HTTP plumbing ------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    providers: DemoProviders

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (e.g. after a timeout) are expected; only report real bugs."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP into calls on DemoProviders: record, count, delay, fault, answer."""

    protocol_version = "HTTP/1.1"  # keep-alive, so benchmarks measure the app, not TCP setup
    # Headers and body go out in two writes: without TCP_NODELAY the body waits for the
    # client's delayed ACK, adding up to 40 ms to answers that take a millisecond.
    disable_nagle_algorithm = True
    timeout = 120  # lets idle keep-alive connections go eventually
    server: _Server

    def log_message(self, *args: Any) -> None:
        """Stay quiet: a log line per request would drown test and benchmark output."""

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def _dispatch(self) -> None:
        providers = self.server.providers
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        raw = self.rfile.read(_to_int(self.headers.get("Content-Length"), 0))
        form = _parse_body(self.headers.get("Content-Type", ""), raw)
        endpoint, params = providers._route(self.command, split.path)
        providers._record(Call(endpoint, self.command, split.path, query, form, dict(self.headers.items())))
        try:
            if providers.delay:
                providers._cut_short.wait(providers.delay)
            response = None
            fault = providers._take_fault(endpoint, query)
            if fault is not None:
                providers._cut_short.wait(fault.delay)
                if fault.status is not None:
                    response = providers._fault_response(endpoint, fault)
            if response is None:
                request = _Request(self.command, split.path, query, form, self.headers, params)
                try:
                    response = providers._answer(endpoint, request)
                except Exception:  # noqa: BLE001 - a bug here should be a 500, not a hang-up
                    traceback.print_exc()
                    response = _json(500, examples.SERVER_ERROR)
            if fault is not None:
                response = fault.reshape(response)
            self._write(response, trickle=fault.trickle if fault else 0.0, cut=bool(fault and fault.cut))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            providers._finished()

    def _write(self, response: _Response, trickle: float = 0.0, cut: bool = False) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            if value is not None:
                self.send_header(name, value)
        if response.status != 204:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if trickle:
            for at in range(len(response.body)):
                if self.server.providers._cut_short.wait(trickle):
                    self.close_connection = True  # reset(): the rest of the answer never comes
                    return
                self.wfile.write(response.body[at : at + 1])
        elif cut:
            self.wfile.write(response.body[: len(response.body) // 2])
            self.close_connection = True
        elif response.body:
            self.wfile.write(response.body)


def main() -> None:
    """Serve the fake providers on their own until interrupted (``make demo`` also starts the app)."""
    parser = argparse.ArgumentParser(prog="python -m demo.providers", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument(
        "--repos",
        type=int,
        default=150,
        help="repositories each GitHub user has (every fifth private, seen only with the repo scope)",
    )
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before every answer")
    args = parser.parse_args()
    providers = DemoProviders(args.host, args.port, repo_count=args.repos, delay=args.delay).start()
    print(f"Demo Discord:     {providers.discord_url}")
    print(f"Demo GitHub:      {providers.github_url}")
    print(f"Demo GitHub API:  {providers.github_api_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        providers.stop()


if __name__ == "__main__":
    main()
