"""The wizard as people use it: by mouse and by keyboard, with JavaScript and without, at 375 px,
with axe-core checking every page for WCAG 2.2 AA violations."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

import pytest
from allauth.socialaccount.models import SocialAccount
from axe_playwright_python.sync_playwright import Axe
from django.contrib.sessions.backends.cache import SessionStore
from playwright.sync_api import Page, expect

from accounts.wizard_store import GITHUB_TOKEN, WizardStore
from demo.providers import Fault
from repos.models import Link, LinkEvent
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
AXE = Axe()
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


def assert_accessible(page: Page) -> None:
    results = AXE.run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def assert_no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def sign_in(page: Page, base: str, discord: str = "nelly") -> None:
    page.goto(base)
    page.get_by_role("button", name="Connect with Discord").click()
    page.get_by_label("Demo Discord user").fill(discord)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("button", name="Connect with GitHub")).to_be_visible()


def connect(page: Page, github: str = "octocat") -> None:
    page.get_by_role("button", name="Connect with GitHub").click()
    page.get_by_label("Demo GitHub user").fill(github)
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("heading", name="Choose a repository")).to_be_visible()
    # The heading shows before picker.js (deferred) has run: typing earlier would search nothing (a CI run did).
    page.wait_for_load_state("domcontentloaded")


def first_linkable(page: Page):
    return page.locator('input[name="repo_id"]:not([disabled])').first


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_whole_wizard_by_mouse(open_page, live_server, javascript):
    """With JavaScript off the page cannot run axe or be inspected by script: those checks run in the JS pass."""
    page = open_page(javascript=javascript)
    base = live_server.url
    page.goto(base)
    expect(page.locator('[aria-current="step"]')).to_contain_text("Discord")
    if javascript:
        assert_accessible(page)
        screenshot(page, "1-start")

    sign_in(page, base)
    expect(page.locator('[aria-current="step"]')).to_contain_text("GitHub")
    expect(page.locator(".identity")).to_contain_text("Nelly")
    if javascript:
        assert_accessible(page)
        screenshot(page, "2-github")

    connect(page)
    expect(page.locator('[aria-current="step"]')).to_contain_text("Repository")
    # Shown by more than colour: the steps done carry a tick, the rest their number.
    expect(page.locator(".steps .step-number")).to_have_text(["✓", "✓", "3", "4"])
    expect(page.locator(".identity")).to_contain_text("octocat")
    if javascript:
        assert_accessible(page)
        screenshot(page, "3-picker")

    radio = first_linkable(page)
    name = page.locator(f'label[for="{radio.get_attribute("id")}"]').inner_text()
    page.get_by_label(name, exact=True).check()
    page.get_by_role("button", name="Link repository").click()

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    if javascript:
        page.wait_for_load_state("load")  # the heading shows before its images have loaded
        assert page.locator("img.avatar").evaluate("img => img.naturalWidth") > 0  # served by our server
        assert_no_horizontal_scroll(page)
        assert_accessible(page)
        screenshot(page, "4-dashboard")
    assert Link.objects.get().repo_full_name == name

    page.get_by_role("link", name=f"Unlink {name}").click()
    expect(page.get_by_role("heading", name=f"Unlink {name}?")).to_be_visible()
    if javascript:
        assert_accessible(page)
    page.get_by_role("button", name="Unlink").click()
    expect(page.get_by_text(f"{name} is no longer linked")).to_be_visible()
    # The outcome has the focus, so a screen reader reads it first (it sits above the page's heading).
    expect(page.locator("#messages[role=status]")).to_be_focused()
    assert not Link.objects.exists()

    page.get_by_role("link", name="Connected accounts").click()
    expect(page.get_by_label("Nelly (Discord): how you sign in, so it stays connected")).to_be_disabled()
    if javascript:
        assert_accessible(page)
    page.get_by_label("octocat (GitHub)").check()
    page.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_label("octocat (GitHub)")).to_have_count(0)
    assert not SocialAccount.objects.filter(provider="github").exists()


def test_search_works_without_javascript(open_page, live_server):
    page = open_page(javascript=False)
    sign_in(page, live_server.url)
    connect(page)
    target = page.locator(".repo-list label").nth(2).inner_text()
    search = page.get_by_role("search")  # a landmark a screen reader can jump to
    search.get_by_label("Search").fill(target)
    search.get_by_role("button", name="Search").click()
    expect(page.locator(".repo-list label")).to_have_text([target])


def tab_to(page: Page, locator, limit: int = 80) -> None:
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if locator.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {locator} with Tab")


def test_whole_wizard_by_keyboard(page, live_server):
    page.goto(live_server.url)
    tab_to(page, page.get_by_role("button", name="Connect with Discord"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name="Authorize"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name="Connect with GitHub"))
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name="Authorize"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Choose a repository")).to_be_visible()

    radio = first_linkable(page)
    tab_to(page, radio)
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    # The focus ring is visible on the radio.
    assert radio.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    tab_to(page, page.get_by_role("button", name="Link repository"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert Link.objects.count() == 1


def test_search_filters_as_you_type(page, live_server, providers):
    sign_in(page, live_server.url)
    connect(page)
    names = page.locator(".repo-list label").all_inner_texts()
    target = names[3]
    typed = target.split("/")[1]
    page.get_by_label("Search").press_sequentially(typed, delay=20)
    expect(page.locator(".repo-list label")).to_have_count(1)  # no button pressed: JavaScript did it
    expect(page.locator(".repo-list label")).to_have_text(target)
    # The address follows the last answer, so no search is still on its way from here on.
    expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(quote_plus(typed))}(&|$)"))
    # A screen reader hears the short count from a status region, not the whole list read out again.
    expect(page.locator("#result-count[role=status]")).to_have_text(re.compile(r"^1 of \d+ repositories matches\.$"))
    assert page.locator("[aria-live]").count() == 0

    (session,) = [c["value"] for c in page.context.cookies() if c["name"] == "sessionid"]
    WizardStore(SessionStore(session)).delete(GITHUB_TOKEN)  # the GitHub connection expires meanwhile
    page.get_by_label("Search").press_sequentially("x")
    # Typing then shows the server's own explanation instead of silently doing nothing.
    expect(page.get_by_role("heading", name="Connect with GitHub first")).to_be_visible()


def test_a_choice_made_while_the_list_updates_is_kept(page, live_server, providers):
    """The answer to the person's typing lands after they chose (and moved onto) a repository: the fresh list
    keeps both, so "Link repository" links what they chose and a screen reader stays where it was."""
    sign_in(page, live_server.url)
    connect(page)
    radio = first_linkable(page)
    repo_id = radio.get_attribute("value")
    radio.check()
    radio.focus()
    radio.evaluate("radio => { radio.dataset.before = '' }")  # to tell the fresh list's radio from this one

    with page.expect_response(lambda response: "/repositories/?" in response.url):
        page.locator("#repo-search").dispatch_event("input")  # typed just before; the answer lands now

    fresh = page.locator(f"#repo-{repo_id}:not([data-before])")
    expect(fresh).to_be_checked()
    expect(fresh).to_be_focused()

    page.get_by_role("button", name="Link repository").focus()  # a control the fresh list cannot name
    with page.expect_response(lambda response: "/repositories/?" in response.url):
        page.locator("#repo-search").dispatch_event("input")
    expect(page.locator("#results")).to_be_focused()  # still in the list, not fallen back to the page


# Scripts run before the page's own (page.add_init_script), to see what picker.js does without changing it.
SEARCHES_SENT = """
window.searches = [];
const fetchOfThePage = window.fetch;
window.fetch = function (url, options) {
  window.searches.push(String(url));
  return fetchOfThePage.call(this, url, options);
};
"""
ANSWERS_READ = """
let answersRead = 0;
const textOfThePage = Response.prototype.text;
Response.prototype.text = function () {
  return textOfThePage.call(this).then((body) => {
    setTimeout(() => {  // a task after the one in which picker.js used the answer
      document.documentElement.dataset.answersRead = ++answersRead;
    });
    return body;
  });
};
"""
SEARCH_ANSWER = re.compile(r"/repositories/\?")


def test_typing_searches_once_a_quarter_second_after_the_last_key(page, live_server):
    """One search for the word typed, not one per letter (each asks the server, and the last answer wins anyway);
    and the search box keeps the focus when the list changes, so the person types on."""
    page.add_init_script(SEARCHES_SENT)
    page.clock.install()
    sign_in(page, live_server.url)
    connect(page)
    target = page.locator(".repo-list label").nth(3).inner_text()
    typed = target.split("/")[1]
    search = page.get_by_label("Search")
    search.focus()
    page.clock.pause_at(page.evaluate("Date.now() / 1000") + 1)  # in seconds

    for letter in typed:
        page.keyboard.type(letter)
        page.clock.run_for(200)
    page.clock.run_for(49)
    assert page.evaluate("window.searches") == []
    page.clock.run_for(1)
    (sent,) = page.evaluate("window.searches")
    assert f"q={quote_plus(typed)}&" in sent

    expect(page.locator(".repo-list label")).to_have_text([target])
    expect(search).to_be_focused()


def test_an_answer_overtaken_by_later_typing_is_dropped(page, live_server):
    """The answer to what was typed first lands last (a slow search): the list stays the one for the last typing."""
    page.add_init_script(ANSWERS_READ)
    sign_in(page, live_server.url)
    connect(page)
    target = page.locator(".repo-list label").nth(3).inner_text()
    typed = target.split("/")[1]
    held = []
    page.route(SEARCH_ANSWER, lambda route: held.append(route) if "no-such" in route.request.url else route.continue_())
    search = page.get_by_label("Search")
    with page.expect_request(lambda request: "no-such" in request.url):
        search.fill("no-such-repository")
    search.fill(typed)
    expect(page.locator(".repo-list label")).to_have_text([target])

    (late,) = held
    late.continue_()
    expect(page.locator("html")).to_have_attribute("data-answers-read", "2")  # wait_for_function evals: the CSP refuses

    expect(page.locator(".repo-list label")).to_have_text([target])
    expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(quote_plus(typed))}(&|$)"))


def test_typing_after_a_link_saved_in_another_tab_shows_the_dashboard(page, live_server):
    """Linking ends the GitHub connection; the server then answers the search with the dashboard (200, no list):
    the tab goes there, as pressing Search would, instead of silently ignoring the typing."""
    sign_in(page, live_server.url)
    connect(page)
    other = page.context.new_page()
    other.goto(page.url)
    first_linkable(other).check()
    other.get_by_role("button", name="Link repository").click()
    expect(other.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.get_by_label("Search").fill("hello")

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Your GitHub connection ended when your link was saved")).to_be_visible()


def test_the_back_button_after_linking_goes_back_to_the_dashboard(page, live_server, providers):
    """Back from the dashboard, twice: the picker (the dashboard now, with a word), then GitHub's consent page,
    where Authorize again lands on the dashboard too: the link ended the GitHub connection."""
    sign_in(page, live_server.url)
    connect(page)
    first_linkable(page).check()
    page.get_by_role("button", name="Link repository").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.go_back()
    expect(page.get_by_text("Your GitHub connection ended when your link was saved")).to_be_visible()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="Authorize").click()

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert Link.objects.count() == 1
    assert len(providers.calls_to("github.token")) == 1  # the code GitHub sent again was not exchanged


def test_the_back_button_after_signing_out_shows_nothing_of_the_person(page, live_server):
    """The picker is asked for again, not shown from a cache: it is sent with no-store, and it varies by the
    session cookie, which signing out replaces."""
    sign_in(page, live_server.url)
    connect(page)
    name = page.locator(f'label[for="{first_linkable(page).get_attribute("id")}"]').inner_text()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Connect with Discord")).to_be_visible()

    page.go_back()

    expect(page.get_by_role("heading", name="Start with Discord")).to_be_visible()
    expect(page.get_by_text(name)).to_have_count(0)
    expect(page.get_by_text("octocat")).to_have_count(0)


def test_a_choice_the_fresh_list_no_longer_allows_is_not_kept(page, live_server):
    """GitHub lowered the person's access to the chosen repository meanwhile (a "Refresh list" in another tab):
    its radio comes back disabled, and not checked: a disabled radio is left out of the form it seems to fill."""
    sign_in(page, live_server.url)
    connect(page)
    radio = first_linkable(page)
    repo_id = radio.get_attribute("value")
    radio.check()

    def read_only_now(route):
        response = route.fetch()
        allowed, refused = f'id="repo-{repo_id}" required', f'id="repo-{repo_id}" disabled'
        assert allowed in response.text()
        route.fulfill(response=response, body=response.text().replace(allowed, refused))

    page.route(SEARCH_ANSWER, read_only_now)
    page.locator("#repo-search").dispatch_event("input")

    fresh = page.locator(f"#repo-{repo_id}")
    expect(fresh).to_be_disabled()
    expect(fresh).not_to_be_checked()


def test_a_search_lost_on_the_network_leaves_the_page_working(page, live_server):
    """The answer never comes (the connection dropped): no script fails, and the Search button still works."""
    failures = []
    page.on("pageerror", lambda error: failures.append(error))
    sign_in(page, live_server.url)
    connect(page)
    target = page.locator(".repo-list label").nth(3).inner_text()
    typed = target.split("/")[1]
    page.route(SEARCH_ANSWER, lambda route: route.abort())
    with page.expect_event("requestfailed", lambda request: SEARCH_ANSWER.search(request.url)):
        page.get_by_label("Search").fill(typed)
    page.unroute(SEARCH_ANSWER)

    page.get_by_role("button", name="Search").click()

    expect(page.locator(".repo-list label")).to_have_text([target])
    assert failures == []


def test_every_button_that_posts_is_pressed_once(page, live_server):
    """Not only the picker's: a second press of "Connect with GitHub" would start a second grant at GitHub."""
    sign_in(page, live_server.url)
    button = page.get_by_role("button", name="Connect with GitHub")
    page.route("**/accounts/github/login/", lambda route: route.fulfill(status=204))  # No Content: the page stays

    button.click()

    expect(button).to_be_disabled()


