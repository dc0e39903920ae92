"""The demo providers' requests and answers, and the plain answers every endpoint builds on.

Why a module of its own: the Discord and GitHub endpoints, the injected faults and the HTTP
server all speak in these, and none of them should depend on another to get them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode

from demo import examples


@dataclass
class Call:
    """One request as received, so tests can assert what the app actually sent."""

    endpoint: str
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: Message
    params: dict[str, str]  # the named parts of the route's path, such as a repository's id


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str | None] = field(default_factory=dict)  # None leaves the header out


def to_int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def parse_body(content_type: str, raw: bytes) -> dict[str, str]:
    """Form bodies for OAuth, a JSON object for GitHub's revoke call."""
    if not raw:
        return {}
    text = raw.decode("utf-8", "replace")
    if "json" in content_type:
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return dict(parse_qsl(text, keep_blank_values=True))


def json_response(status: int, payload: Any, content_type: str = examples.GITHUB_JSON, **headers: str) -> Response:
    body = json.dumps(payload).encode()
    return Response(status, body, {"Content-Type": content_type, **headers})


def discord_json(status: int, payload: Any) -> Response:
    return json_response(status, payload, examples.DISCORD_JSON)


def html_page(status: int, title: str, content: str) -> Response:
    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:34rem;margin:3rem auto;line-height:1.5}"
        "button{margin-right:.5rem}</style></head>\n"
        f"<body><h1>{escape(title)}</h1>\n{content}\n</body></html>\n"
    )
    return Response(status, page.encode(), {"Content-Type": examples.HTML})


def redirect(uri: str, params: list[tuple[str, str]], safe: str = "") -> Response:
    separator = "&" if "?" in uri else "?"
    location = f"{uri}{separator}{urlencode(params, safe=safe)}"
    return Response(302, b"", {"Location": location})
