"""What the demo Discord and the demo GitHub share: the consent page, authorization codes (with
PKCE), client credentials and the access tokens they issue.

Why one base for both: the two providers follow the same OAuth2 authorization-code flow and differ
only in details (scope separators, PKCE methods, how a refusal and a token look), which the
methods here take as the ``provider`` argument.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass
from html import escape
from typing import Literal

from demo.messages import Request, Response, html_page, redirect

Provider = Literal["discord", "github"]
_NAMES: dict[Provider, str] = {"discord": "Discord", "github": "GitHub"}

_DEFAULT_LOGINS: dict[Provider, str] = {"discord": "nelly", "github": "octocat"}
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


@dataclass
class TokenInfo:
    """Who an issued access token belongs to and whether it still works."""

    provider: Provider
    login: str
    scopes: list[str]
    revoked: bool = False


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


def random_token(length: int) -> str:
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(length))


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


class OAuthProvider:
    """The authorization server of both demo providers. A mixin: DemoProviders (providers.py) combines it with
    the endpoints and gives it the lock and the addresses."""

    _lock: threading.Lock
    github_url: str

    def _init_oauth(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.tokens: dict[str, TokenInfo] = {}  # every access token issued, revoked ones included
        self._codes: dict[str, _Grant] = {}  # authorization codes not yet exchanged

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

    def _authorize_page(self, provider: Provider, request: Request) -> Response:
        name = _NAMES[provider]
        title = f"Demo {name} — not the real {name}"
        problem = self._authorize_problem(provider, request.query)
        if problem:
            return html_page(400, title, f"<p><strong>Invalid authorization request:</strong> {escape(problem)}</p>")
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
        return html_page(200, title, content)

    def _decide(self, provider: Provider, request: Request) -> Response:
        params = {k: v for k, v in request.form.items() if k not in ("login", "decision")}
        problem = self._authorize_problem(provider, params)
        if problem:
            name = _NAMES[provider]
            return html_page(400, f"Demo {name} — not the real {name}", f"<p>{escape(problem)}</p>")
        state = [("state", params["state"])] if "state" in params else []
        if provider == "github":  # GitHub names itself in every callback (RFC 9207)
            state.append(("iss", f"{self.github_url}/login/oauth"))
        if request.form.get("decision") != "authorize":
            if provider == "discord":
                return redirect(params["redirect_uri"], [*_DISCORD_ACCESS_DENIED, *state])
            return redirect(params["redirect_uri"], [*_GITHUB_ACCESS_DENIED, *state], safe="/")
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
        return redirect(params["redirect_uri"], [("code", code), *state])

    def _client_ok(self, request: Request, *, basic_only: bool = False) -> tuple[bool, str]:
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

    def _redeem(self, provider: Provider, request: Request) -> tuple[_Grant | None, str]:
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
        token = prefix + random_token(36 if provider == "github" else 30)
        with self._lock:
            self.tokens[token] = TokenInfo(provider, login, scopes)
        return token

    def _bearer(self, request: Request, provider: Provider) -> TokenInfo | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        schemes = ("bearer",) if provider == "discord" else ("bearer", "token")
        if scheme.lower() not in schemes:
            return None
        info = self.tokens.get(token.strip())
        if info is None or info.revoked or info.provider != provider:
            return None
        return info
