"""Who may call the API: a bearer token issued with create_api_token. Requests are counted per token
(API_RATE_LIMIT), and refused tokens per address on the sign-in rate (LOGIN_RATE_LIMIT, as linkapp.ratelimits
counts sign-ins), so that guessing tokens is as slow as guessing passwords."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage
from ninja.errors import Throttled
from ninja.security import HttpBearer

from api.models import ApiToken


class TokensRefused(Throttled):
    """This address sent too many tokens that are no tokens: guessing, or a service with a revoked one.
    Only refused tokens count and get this answer: a valid one from the same address (a shared NAT) still works."""

    detail = "Too many refused tokens from this address; check the token."


def bearer_token(request: HttpRequest) -> str:
    """The token after "Bearer" and one or more spaces (RFC 6750 2.1); "" when there is none."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.lstrip(" ") if scheme.lower() == "bearer" else ""


class BearerToken(HttpBearer):
    def __call__(self, request: HttpRequest) -> ApiToken | None:
        # Not ninja's own reading: it logs a header of another scheme in full under DEBUG (a credential in the
        # log), and takes only one space after the scheme.
        token = bearer_token(request)
        return self.authenticate(request, token) if token else None

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = ApiToken.authenticate(token)
        if api_token is None:
            refused = get_usage(request, group="api-refused", key="ip", rate=settings.LOGIN_RATE_LIMIT, increment=True)
            if refused and refused["should_limit"]:
                raise TokensRefused(wait=refused["time_left"])
            return None
        usage = get_usage(
            request,
            group="api",
            key=lambda group, req: str(api_token.pk),
            rate=settings.API_RATE_LIMIT,
            increment=True,
        )
        if usage and usage["should_limit"]:  # no usage when rate limits are switched off
            raise Throttled(wait=usage["time_left"])
        return api_token
