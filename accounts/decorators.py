from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse

from accounts.identity import find_account, social_accounts
from linkapp.failures import render_failure


def discord_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wizard steps after the first need a Discord sign-in; without one (or after the session
    expired) explain and offer to start again, instead of silently redirecting.

    The view finds the Discord account in `request.discord_account`, and all of the person's
    accounts in `request.social_accounts` (read in the same query)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        accounts = social_accounts(request.user)
        account = find_account(accounts, "discord")
        if account is None:
            return render_failure(
                request,
                "Please connect with Discord first. If you had already started, your session has expired.",
                status=403,
                title="Start with Discord",
            )
        request.discord_account = account
        request.social_accounts = accounts
        return view(request, *args, **kwargs)

    return wrapper