def test_a_double_click_on_link_repository_sends_it_once(page, live_server, providers, settings):
    sign_in(page, live_server.url)
    connect(page)
    first_linkable(page).check()
    settings.PROVIDER_TIMEOUT = 10  # the delay below is not a timeout
    providers.faults["github.repository"] = Fault(delay=5.0)  # the first press is still being checked
    button = page.get_by_role("button", name="Link repository")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()  # where a person's pointer is: a click there on a disabled button does nothing
    sent = []
    page.on("request", lambda request: sent.append(request) if request.method == "POST" else None)

    with page.expect_request(lambda request: request.method == "POST"):
        page.mouse.click(box["x"] + 5, box["y"] + 5)
    page.mouse.click(box["x"] + 5, box["y"] + 5)
    assert page.url.endswith("/repositories/")  # the second click came while the first press was on its way
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    assert len(sent) == 1
    assert list(LinkEvent.objects.values_list("action", flat=True)) == ["created"]


def test_the_search_button_is_not_held_down(page, live_server):
    """Only buttons that post are pressed once: a search stopped (or slow) is sent again by Search or by Enter
    (which does nothing while the form's button is disabled)."""
    sign_in(page, live_server.url)
    connect(page)
    page.route(SEARCH_ANSWER, lambda route: route.fulfill(status=204))  # No Content: the page stays
    button = page.get_by_role("button", name="Search")

    with page.expect_request(SEARCH_ANSWER):
        button.click()
    page.evaluate("() => new Promise((done) => setTimeout(done))")  # after forms.js's own setTimeout of the press

    expect(button).to_be_enabled()


