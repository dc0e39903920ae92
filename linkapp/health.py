"""Liveness/readiness for load balancers: the database and the cache must both answer."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

log = logging.getLogger(__name__)


def _failures() -> list[str]:
    failed = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database fault means "not ready"
        log.warning("health: database unavailable", exc_info=True)
        failed.append("database")
    try:
        cache.set("healthz", "1", 10)
        if cache.get("healthz") != "1":
            raise RuntimeError("cache read back nothing")
    except Exception:  # any cache fault means "not ready"
        log.warning("health: cache unavailable", exc_info=True)
        failed.append("cache")
    return failed


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Any method: HAProxy's `option httpchk /healthz` asks with OPTIONS."""
    failed = _failures()
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ok"})
