"""Headless Debian Chromium driven by Playwright (never a downloaded browser), against live_server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")  # so that DJANGO_ALLOW_ASYNC_UNSAFE ends with the browser tests
def chromium():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing (.ci/run installs Debian's chromium)")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # as new_page's: a slow machine must not fail an assertion that waits

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the tests themselves
    # are synchronous and safe (the app runs in live_server's own threads). Only while a browser runs.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",  # a container's 64 MB /dev/shm is too small for full pages
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


def new_page(chromium, *, javascript: bool = True, width: int = 1440, dark: bool = False):
    context = chromium.new_context(
        java_script_enabled=javascript,
        viewport={"width": width, "height": 900},
        color_scheme="dark" if dark else "light",
    )
    context.set_default_timeout(15_000)
    return context.new_page()


SUBRESOURCES = {"stylesheet", "script", "image", "font", "media"}  # what a page loads, not what a person asks for


def record_complaints(context, complaints: list[str]) -> None:
    """Adds to `complaints` what the browser reports wrong with our pages as they run: a script's uncaught
    exception, a console error such as a Content-Security-Policy violation, or a stylesheet, script or image
    that did not load. A page or a picker search answered with an error status is allowed (the fault tests
    provoke them): Chromium's console line for it, "Failed to load resource", is skipped, and a broken
    stylesheet, script or image is caught from its answer instead. An image Chromium drops because the test
    went on to the next page before it loaded (ERR_ABORTED) is no fault of the page either."""

    def on_console(message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            complaints.append(f"console: {message.text} ({message.location['url']})")

    def on_response(response) -> None:
        if response.request.resource_type in SUBRESOURCES and not response.ok:
            complaints.append(f"{response.status}: {response.url}")

    def on_request_failed(request) -> None:
        if request.resource_type in SUBRESOURCES and request.failure != "net::ERR_ABORTED":
            complaints.append(f"{request.failure}: {request.url}")

    context.on("console", on_console)
    context.on("weberror", lambda error: complaints.append(f"uncaught: {error.error} ({error.location['url']})"))
    context.on("response", on_response)
    context.on("requestfailed", on_request_failed)


@pytest.fixture
def open_page(chromium, live_server, providers):
    """Pages of a test's own kind (JavaScript off, a narrow or dark screen), closed however the test ends;
    a test whose pages made the browser complain fails, whatever it asserted."""
    contexts = []
    complaints: list[str] = []

    def open_(**options):
        page = new_page(chromium, **options)
        record_complaints(page.context, complaints)
        contexts.append(page.context)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not complaints


@pytest.fixture
def page(open_page):
    return open_page()


def screenshot(page, name: str) -> None:
    """Taken on every run; written over README's pictures only with UPDATE_SCREENSHOTS=1, so that a
    test run leaves the work tree as it found it (the dashboard's would change with every run)."""
    image = page.screenshot(full_page=True)
    assert image.startswith(b"\x89PNG"), name
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}.png").write_bytes(image)
