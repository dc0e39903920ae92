from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps

from django.http import HttpRequest, HttpResponse

from accounts.identity import deactivated_in_session, find_account, signed_out_by_admin, social_accounts
from accounts.wizard_store import WizardStore
from linkapp.failures import account_deactivated, start_with_discord
from linkapp.ratelimits import View
from repos.linking import finish_wizard


def discord_required(view: View | None = None, *, return_here: bool = True) -> View | Callable[[View], View]:
    """Wizard steps after the first need a Discord sign-in.

    A sign-in begun from a page (a bookmarked dashboard, say) ends on that page; one begun from a form's POST,
    or from a page that cannot be shown straight after signing in (`return_here=False`: the picker needs
    GitHub too), ends at the usual next step.

    The view finds the Discord account in `request.discord_account`, and all of the person's
    accounts in `request.social_accounts` (read in the same query)."""
    if view is None:
        return partial(discord_required, return_here=return_here)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        accounts = social_accounts(request.user)
        account = find_account(accounts, "discord")
        if account is None:
            if signed_out_by_admin(request):
                # "Sign out" is not offered to them and would do nothing, so the wizard ends here, its GitHub
                # token revoked. The session stays, so that the next page explains it again.
                finish_wizard(WizardStore(request.session))
            if deactivated_in_session(request):
                return account_deactivated(request)
            comes_back = return_here and request.method in ("GET", "HEAD")
            return start_with_discord(request, request.get_full_path() if comes_back else None)
        request.discord_account = account
        request.social_accounts = accounts
        return view(request, *args, **kwargs)

    return wrapper
