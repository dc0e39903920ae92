from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import wraps

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_ratelimit.core import get_usage

from accounts.decorators import discord_required
from accounts.identity import find_account, github_login, identity_context
from accounts.wizard_store import CHOICE, GitHubGrant, WizardStore
from linkapp.failures import failure_level, in_words, provider_failure, render_failure
from linkapp.providers import ProviderError, ProviderRateLimited, ProviderUnauthorized
from linkapp.ratelimits import View
from repos import linking, picker_query, repo_store
from repos.forms import LinkForm, repo_id_of
from repos.github import connect
from repos.github_api import GitHubClient
from repos.linking import RepositoryRefused, link_repository
from repos.models import Link
from repos.picker_query import PickerQueryForm
from repos.repository import ACCESS_NAMES, RepoSummary, permissions_at_least

log = logging.getLogger("linkapp.wizard")
REFRESH_RATE_LIMIT = "10/m"  # per person


@never_cache
@require_safe
@discord_required
def github_step(request: HttpRequest) -> HttpResponse:
    """Step 2: "Connect with GitHub" (allauth's connect process onto the Discord user). Back here from the
    picker (the Back button, the dashboard's link), a connection still made is offered too: connecting again
    would fetch the whole list again."""
    _, github = wizard_github(request, WizardStore(request.session))
    context = {"step": 2, "offers_private": bool(settings.GITHUB_PRIVATE_SCOPES), "connected": bool(github)}
    return render(request, "repos/github_step.html", {**context, **identity_context(request.discord_account, github)})


def wizard_github(request: HttpRequest, store: WizardStore) -> tuple[GitHubGrant | None, SocialAccount | None]:
    """The wizard's GitHub grant and the account it belongs to, not just any GitHub account the person ever
    connected (None where it belongs to none of theirs any more). A grant for an account another Discord user
    has connected since can never be used here again: it is revoked at once, not left alive at GitHub."""
    token = store.github_token()
    github = find_account(request.social_accounts, "github", token["uid"]) if token else None
    if token and not github and connect.moved_away(token["uid"], request.user):
        linking.finish_wizard(store)
        token = None
    return token, github


def posted_repo_id(request: HttpRequest) -> int | None:
    """The repository id of a POST when it looks like one, as LinkForm reads it."""
    return repo_id_of(request.POST.get("repo_id", "")) if request.method == "POST" else None