def test_a_pressed_button_works_again_after_ten_seconds(page, live_server):
    """The person pressed Stop (or the answer never came): the page is still there, and its button works again."""
    page.clock.install()
    sign_in(page, live_server.url)
    button = page.get_by_role("button", name="Connect with GitHub")
    page.route("**/accounts/github/login/", lambda route: route.fulfill(status=204))
    page.clock.pause_at(page.evaluate("Date.now() / 1000") + 1)  # in seconds

    button.click()
    page.clock.run_for(1)
    expect(button).to_be_disabled()
    page.clock.run_for(9_000)
    expect(button).to_be_disabled()
    page.clock.run_for(1_000)
    expect(button).to_be_enabled()


def test_a_pressed_button_works_again_when_the_page_comes_back(page, live_server):
    """Back to a page kept in the back/forward cache, its button as it was left: pressed. Chromium keeps no
    page sent with Cache-Control: no-store there (each of ours), yet other browsers do, or may: the page's own
    "pageshow" of such a return is sent by hand."""
    page.clock.install()
    sign_in(page, live_server.url)
    button = page.get_by_role("button", name="Connect with GitHub")
    page.route("**/accounts/github/login/", lambda route: route.fulfill(status=204))
    page.clock.pause_at(page.evaluate("Date.now() / 1000") + 1)  # the 10 s that re-enable it do not pass
    button.click()
    page.clock.run_for(1)
    expect(button).to_be_disabled()

    page.evaluate("() => dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }))")

    expect(button).to_be_enabled()


