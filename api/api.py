"""The API other services use: which repositories is a Discord user linked to, and who links a repository.

django-ninja does authentication (auth.py), pagination (pagination.py) and the OpenAPI schema
(/api/v1/openapi.json).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import Error as DatabaseDriverError
from django.db.models import BigIntegerField, QuerySet
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from ninja import Field, NinjaAPI, Query, Schema
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.pagination import paginate
from ninja.security import django_auth

from accounts.identity import social_account
from api.auth import BearerToken, TokensRefused, bearer_token
from api.pagination import MAX_PAGE_SIZE, LinkPagination
from linkapp.cache import CACHE_UNAVAILABLE
from linkapp.database import is_database_unavailable
from linkapp.failures import UNAVAILABLE_RETRY_AFTER
from linkapp.logs import one_line, unavailable_service
from repos.models import Link

log = logging.getLogger("linkapp.api")


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
    log.warning("api unavailable: %s unavailable: %s", unavailable_service(exc), one_line(exc))
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


class LinkOut(Schema):
    """A service matches on the ids: the names beside them are as last seen, and a name given up may be taken
    by someone else."""

    discord_id: str = Field(description="The Discord user's id (a snowflake, as a string).")
    discord_username: str = Field(description="The Discord handle as last seen (at the person's latest sign-in).")
    github_id: int = Field(
        description="The GitHub account the person last linked it with. Several Discord users' links may carry "
        "the same id: a GitHub account moves to whichever Discord user connects it last."
    )
    github_login: str = Field(description="The GitHub login as last seen by the person's wizard.")
    repo_id: int = Field(description="GitHub's repository id: the same through renames and transfers.")
    repo_full_name: str = Field(description="owner/name as last seen by the person's wizard.")
    repo_private: bool = Field(description="The repository's visibility as last seen by the person's wizard.")
    created_at: datetime = Field(description="When this link was made (a link removed and made again starts afresh).")
    updated_at: datetime = Field(
        description="When the person last linked it (again); names brought up to date do not change it."
    )


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
