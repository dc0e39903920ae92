from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse

from accounts.identity import deactivated_in_session, find_account, social_accounts
from linkapp.failures import account_deactivated, start_with_discord


def discord_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wizard steps after the first need a Discord sign-in.

    The view finds the Discord account in `request.discord_account`, and all of the person's
    accounts in `request.social_accounts` (read in the same query)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        accounts = social_accounts(request.user)
        account = find_account(accounts, "discord")
        if account is None:
            if deactivated_in_session(request):
                return account_deactivated(request)
            # A page (a bookmarked dashboard, say) is where the sign-in then ends; a form's POST is not.
            return start_with_discord(request, request.get_full_path() if request.method in ("GET", "HEAD") else None)
        request.discord_account = account
        request.social_accounts = accounts
        return view(request, *args, **kwargs)

    return wrapper
