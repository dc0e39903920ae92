"""The API other services use: which repositories is a Discord user linked to, and who links a repository.

django-ninja does authentication, pagination and the OpenAPI schema (/api/v1/openapi.json).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import Error as DatabaseDriverError
from django.db.models import BigIntegerField, QuerySet
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from django_ratelimit.core import get_usage
from ninja import Field, NinjaAPI, Query, Schema
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.pagination import PageNumberPagination, paginate
from ninja.security import HttpBearer, django_auth

from accounts.identity import social_account
from api.models import ApiToken
from linkapp.cache import CACHE_UNAVAILABLE
from linkapp.database import is_database_unavailable
from linkapp.failures import UNAVAILABLE_RETRY_AFTER
from repos.models import Link

log = logging.getLogger("linkapp.api")


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


def only_read(view: Callable) -> Callable:
    """The schema's address takes GET (and HEAD: api.middleware) as the API's do: another method is a 405, not the
    CSRF check's 403."""
    return csrf_exempt(require_GET(view))


api = NinjaAPI(
    title="linkapp",
    version="1",
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url=None,
    docs_decorator=only_read,
)


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """401 names the scheme to use (RFC 6750), and says when a token was sent and refused. The session-only
    /me/links has no scheme to name, which a 401 must (RFC 9110 15.5.2): 403 there, as Django REST framework
    answers for a session."""
    if request.resolver_match is not None and request.resolver_match.url_name == "my_links":
        return api.create_response(request, {"detail": "Sign in to see your links."}, status=403)
    response = api.create_response(request, {"detail": str(exc)}, status=401)
    refused = ', error="invalid_token"' if bearer_token(request) else ""
    response["WWW-Authenticate"] = f'Bearer realm="linkapp"{refused}'
    return response


def unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database or Redis is down: JSON a service can read, with when to retry, instead of
    the 503 page people get (handler500)."""
    log.warning("api unavailable: %s", type(exc).__name__, exc_info=exc)
    response = api.create_response(request, {"detail": "Service unavailable; try again shortly."}, status=503)
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    return response


for _error in CACHE_UNAVAILABLE:
    api.add_exception_handler(_error, unavailable)


@api.exception_handler(DatabaseDriverError)  # DatabaseError's and InterfaceError's common base
def database_error(request: HttpRequest, exc: DatabaseDriverError) -> HttpResponse:
    """Postgres down or only reading is a 503; any other database error is a bug (handler500's 500)."""
    if not is_database_unavailable(exc):
        raise exc
    return unavailable(request, exc)


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    """429 says when the window ends: this token's, or this address's for refused tokens."""
    detail = exc.detail if isinstance(exc, TokensRefused) else "Too many requests for this token; slow down."
    response = api.create_response(request, {"detail": detail}, status=429)
    response["Retry-After"] = str(max(exc.wait or 1, 1))
    return response


@api.exception_handler(ValidationError)
def invalid_parameters(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Bad parameter values are the client's mistake like unknown ones: 400, not ninja's default 422."""
    return api.create_response(request, {"detail": "Invalid parameters.", "errors": exc.errors}, status=400)


MAX_PAGE = 100_000
MAX_PAGE_SIZE = 200


class LinkOut(Schema):
    discord_id: str
    discord_username: str
    github_id: int
    github_login: str
    repo_id: int
    repo_full_name: str
    repo_private: bool
    created_at: datetime
    updated_at: datetime


class LinkPagination(PageNumberPagination):
    """{"links": [...], "count": N, "next": URL or null}, as CONTRACT.md fixes the key.

    `next` goes on from the last link's id (`after`), not to a page number: when a link on a page already read
    is removed, pages by position would all move up one link and a walk would skip one."""

    items_attribute = "links"

    class Input(Schema):
        # Bounded, so that no page number can overflow the database's OFFSET.
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)
        after: int | None = Field(
            None, ge=0, le=BigIntegerField.MAX_BIGINT, description="the links after this one; as `next` gives it"
        )

    class Output(Schema):
        links: list[Any]
        count: int
        next: str | None = Field(None, description="the next page's address; null on the last page")

    def paginate_queryset(self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params: Any) -> dict:
        page_size = self._get_page_size(pagination.page_size)
        queryset = queryset.order_by("pk")
        if pagination.after is None:
            start = (pagination.page - 1) * page_size
            rows = list(queryset[start : start + page_size + 1])
        elif pagination.page != 1:
            raise HttpError(400, "Give page or after, not both.")
        else:
            rows = list(queryset.filter(pk__gt=pagination.after)[: page_size + 1])
        links, more = rows[:page_size], len(rows) > page_size
        return {
            "links": links,
            "count": self._items_count(queryset),
            "next": next_page(request, links[-1].pk) if more else None,
        }


def next_page(request: HttpRequest, after: int) -> str:
    """https:// on an HTTPS site even where the request came from the proxy as plain HTTP (SECURE_SSL_REDIRECT=0):
    a service following an http:// address would send its token in clear text."""
    query = request.GET.copy()
    query.pop("page", None)
    query["after"] = str(after)
    url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    if settings.HTTPS and url.startswith("http://"):
        return "https://" + url.removeprefix("http://")
    return url


class ErrorOut(Schema):
    detail: str
    errors: list | None = None  # which parameter was refused, on a 400


PAGE_PARAMETERS = {"page", "page_size", "after"}

# The headers a service acts on, in the schema beside the answers that carry them (a generated client reads them there).
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}
WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": 'The scheme to use (RFC 6750): `Bearer realm="linkapp"`, with `error="invalid_token"` when a '
        "token was sent and refused.",
        "required": True,
        "schema": {"type": "string"},
    }
}


