"""The demo Discord: its token and revocation URLs, ``/users/@me`` and its avatar CDN (its consent page is oauth.py's)."""

from __future__ import annotations

import hashlib
import struct
import zlib

from demo import examples
from demo.github_objects import stable_int
from demo.messages import Request, Response, discord_json
from demo.oauth import OAuthProvider, random_token


def _solid_png(size: int, rgb: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + rgb * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _form_refused(request: Request) -> Response | None:
    """Discord's token and revocation URLs accept only form bodies: "JSON content is not permitted and will
    return an error" (../shared/provider-examples/discord_authorize_params.md). No example of that error
    exists; this is Discord's general error shape."""
    if "json" in (request.headers.get("Content-Type") or ""):
        return discord_json(400, {"message": "400: Bad Request", "code": 0})
    return None


def _invalid_grant(bad_field: str) -> Response:
    payload = examples.DISCORD_INVALID_GRANT.copy()
    payload["error_description"] = f'Invalid "{bad_field}" in request'
    return discord_json(400, payload)


class FakeDiscord(OAuthProvider):
    """Discord's endpoints, one method per route name ``discord.*`` (see the routes in providers.py). A mixin,
    used through DemoProviders."""

    def _init_discord(self) -> None:
        self._refresh_tokens: dict[str, str] = {}  # refresh token -> access token

    def _discord_authorize(self, request: Request) -> Response:
        return self._authorize_page("discord", request)

    def _discord_decide(self, request: Request) -> Response:
        return self._decide("discord", request)

    def _discord_token(self, request: Request) -> Response:
        if refused := _form_refused(request):
            return refused
        if not self._client_ok(request)[0]:
            return discord_json(401, {"error": "invalid_client"})
        if request.form.get("grant_type") != "authorization_code":  # the app never refreshes a Discord token
            return _invalid_grant("grant_type")
        grant, bad_field = self._redeem("discord", request)
        if grant is None:
            return _invalid_grant(bad_field)
        login, scopes = grant.login, list(grant.scopes)
        access_token = self._issue("discord", login, scopes)
        refresh_token = random_token(30)
        with self._lock:
            self._refresh_tokens[refresh_token] = access_token
        payload = examples.DISCORD_TOKEN.copy()
        payload.update(access_token=access_token, refresh_token=refresh_token, scope=" ".join(scopes))
        return discord_json(200, payload)

    def _discord_profile(self, request: Request) -> Response:
        response = self._profile_answer(request)
        # Discord sends its per-route rate-limit headers "on most responses" (discord_errors.json).
        response.headers.update(examples.discord_rate_limit_headers("rate_limit_headers_example"))
        return response

    def _profile_answer(self, request: Request) -> Response:
        info = self._bearer(request, "discord")
        if info is None:
            return discord_json(401, examples.DISCORD_UNAUTHORIZED)
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
        return discord_json(200, user)

    def _discord_revoke(self, request: Request) -> Response:
        if refused := _form_refused(request):
            return refused
        if not self._client_ok(request)[0]:
            return discord_json(401, {"error": "invalid_client"})
        token = request.form.get("token", "")
        with self._lock:
            access = self._refresh_tokens.get(token, token)
            info = self.tokens.get(access)
            if info is not None and info.provider == "discord":
                info.revoked = True
                for refresh, paired in list(self._refresh_tokens.items()):
                    if paired == access:
                        del self._refresh_tokens[refresh]
        return discord_json(200, {})

    def _discord_avatar(self, request: Request) -> Response:
        """Discord's CDN stand-in: a solid 48x48 PNG in a colour taken from the avatar hash."""
        rgb = bytes.fromhex(request.params["hash"][:6].ljust(6, "0"))
        return Response(200, _solid_png(48, rgb), {"Content-Type": "image/png", "Cache-Control": "max-age=86400"})
