"""A tiny stand-in for a person's browser: `requests` with cookies, plus HTML form submission.

It keeps every response (redirects included) so tests can scan all that reached the client.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str | None, str | None, str]] = field(default_factory=list)  # name, value, text


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._button: list | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a.get("action") or "", (a.get("method") or "get").lower()))
        elif not self.forms:
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in {"radio", "checkbox"} and "checked" not in a:
                return
            if kind == "submit":
                self.forms[-1].buttons.append((a.get("name"), a.get("value"), a.get("value") or ""))
            elif a.get("name"):
                self.forms[-1].fields.append((a["name"], a.get("value") or ""))
        elif tag == "button":
            self._button = [a.get("name"), a.get("value"), ""]

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None and self.forms:
            name, value, text = self._button
            self.forms[-1].buttons.append((name, value, text.strip()))
            self._button = None


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class Browser:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.session = requests.Session()
        self.responses: list[requests.Response] = []

    def new_tab(self) -> Browser:
        """Another tab: the same cookies, its own connections (a requests.Session is not for two threads)."""
        tab = Browser(self.base_url)
        tab.session.cookies.update(self.session.cookies)
        return tab

    def _record(self, response: requests.Response) -> requests.Response:
        self.responses.extend(response.history)
        self.responses.append(response)
        return response

    def get(self, url: str, **kwargs) -> requests.Response:
        return self._record(self.session.get(urljoin(self.base_url, url), timeout=30, **kwargs))

    def post(self, url: str, data: dict | list, **kwargs) -> requests.Response:
        return self._record(self.session.post(urljoin(self.base_url, url), data=data, timeout=30, **kwargs))

    def follow(self, page: requests.Response, text: str) -> requests.Response:
        """Click the link whose text is `text`, like a person would."""
        for match in re.finditer(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>([^<]*)</a>', page.text):
            if match.group(2).strip() == text:
                return self.get(urljoin(page.url, html.unescape(match.group(1))))
        raise AssertionError(f"no link {text!r} on {page.url}")

    def submit(self, page: requests.Response, button: str, values: dict | None = None, **kwargs) -> requests.Response:
        """Press the button whose text is `button` in the page's form, like a person would (`kwargs` as for
        `requests`: allow_redirects=False stops at the first answer)."""
        for form in forms(page.text):
            for name, value, text in form.buttons:
                if text == button:
                    data = [(k, v) for k, v in form.fields if k not in (values or {})]
                    data += list((values or {}).items())
                    if name:
                        data.append((name, value or ""))
                    url = urljoin(page.url, form.action or page.url)
                    if form.method == "post":
                        return self.post(url, data, **kwargs)
                    return self.get(url, params=data, **kwargs)
        raise AssertionError(f"no button {button!r} on {page.url}")