def test_a_refusal_is_read_out_first_and_tied_to_the_choices(page, live_server, providers):
    """A refused form is focused on arrival (an alert already in the page is not reliably read out) and
    describes its group of choices; each repository's radio is described by its badges."""
    sign_in(page, live_server.url)
    connect(page)
    expect(page.locator('[aria-current="step"]')).to_have_text(
        re.compile(r"Repository\s*$")
    )  # said once, by aria-current
    radio = first_linkable(page)
    expect(radio).to_have_accessible_description(re.compile(r"\b(write|maintain|admin) access$"))
    radio.check()
    radio.evaluate("radio => { radio.value = '999999999' }")  # the list changed in another tab meanwhile
    page.get_by_role("button", name="Link repository").click()

    expect(page.locator("#choice-error")).to_be_focused()
    refusal = re.compile(r"not in your list")
    expect(page.get_by_role("group", name=re.compile("^Your repositories"))).to_have_accessible_description(refusal)
    assert_accessible(page)

    first_linkable(page).check()
    page.get_by_role("button", name="Link repository").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.goto(live_server.url + "/accounts/3rdparty/")
    discord = page.get_by_role("radio", name=re.compile(r"\(Discord\)"))
    discord.evaluate("radio => { radio.disabled = false }")  # a form sent by hand
    discord.check()
    page.get_by_role("button", name="Disconnect").click()

    expect(page.locator("#disconnect-error")).to_be_focused()
    expect(page.get_by_role("group", name="Choose a GitHub account to disconnect")).to_have_accessible_description(
        re.compile("Discord is how you sign in here")
    )
    assert_accessible(page)