def refuse_unknown_or_repeated(request: HttpRequest, allowed: set[str]) -> None:
    """A misspelt parameter would otherwise be ignored, and a repeated one silently taken at its last value."""
    unknown = set(request.GET) - allowed
    if unknown:
        raise HttpError(400, f"Unknown parameter(s): {', '.join(sorted(unknown))}.")
    repeated = [name for name in request.GET if len(request.GET.getlist(name)) > 1]
    if repeated:
        raise HttpError(400, f"Parameter(s) given more than once: {', '.join(sorted(repeated))}.")


@api.get(
    "/links",
    auth=BearerToken(),
    response={200: list[LinkOut], 400: ErrorOut, 401: ErrorOut, 429: ErrorOut, 503: ErrorOut},
    summary="Links of a Discord user or of a repository",
    openapi_extra={
        "responses": {401: {"headers": WWW_AUTHENTICATE}, 429: {"headers": RETRY_AFTER}, 503: {"headers": RETRY_AFTER}}
    },
)
@decorate_view(never_cache)
@paginate(LinkPagination, page_size=50, max_page_size=MAX_PAGE_SIZE)
def links(
    request: HttpRequest,
    discord_id: str | None = Query(None, min_length=1, max_length=32, pattern=r"^[0-9]+$"),  # a snowflake
    repo_id: int | None = Query(None, ge=1, le=BigIntegerField.MAX_BIGINT),
    **kwargs: Any,
) -> QuerySet[Link]:
    refuse_unknown_or_repeated(request, {"discord_id", "repo_id", *PAGE_PARAMETERS})
    if (discord_id is None) == (repo_id is None):
        raise HttpError(400, "Give exactly one of discord_id or repo_id.")
    if discord_id is not None:
        return Link.objects.filter(discord_id=discord_id)
    return Link.objects.filter(repo_id=repo_id)


@api.get(
    "/me/links",
    url_name="my_links",  # `unauthorized` tells this route by its name
    auth=django_auth,
    response={200: list[LinkOut], 400: ErrorOut, 403: ErrorOut, 503: ErrorOut},
    summary="The signed-in person's own links (session cookie)",
    openapi_extra={"responses": {503: {"headers": RETRY_AFTER}}},
)
@decorate_view(never_cache)
@paginate(LinkPagination, page_size=50, max_page_size=MAX_PAGE_SIZE)
def my_links(request: HttpRequest, **kwargs: Any) -> QuerySet[Link]:
    refuse_unknown_or_repeated(request, PAGE_PARAMETERS)
    account = social_account(request.user, "discord")
    if account is None:
        return Link.objects.none()
    return Link.objects.filter(discord_id=account.uid)