def remember_choice(view: View) -> View:
    """Keep the submitted repository id in the wizard store before anything else can fail (the
    database, GitHub), so that "Try again" shows the same choice ready to be linked again.
    Only in a wizard (a Discord sign-in, which the session itself tells without asking the database)
    that still holds a GitHub token: a late second press must not leave the linked repository
    chosen in the person's next wizard."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        repo_id = posted_repo_id(request)
        store = WizardStore(request.session)
        if repo_id is not None and store.began and store.github_token():
            store.set(CHOICE, repo_id)
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@remember_choice
@discord_required(return_here=False)
def picker(request: HttpRequest) -> HttpResponse:
    """Step 3: choose a repository; on POST re-check it with GitHub and save the link."""
    store = WizardStore(request.session)
    token, github = wizard_github(request, store)
    if not github:
        return _github_expired(request)
    query = PickerQueryForm(request.GET)
    if not query.is_valid():
        return render_failure(request, "That search is not valid.", status=400, retry_url=reverse("picker"))
    refresh = request.POST.get("refresh") == "1"
    if refresh and (wait := _refresh_wait(request)):
        return render_failure(
            request,
            f"You refreshed the list many times in a row. Please try again in {in_words(wait)}.",
            status=429,
            title="Slow down",
            retry_url=request.get_full_path(),
            retry_after=wait,
        )
    try:
        repos = repo_store.load(store, keep_failure=request.method == "HEAD")
        if repos is None or refresh:  # the list expired before the token (a link is then checked against the new one)
            repos = _fetch_repositories(
                store, token["access_token"], request.discord_account.uid, keep_list=repos is not None
            )
            if repos is None:  # another tab's grant replaced this one meanwhile: its list is the one to show
                return redirect(request.get_full_path())
            if refresh:
                count = ngettext("%d repository", "%d repositories", len(repos)) % len(repos)
                messages.info(request, f"Your list was fetched again from GitHub: {count}.")
                return redirect(request.get_full_path())
        form = LinkForm(
            request.POST if request.method == "POST" else None,
            repos=repos,
            min_permission=settings.LINK_MIN_PERMISSION,
        )
        if form.is_valid():
            choice = form.cleaned_data["repo_id"]  # the RepoSummary from the person's list
            link = link_repository(store, request.discord_account, github, token["access_token"], choice)
            messages.success(request, f"{link.repo_full_name} is now linked to your Discord account.")
            return redirect("dashboard")
    except RepositoryRefused as exc:
        return render_failure(
            request, str(exc), status=403, title="Repository not allowed", retry_url=request.get_full_path()
        )
    except ProviderError as exc:
        if isinstance(exc, ProviderUnauthorized):
            # Refused because another press linked this repository with this token, then revoked it. Any other
            # refusal is the person's revoking it on GitHub, even after a link made in an earlier wizard: they
            # connect again.
            granted = token.get("granted_at")  # absent from a token stored by an earlier release
            if _just_linked(request, since=granted and datetime.fromtimestamp(granted, UTC)):
                return redirect("dashboard")
            store.forget_github_token(token["access_token"])  # revoked meanwhile: of no further use
        return github_failure(request, exc)

    return _picker_page(request, store, token, github, repos, form, query)


def _picker_page(
    request: HttpRequest,
    store: WizardStore,
    token: dict,
    github: SocialAccount,
    repos: Sequence[RepoSummary],
    form: LinkForm,
    query: PickerQueryForm,
) -> HttpResponse:
    """The picker: one page of the person's repositories as searched, with their badges."""
    selected = picker_query.select(repos, **query.cleaned_data)
    page = picker_query.page_of(selected, request.GET.get("page"))
    granted = set(re.split(r"[,\s]+", token.get("scope") or ""))
    allowed = permissions_at_least(settings.LINK_MIN_PERMISSION)
    return render(
        request,
        "repos/picker.html",
        {
            "form": form,
            "query": query,
            "total": len(repos),
            "matches": len(selected),
            "page": page,
            "owners": picker_query.owners(repos, github_login(github)),
            "linked": {link.repo_id for link in linking.refresh_links(request.discord_account, github, repos)},
            "min_access": ACCESS_NAMES[settings.LINK_MIN_PERMISSION],
            "allowed_permissions": allowed,
            # None at all: say so, instead of a list of disabled choices and a button that cannot work.
            "any_linkable": any(repo.permission in allowed for repo in repos),
            "page_linkable": any(repo.permission in allowed for repo in page),
            "step": 3,
            **identity_context(request.discord_account, github),
            "chosen": store.get(CHOICE),
            "has_private_scope": set(settings.GITHUB_PRIVATE_SCOPES) <= granted,
            "app_settings_url": f"{settings.GITHUB_URL}/settings/connections/applications/{settings.GITHUB_CLIENT_ID}",
        },
        status=400 if form.is_bound else 200,
    )


def _refresh_wait(request: HttpRequest) -> int | None:
    """Seconds until this person may refresh again: each refresh walks their whole list at GitHub,
    holding our threads and spending their rate limit there."""
    usage = get_usage(request, group="repos.refresh", key="user", rate=REFRESH_RATE_LIMIT, increment=True)
    # None only when rate limits are switched off (RATELIMIT_ENABLE). A refusal may say no time is left: in its
    # window's last second (0), or when the cache gave no count (-1; Redis down raises before that): at least 1.
    return max(usage["time_left"], 1) if usage and usage["should_limit"] else None