def test_every_part_of_a_page_is_in_a_landmark_the_demo_banner_too(page, live_server, settings):
    """axe's "region" rule (a best practice, outside the WCAG tags above): landmark navigation skips nothing."""
    settings.DEMO_MODE = True
    page.goto(live_server.url)
    expect(page.get_by_role("complementary", name="Demo mode")).to_contain_text("bundled demo Discord and GitHub")
    results = AXE.run(page, options={"runOnly": {"type": "rule", "values": ["region"]}})
    assert results.violations_count == 0, results.generate_report()


def test_empty_and_no_match_pickers_are_accessible(page, live_server, providers):
    """The empty picker has no search form: picker.js leaves it alone, without failing."""
    failures = []
    page.on("pageerror", lambda error: failures.append(error))
    providers.repo_counts["nobody-gh"] = 0
    sign_in(page, live_server.url)
    connect(page, "nobody-gh")
    expect(page.locator(".empty")).to_contain_text("no repositories")
    assert_accessible(page)
    screenshot(page, "5-empty-picker")

    page.goto(live_server.url + "/github/")
    connect(page)
    page.goto(live_server.url + "/repositories/?q=no-such-thing")
    expect(page.locator(".empty")).to_contain_text("No repository matches")
    assert_accessible(page)
    assert failures == []


def test_error_pages_are_friendly_and_accessible(page, live_server, providers):
    base = live_server.url
    page.goto(base)
    page.get_by_role("button", name="Connect with Discord").click()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", name="Discord access was not granted")).to_be_visible()
    expect(page.get_by_role("link", name="Try again")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "6-error-cancelled")

    providers.faults["discord.token"] = Fault(status=500)
    page.goto(base)
    page.get_by_role("button", name="Connect with Discord").click()
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("heading", name="Discord is not answering")).to_be_visible()
    assert_accessible(page)

    for path in ("/accounts/discord/login/callback/?code=x&state=forged", "/github/", "/no-such-page/"):
        response = page.goto(base + path)
        assert response.status >= 400
        expect(page.get_by_role("link", name="Try again")).to_be_visible()
        assert_accessible(page)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_narrow_screen_and_both_themes(open_page, live_server, dark):
    page = open_page(width=375, dark=dark)
    base = live_server.url
    page.goto(base)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(13, 17, 23)") == dark  # the theme the screen asked for
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    # In the light theme the longest names, with nowhere to break; the dark one is README's picture.
    longest = not dark
    sign_in(page, base, discord="averylongdiscordusernameof32char" if longest else "nelly")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    connect(page, github="averylonggithubloginofthirtyninechars39" if longest else "octocat")
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
    if dark:
        screenshot(page, "7-picker-375px-dark")
    first_linkable(page).check()
    page.get_by_role("button", name="Link repository").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert_no_horizontal_scroll(page)
    assert_accessible(page)
