"""Connecting GitHub onto a Discord sign-in: allauth's pre_social_login for GitHub
(SocialAccountAdapter), and the race of two tabs saving one GitHub account (GitHubCallbackView).

GitHub never signs anyone in. Its token and the repository list fetched with it go to the
wizard store, never to the database; a grant that is not used is revoked at once. So a GitHub
account can move to whichever Discord user has just proved at GitHub that it is theirs (allauth
refuses such a move only because it could lock someone out of a sign-in method).
"""

from __future__ import annotations

import logging
from typing import NoReturn

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from accounts.identity import deactivated_in_session, discord_id_of
from accounts.wizard_store import WizardStore
from linkapp.failures import account_deactivated, render_failure, saved_by_another_tab, start_with_discord
from linkapp.providers import ProviderError
from repos import github_api, linking, repo_store

log = logging.getLogger("linkapp.wizard")


def connect_github(request: HttpRequest, sociallogin: SocialLogin) -> str:
    """Store the grant and its repository list for the wizard; refuse (and revoke) a connect
    that is not onto this person's Discord sign-in."""
    discord_id = wizard_owner(request)  # checked at the login too; the sign-in may have ended meanwhile
    store = WizardStore(request.session)
    if sociallogin.state.get("process") != AuthProcess.CONNECT or discord_id is None:
        github_api.revoke_token(sociallogin.token.token)  # the grant just made is not used
        raise ImmediateHttpResponse(outside_a_wizard(request))
    moving = sociallogin.is_existing and sociallogin.user != request.user
    if moving and not sociallogin.user.is_active:
        _refuse_a_deactivated_owner(request, sociallogin, discord_id)  # before the wizard's own grant is touched
    previous = store.github_token()
    if previous and previous["access_token"] != sociallogin.token.token:
        github_api.revoke_token(previous["access_token"])  # replaced, e.g. by the private step-up
    store.save_github_token(sociallogin.token.token, _granted_scope(sociallogin), sociallogin.account.uid)
    _store_repositories(store, sociallogin, discord_id)
    if not request.session.exists(request.session.session_key):
        refuse_ended_sign_in(request, store, sociallogin.token.token)
    if moving:
        _move_to(request, sociallogin, discord_id)  # last: only once this person's grant is stored
    return discord_id


def wizard_owner(request: HttpRequest) -> str | None:
    """The Discord id of the wizard a GitHub connect joins. None for a session signed in some other way
    (an admin's password), which has no Discord user and no wizard."""
    discord_id = discord_id_of(request.user)
    return discord_id if discord_id is not None and WizardStore(request.session).began else None


def refuse_ended_sign_in(request: HttpRequest, store: WizardStore, access_token: str) -> NoReturn:
    """The person signed out (or in again) in another tab while GitHub was answering this callback. That
    sign-out found no grant to revoke, so this one is revoked here. Checked only after the grant is stored:
    a sign-out from then on finds it and revokes it itself."""
    linking.finish_wizard(store, access_token)
    request.session.modified = False  # the session is gone: nothing to save, and the other tab's cookie stays
    raise ImmediateHttpResponse(start_with_discord(request, reverse("github_step")))


def outside_a_wizard(request: HttpRequest) -> HttpResponse:
    """The page for a GitHub connect that no wizard of this session can take."""
    if deactivated_in_session(request):
        return account_deactivated(request)
    return start_with_discord(request, reverse("github_step"))


def _refuse_a_deactivated_owner(request: HttpRequest, sociallogin: SocialLogin, discord_id: str) -> NoReturn:
    """The GitHub account is a deactivated user's: an admin stopped that person linking, and another Discord
    account (perhaps the same person's) must not take the GitHub account over to link with it again. The grant
    just made is revoked; the account stays where it is, and a GitHub connection this wizard already holds
    stays too."""
    log.warning(
        "step=refused reason=github_account_of_deactivated_user from_discord_id=%s discord_id=%s",
        discord_id_of(sociallogin.user),
        discord_id,
    )
    github_api.revoke_token(sociallogin.token.token)
    raise ImmediateHttpResponse(
        render_failure(
            request,
            "This GitHub account belongs to an account an administrator has deactivated, so it cannot be "
            "connected here.",
            status=403,
            title="GitHub account not available",
            retry_url=reverse("github_step"),
        )
    )


def _move_to(request: HttpRequest, sociallogin: SocialLogin, discord_id: str) -> None:
    """The GitHub account was another Discord user's: e.g. a second Discord account of the same person.
    Links saved before stay as they are; the other person's wizard lets go of its grant (moved_away)."""
    from_discord_id = discord_id_of(sociallogin.user)
    SocialAccount.objects.filter(pk=sociallogin.account.pk).update(user=request.user)
    sociallogin.user = sociallogin.account.user = request.user
    log.info("step=moved provider=github from_discord_id=%s discord_id=%s", from_discord_id, discord_id)


def moved_away(uid: str, user: AbstractBaseUser) -> bool:
    """Whether the GitHub account a wizard holds a token for is now another Discord user's: that grant can
    no longer be used there, and is revoked rather than left alive at GitHub (its tokens never expire)."""
    return SocialAccount.objects.filter(provider="github", uid=uid).exclude(user_id=user.pk).exists()


def connected_meanwhile(request: HttpRequest) -> HttpResponse | None:
    """After allauth found no account for this GitHub user and then could not save one: another
    request (a second tab) connected it in between. None when that is not what happened.

    This request's token is in the wizard store already (pre_social_login comes first)."""
    store = WizardStore(request.session)
    token = store.github_token()
    owner = token and SocialAccount.objects.filter(provider="github", uid=token["uid"]).first()
    if not owner:
        return None
    if owner.user_id == request.user.pk:
        # The other tab's connection stands; this tab's token is for the same GitHub account.
        return saved_by_another_tab(request, "GitHub", retry_url=reverse("picker"))
    log.info("step=refused reason=github_connected_meanwhile discord_id=%s", discord_id_of(request.user))
    linking.finish_wizard(store)  # this grant revoked, the token and list forgotten
    return render_failure(
        request,
        "Another Discord user connected this GitHub account at the same moment. Try again to connect it here.",
        status=409,
        title="GitHub account connected meanwhile",
        retry_url=reverse("github_step"),
    )


def _store_repositories(store: WizardStore, sociallogin: SocialLogin, discord_id: str) -> None:
    """A new grant means a new list: the one our GitHub adapter fetched beside the user, or why
    that failed, for the picker to show (its "Try again" asks GitHub again)."""
    fetched = getattr(sociallogin.token, "repositories", None)
    if isinstance(fetched, list):
        repo_store.save(store, fetched)
        log.info("step=repos_fetched discord_id=%s count=%s", discord_id, len(fetched))
    elif isinstance(fetched, ProviderError):
        # This request goes on to the picker, which shows the failure and logs it by its status (github_failure).
        log.info("step=failed provider=github reason=%s discord_id=%s", fetched.reason, discord_id)
        repo_store.save_failure(store, fetched)
    else:
        repo_store.forget(store)


def _granted_scope(sociallogin: SocialLogin) -> str:
    # Set by our GitHub adapter's read_token_answer from the token answer (GitHub may grant less than asked).
    return getattr(sociallogin.token, "granted_scope", "")
