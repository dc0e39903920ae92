"""The API's pages of links, followed by `next` (after the last link's id) rather than by page number."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import BigIntegerField, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination

MAX_PAGE = 100_000
MAX_PAGE_SIZE = 200


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
