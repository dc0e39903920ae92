from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from accounts.identity import deactivated_in_session, find_account, social_accounts
from linkapp.failures import account_deactivated, start_with_discord

View = Callable[..., HttpResponse]


def discord_required(view: View | None = None, *, resume_at: str | None = None) -> View | Callable[[View], View]:
    """Wizard steps after the first need a Discord sign-in.

    A sign-in begun from a page (a bookmarked dashboard, say) ends on that page, or at the step named by
    `resume_at` where the page cannot be shown straight after signing in (the picker needs GitHub too);
    one begun from a form's POST ends at the usual next step.

    The view finds the Discord account in `request.discord_account`, and all of the person's
    accounts in `request.social_accounts` (read in the same query)."""
    if view is None:
        return partial(discord_required, resume_at=resume_at)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        accounts = social_accounts(request.user)
        account = find_account(accounts, "discord")
        if account is None:
            if deactivated_in_session(request):
                return account_deactivated(request)
            next_url = None
            if request.method in ("GET", "HEAD"):
                next_url = reverse(resume_at) if resume_at else request.get_full_path()
            return start_with_discord(request, next_url)
        request.discord_account = account
        request.social_accounts = accounts
        return view(request, *args, **kwargs)

    return wrapper
