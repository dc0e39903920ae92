from __future__ import annotations

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp, with the two authorize origins added to form-action.

    Our sign-in forms POST to us and end in a redirect to Discord or GitHub, which browsers
    check against form-action. The origins are read per response, as the settings name them.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only:
            parts.update = {**(parts.update or {}), "form-action": [settings.DISCORD_URL, settings.GITHUB_URL]}
        return parts
