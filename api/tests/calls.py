"""The API called as a service calls it: with its token in the Authorization header."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import Client


def get(client: Client, token: str | None, **params: object) -> HttpResponse:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get("/api/v1/links", params, **headers)
