"""Readiness for load balancers (`/healthz`, `/readyz`): the database and the cache must both answer. Not for a
liveness probe that restarts the instance: an outage of either would restart every instance (README)."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from linkapp.logs import one_line

log = logging.getLogger(__name__)


def unavailable_services() -> list[str]:
    """Which of "database" and "cache" do not answer: for the checks, and for the demo before it starts. Logged in
    one line each, not a traceback: through an outage, a probe asks every few seconds."""
    failed = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any database fault means "not ready"
        log.warning("health: database unavailable: %s", one_line(exc))
        failed.append("database")
    try:
        cache.set("healthz", "1", 10)
        if cache.get("healthz") != "1":
            raise RuntimeError("cache read back nothing")
    except Exception as exc:  # any cache fault means "not ready"
        log.warning("health: cache unavailable: %s", one_line(exc))
        failed.append("cache")
    return failed


@csrf_exempt  # a check may POST; it changes nothing a forged one could use (test_health.py)
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Any method: HAProxy's `option httpchk /healthz` asks with OPTIONS."""
    failed = unavailable_services()
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ok"})
