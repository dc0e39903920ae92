"""The admin as staff use it, in Chromium: Django's own scripts (the action bar's "Select all") with our
delete confirmation, under the app's Content-Security-Policy (the browser's complaints fail a test: conftest)."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from repos.admin import LinkAdmin
from repos.models import Link, LinkEvent
from tests.links import make_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_select_all_over_pages_deletes_what_the_search_found_and_audits_it(page, live_server, monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")
    monkeypatch.setattr(LinkAdmin, "list_per_page", 2)  # "Select all" is offered once a search fills more pages
    User.objects.create_superuser("boss", "boss@example.com", "a long admin password")
    found = [make_link(str(n), n, f"acme/balloon-{n}") for n in (1, 2, 3)]
    kept = make_link("4", 4, "acme/rocket")

    page.goto(f"{live_server.url}/admin/repos/link/?q=balloon")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("a long admin password")
    page.get_by_role("button", name="Log in").click()
    page.locator("#action-toggle").check()
    page.get_by_role("button", name="Select all 3 links").click()
    page.locator("select[name=action]").select_option("delete_selected")
    page.get_by_role("button", name="Go").click()

    expect(page.get_by_role("heading", name="Delete multiple objects")).to_be_visible()
    expect(page.locator("#content li").get_by_role("link")).to_have_text(
        [f"user-{n} → acme/balloon-{n}" for n in (3, 2, 1)]
    )
    expect(page.locator('input[name="select_across"]')).to_have_value("1")  # ours: the selection, not 3 ids
    page.get_by_role("button", name="Yes, I’m sure").click()

    expect(page.locator(".messagelist")).to_contain_text("Successfully deleted 3 links.")
    assert list(Link.objects.all()) == [kept]
    removed = LinkEvent.objects.filter(action=LinkEvent.Action.REMOVED, actor="admin:boss")
    assert sorted(removed.values_list("repo_id", flat=True)) == [link.repo_id for link in found]
    # Nor did the browser ask the app for anything it does not have: /favicon.ico, say (Playwright does not show
    # that request), which it asks for when a page names no icon; django.request logs each such 404.
    assert [record.getMessage() for record in caplog.records if getattr(record, "status_code", None) == 404] == []