def _fetch_repositories(
    store: WizardStore, access_token: str, discord_id: str, *, keep_list: bool
) -> list[RepoSummary] | None:
    """The list read with this token, stored; None when the token was replaced (another tab connected
    GitHub again) or let go (a link saved) while it was read: the wizard's list is then not this one.

    A rate limit is stored like one met in the GitHub callback, so that "Try again" does not ask GitHub before
    the wait is over (repo_store.load); except by a refresh, whose list is kept (refreshes have a limit of
    their own)."""
    try:
        repos = GitHubClient(access_token).list_repositories()
    except ProviderRateLimited as exc:
        current = store.github_token()
        if not keep_list and current is not None and current["access_token"] == access_token:
            repo_store.save_failure(store, exc)
        raise
    current = store.github_token()
    if current is None or current["access_token"] != access_token:
        return None
    repo_store.save(store, repos)
    log.info("step=repos_fetched discord_id=%s count=%s", discord_id, len(repos))
    return repos


def _links_since(request: HttpRequest, since: datetime | None = None) -> QuerySet[Link]:
    """The person's links saved since `since`, by default WIZARD_TTL ago: the ones that may have ended
    this wizard. A token that expired unused is older than that, and so is a link made in an earlier wizard."""
    since = since or timezone.now() - timedelta(seconds=settings.WIZARD_TTL)
    return Link.objects.filter(discord_id=request.discord_account.uid, updated_at__gte=since)


def _just_linked(request: HttpRequest, since: datetime | None = None) -> bool:
    """A second press of "Link repository" (a double click, a second tab): the first saved the repository
    this POST asks for (since `since`, by default within WIZARD_TTL) and ended the wizard."""
    repo_id = posted_repo_id(request)
    return repo_id is not None and _links_since(request, since).filter(repo_id=repo_id).exists()


def _github_expired(request: HttpRequest) -> HttpResponse:
    if _just_linked(request):
        return redirect("dashboard")
    if request.method in ("GET", "HEAD") and _links_since(request).exists():
        # The browser's Back button after linking: the dashboard, not a failure page.
        messages.info(
            request, "Your GitHub connection ended when your link was saved. To link another repository, connect again."
        )
        return redirect("dashboard")
    return render_failure(
        request,
        "Your GitHub connection has ended or was not made yet: we let go of it once a link is saved, or after "
        f"{in_words(settings.WIZARD_TTL)} unused. Please connect with GitHub to see your repositories.",
        status=409,
        title="Connect with GitHub first",
        retry_url=reverse("github_step"),
    )


def github_failure(request: HttpRequest, error: ProviderError) -> HttpResponse:
    """A failed GitHub call during the picker step; the session is kept."""
    discord_id = request.discord_account.uid
    log.log(
        failure_level(error.status), "step=failed provider=github reason=%s discord_id=%s", error.reason, discord_id
    )
    # "Try again" returns to the same picker page and search, where the remembered choice is.
    return provider_failure(request, error, retry_url=request.get_full_path(), reconnect_url=reverse("github_step"))


@never_cache
@require_safe
@discord_required
def dashboard(request: HttpRequest) -> HttpResponse:
    account = request.discord_account
    links = list(Link.objects.filter(discord_id=account.uid))
    # The progress bar shows the wizard done only once something is linked.
    return render(
        request, "repos/dashboard.html", {"step": 4 if links else None, **identity_context(account), "links": links}
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@discord_required
def unlink(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm (GET), then remove (POST) one of the person's own links.

    A link that is not theirs (any more) sends them back to the dashboard: a double click or a second
    tab asks to remove what is already gone, and someone else's link gets the same answer, revealing nothing.
    """
    gone = "That link is not on your dashboard; it may have been removed already."
    link = Link.objects.filter(pk=pk, discord_id=request.discord_account.uid).first()
    if link is None:
        messages.info(request, gone)
        return redirect("dashboard")
    if request.method == "POST":
        if linking.unlink(link, f"discord:{link.discord_id}"):
            messages.success(request, f"{link.repo_full_name} is no longer linked.")
        else:  # the other click's request removed it a moment before
            messages.info(request, gone)
        return redirect("dashboard")
    return render(request, "repos/unlink.html", {"link": link})
