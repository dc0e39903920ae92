from allauth.account.utils import get_next_redirect_url
from allauth.socialaccount.forms import DisconnectForm
from allauth.socialaccount.views import ConnectionsView as AllauthConnectionsView
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from accounts import discord_api
from accounts.decorators import discord_required
from accounts.identity import discord_name, social_account
from linkapp.failures import render_failure

AVATAR_CACHE_SECONDS = 86400
AVATAR_MISS_SECONDS = 300  # a missing, refused or unreachable avatar is not asked for on every page


@never_cache
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """Step 1: "Connect with Discord" (a POST form: allauth starts the login only on POST)."""
    account = social_account(request.user, "discord")
    return render(
        request,
        "accounts/home.html",
        # Where the sign-in ends, when safe (allauth checks): the page that asked for it.
        {"step": 1, "discord_name": discord_name(account) if account else None, "next": get_next_redirect_url(request)},
    )


@require_safe
@discord_required
@cache_control(private=True, max_age=3600)
def avatar(request: HttpRequest) -> HttpResponse:
    """The person's Discord avatar, fetched by the server so the page loads nothing from other origins."""
    account = request.discord_account
    avatar_hash = account.extra_data.get("avatar")
    if not (avatar_hash and settings.DISCORD_CDN_URL):
        raise Http404
    key = avatar_key(account.uid, avatar_hash)
    image = cache.get(key)
    if image is None:
        image = discord_api.fetch_avatar(account.uid, avatar_hash) or ()  # (): none to serve
        cache.set(key, image, AVATAR_CACHE_SECONDS if image else AVATAR_MISS_SECONDS)
    if not image:
        raise Http404
    content, content_type = image
    return HttpResponse(content, content_type=content_type)


def avatar_key(discord_id: str, avatar_hash: str) -> str:
    """A new avatar has a new hash, so a changed image is fetched at once and the old one expires."""
    return f"avatar:{discord_id}:{avatar_hash}"


# allauth's own "login cancelled" and "login error" pages are 200s. Our adapter shows its own
# failure pages instead of redirecting there, so they are only reached by their address.


def login_cancelled(request: HttpRequest) -> HttpResponse:
    return render_failure(request, "Access was not granted, so nothing was linked.", status=403, title="Cancelled")


def login_error(request: HttpRequest) -> HttpResponse:
    return render_failure(request, "The sign-in could not be completed, so nothing was linked.", status=400)


@method_decorator(never_cache, name="dispatch")  # the person's accounts: not for a shared browser's cache
class ConnectionsView(AllauthConnectionsView):
    """allauth's "Connected accounts", except that a refused form is a 400, as bad input is on every page.

    A disconnect of an account already gone (a double click, a second tab) is no error: it returns to the page.
    """

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        # Discord cannot be disconnected: without a GitHub account there is nothing to offer.
        context["has_github"] = any(account.provider == "github" for account in context["form"].accounts)
        return context

    def form_invalid(self, form: DisconnectForm) -> HttpResponse:
        if form.has_error("account", code="invalid_choice"):
            # Not (any more) one of theirs: a double click or a second tab, whose first request disconnected it.
            messages.info(
                self.request, "That account is not connected any more; it may have been disconnected already."
            )
            return redirect("socialaccount_connections")
        response = super().form_invalid(form)
        response.status_code = 400
        return response
