"""The wizard's steps as a person walks them, for the integration tests."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import requests
from django.contrib.sessions.backends.cache import SessionStore

from accounts.wizard_store import WizardStore
from tests.browser import Browser


def sign_in_with_discord(browser: Browser, login: str = "nelly") -> requests.Response:
    authorize = browser.submit(browser.get("/"), "Connect with Discord")
    return browser.submit(authorize, "Authorize", {"login": login})


def connect_github(browser: Browser, page: requests.Response, login: str = "octocat") -> requests.Response:
    authorize = browser.submit(page, "Connect with GitHub")
    return browser.submit(authorize, "Authorize", {"login": login})


def walk_to_picker(browser: Browser, discord: str = "nelly", github: str = "octocat") -> requests.Response:
    step2 = sign_in_with_discord(browser, discord)
    assert step2.status_code == 200, step2.text
    picker = connect_github(browser, step2, github)
    assert picker.status_code == 200, picker.text
    return picker


def app_seconds(page: requests.Response) -> float:
    """How long the app took to answer the requests that led to `page`, its redirects included (a callback
    that redirects to the picker, say), and not the provider's pages in between: what a person waits for us."""
    app = urlsplit(page.url).netloc
    return sum(hop.elapsed.total_seconds() for hop in [*page.history, page] if urlsplit(hop.url).netloc == app)


def wizard_of(browser: Browser) -> WizardStore:
    """The server-side wizard data of this browser's session, as the app reads it."""
    return WizardStore(SessionStore(browser.session.cookies.get("sessionid")))


def github_token_of(browser: Browser) -> str:
    return wizard_of(browser).github_token()["access_token"]


def age_state(browser: Browser, seconds: float) -> SessionStore:
    """Makes the sign-in attempt waiting in this browser's session `seconds` older: only its state's `created`,
    which linkapp.oauth checks against WIZARD_TTL, not the session."""
    # Imported here: allauth's models need Django set up, and bench/ imports this module before it is.
    from allauth.socialaccount.internal.statekit import STATES_SESSION_KEY

    session = SessionStore(browser.session.cookies.get("sessionid"))
    (stashed,) = session[STATES_SESSION_KEY].values()
    stashed[0]["created"] -= seconds
    session.save()
    return session


def retry_url(page: requests.Response) -> str:
    """Where a failure page's "Try again" leads."""
    return re.search(r'href="([^"]+)">Try again', page.text).group(1)


def quoted_reference(page: requests.Response) -> str | None:
    """The reference a failure page asks a person to quote to support, if it shows one."""
    found = re.search(r"quote reference <code>([^<]+)</code>", page.text)
    return found.group(1) if found else None


def csrf_token(page: requests.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def linkable_ids(picker: requests.Response) -> list[int]:
    """Ids of the repositories on this picker page that the person may link."""
    return [int(i) for i in re.findall(r'value="(\d+)" id="repo-\d+" required', picker.text)]


def disabled_ids(picker: requests.Response) -> list[int]:
    """Ids shown but disabled (below LINK_MIN_PERMISSION)."""
    return [int(i) for i in re.findall(r'value="(\d+)" id="repo-\d+" disabled', picker.text)]


def repo_ids(picker: requests.Response) -> dict[str, int]:
    """owner/name -> id for every radio in the picker."""
    pairs = re.findall(
        r'name="repo_id" value="(\d+)" id="repo-\d+"[^>]*>\s*<label for="repo-\d+">([^<]+)</label>', picker.text
    )
    return {name: int(repo_id) for repo_id, name in pairs}


def all_repo_ids(browser: Browser, picker: requests.Response) -> dict[str, int]:
    """Every repository of every picker page, following the "Next" links like a person."""
    found = repo_ids(picker)
    while match := re.search(r'<a href="([^"]+)" rel="next">Next</a>', picker.text):
        picker = browser.get(urljoin(picker.url, html.unescape(match.group(1))))
        found.update(repo_ids(picker))
    return found


def first_linkable_repo(picker: requests.Response) -> tuple[str, int]:
    """(full name, id) of the first repository the person may link (radios of the others are disabled)."""
    match = re.search(
        r'name="repo_id" value="(\d+)" id="repo-\d+" required(?: checked)?>\s*<label for="repo-\d+">([^<]+)</label>',
        picker.text,
    )
    assert match, "no linkable repository on the page"
    return match.group(2), int(match.group(1))
