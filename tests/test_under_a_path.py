"""README, "Under a path": the app served at https://example.org/linkapp/ by a proxy that takes the path off.
gunicorn as an operator starts it (FORCE_SCRIPT_NAME set), behind tests.path_proxy, against the demo providers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from api.models import ApiToken
from linkapp.tests.gunicorn_process import gunicorn_serving
from repos.models import Link
from tests.browser import Browser
from tests.links import make_link
from tests.path_proxy import PathProxy
from tests.services import free_port, suite_database_url
from tests.wizard import connect_github, first_linkable_repo

PREFIX = "/linkapp"

pytestmark = pytest.mark.django_db(transaction=True)  # gunicorn's commits are read, and emptied afterwards


def addresses_in(page: requests.Response) -> set[str]:
    """Every address a page leads a browser to: links, forms, stylesheets, scripts, images."""
    return set(re.findall(r'(?:href|src|action)="([^"#][^"]*)"', page.text))


@pytest.fixture
def served_under_a_path(free_tcp_port, providers) -> Iterator[str]:
    """The app's address under the path, through the proxy: http://127.0.0.1:PORT/linkapp/."""
    env = {"FORCE_SCRIPT_NAME": PREFIX, "DATABASE_URL": suite_database_url(), **providers.addresses()}
    with gunicorn_serving(free_tcp_port, env), PathProxy(PREFIX, free_tcp_port) as proxy:
        yield f"http://127.0.0.1:{proxy.port}{PREFIX}/"


def test_the_whole_wizard_under_a_path(served_under_a_path, providers):
    browser = Browser(served_under_a_path)
    home = browser.get(served_under_a_path)
    step2 = browser.submit(browser.submit(home, "Connect with Discord"), "Authorize", {"login": "nelly"})
    picker = connect_github(browser, step2)
    full_name, repo_id = first_linkable_repo(picker)
    dashboard = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert dashboard.status_code == 200 and full_name in dashboard.text
    assert urlsplit(dashboard.url).path == f"{PREFIX}/dashboard/"
    assert list(Link.objects.values_list("discord_username", "repo_full_name")) == [("nelly", full_name)]
    # The callbacks Discord and GitHub were given (and must be registered) are under the path.
    for provider in ("discord", "github"):
        (authorize,) = providers.calls_to(f"{provider}.authorize")
        assert authorize.query["redirect_uri"] == f"{served_under_a_path}accounts/{provider}/login/callback/"
    # Every address on our pages is under the path, and each stylesheet, script and image is served there.
    ours = [page for page in browser.responses if page.url.startswith(served_under_a_path)]
    assert len(ours) >= 5
    for page in ours:
        for address in addresses_in(page):
            absolute = urljoin(page.url, address)
            if not absolute.startswith((providers.discord_url, providers.github_url)):
                assert absolute.startswith(served_under_a_path), (page.url, address)
    assets = {address for page in ours for address in addresses_in(page) if "/static/" in address}
    assert {f"{PREFIX}/static/linkapp.css", f"{PREFIX}/static/picker.js"} <= assets
    for asset in assets:
        assert browser.get(urljoin(served_under_a_path, asset)).status_code == 200, asset


def test_error_pages_lead_back_under_the_path(served_under_a_path):
    missing = requests.get(f"{served_under_a_path}no-such-page/", timeout=10)

    assert missing.status_code == 404
    assert addresses_in(missing) >= {f"{PREFIX}/", f"{PREFIX}/static/linkapp.css"}
    assert all(address.startswith(f"{PREFIX}/") for address in addresses_in(missing))


def test_the_unavailable_page_leads_back_under_the_path(free_tcp_port):
    """Redis down: the 503 page (rendered without the request, with no template of the site around it)."""
    redis_down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    env = {"FORCE_SCRIPT_NAME": PREFIX, "REDIS_URL": redis_down}
    with gunicorn_serving(free_tcp_port, env), PathProxy(PREFIX, free_tcp_port) as proxy:
        page = requests.get(
            f"http://127.0.0.1:{proxy.port}{PREFIX}/dashboard/", cookies={"sessionid": "a" * 32}, timeout=10
        )

    assert page.status_code == 503 and "Your session cannot be read just now" in page.text
    assert addresses_in(page) == {f"{PREFIX}/", f"{PREFIX}/static/linkapp.css", f"{PREFIX}/static/favicon.svg"}


def test_the_api_under_the_path(served_under_a_path):
    """Other services call it at /linkapp/api/v1/, with HEAD as GET and JSON for every refusal."""
    _, secret = ApiToken.issue("bot")
    make_link("80351110224678912", 1296269, "octocat/Hello-World")
    api = f"{served_under_a_path}api/v1/"
    bearer = {"Authorization": f"Bearer {secret}"}

    found = requests.get(f"{api}links", params={"repo_id": 1296269}, headers=bearer, timeout=10)
    head = requests.head(f"{api}links", params={"repo_id": 1296269}, headers=bearer, timeout=10)
    missing = requests.get(f"{api}no-such-thing", headers=bearer, timeout=10)
    schema = requests.get(f"{api}openapi.json", timeout=10)

    assert [link["repo_full_name"] for link in found.json()["links"]] == ["octocat/Hello-World"]
    assert head.status_code == 200 and head.headers["Content-Type"].startswith("application/json")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
    assert f"{PREFIX}/api/v1/links" in schema.json()["paths"]
