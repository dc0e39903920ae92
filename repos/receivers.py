"""Signal receivers, connected in ReposConfig.ready: what the links and the wizard do when allauth or
Django says the person signed in again, signed out or disconnected GitHub."""

from __future__ import annotations

import logging

from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.contrib.auth.models import User
from django.http import HttpRequest

from accounts.identity import discord_handle
from accounts.wizard_store import WizardStore
from linkapp.cache import CACHE_UNAVAILABLE
from repos.linking import finish_wizard
from repos.models import Link

log = logging.getLogger("linkapp.wizard")


def refresh_discord_handle(sender: type, request: HttpRequest, sociallogin: SocialLogin, **kwargs) -> None:
    """social_account_updated receiver: a returning person's new Discord handle reaches their links at their
    sign-in, for the API and exports to read, not only once they reach the picker again."""
    account = sociallogin.account
    if account.provider != "discord":
        return  # a GitHub connect always lands on the picker, which refreshes the login (refresh_links)
    handle = discord_handle(account)
    if Link.objects.filter(discord_id=account.uid).exclude(discord_username=handle).update(discord_username=handle):
        log.info("step=links_refreshed discord_id=%s", account.uid)


def finish_wizard_at_sign_out(sender: type, request: HttpRequest | None, user: User | None, **kwargs) -> None:
    """user_logged_out receiver (sent before the session is flushed): nothing outlives the session."""
    if request is not None and hasattr(request, "session"):
        finish_wizard(WizardStore(request.session))


def finish_wizard_at_github_disconnect(
    sender: type, request: HttpRequest, socialaccount: SocialAccount, **kwargs
) -> None:
    """social_account_removed receiver: the wizard's token for that GitHub account goes with it,
    revoked at GitHub, instead of staying alive there with no account to use it."""
    if socialaccount.provider != "github":
        return
    store = WizardStore(request.session)
    try:
        token = store.github_token()
    except CACHE_UNAVAILABLE as exc:
        # The account is gone already (allauth deleted it before telling us): a 503 now would say otherwise.
        log.warning(
            "wizard store not read at a GitHub disconnect: %s; a wizard token of that account stays valid at GitHub "
            "(the person can revoke it there), its keys expire within WIZARD_TTL",
            type(exc).__name__,
        )
        return
    if token and token["uid"] == socialaccount.uid:
        finish_wizard(store)
