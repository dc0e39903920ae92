"""HEAD on the API is its GET: RFC 9110 (9.1) asks every server to take both, and uptime probes and HTTP
libraries check a resource with HEAD. Django's class-based views do this themselves; django-ninja's routes take
only the methods they name, and naming HEAD there would put a second operation of the same id in the schema.
linkapp.head_requests leaves the body out."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed

from linkapp.failures import is_api


class HeadIsGet:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request):
            return self.get_response(request)
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            if head:  # for HeadWithoutBody, which leaves out the body of a HEAD's answer, and for the logs
                request.method = "HEAD"
        if isinstance(response, HttpResponseNotAllowed) and "GET" in response["Allow"].split(", "):
            response["Allow"] = f"{response['Allow']}, HEAD"
        return response
