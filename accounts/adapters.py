"""allauth's extension seam: where sign-in meets the wizard.

- A Discord sign-in begins the wizard; its token is revoked as soon as the profile is read
  (accounts/discord/views.py).
- A GitHub connect goes to repos/github/connect.py, which captures the token into the
  WizardStore (SOCIALACCOUNT_STORE_TOKENS is off).
- Every authentication error becomes our failure page with a fitting status; so does a deactivated account.
  A callback used before, again (Back to the provider's consent page), sends the person on where its step is done.
"""

from __future__ import annotations

import functools
import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialLogin
from allauth.socialaccount.providers.base import AuthError, AuthProcess
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from requests import RequestException, Response, Session
from requests.exceptions import InvalidJSONError

from accounts.identity import discord_id_of
from accounts.wizard_store import GitHubGrant, WizardStore
from linkapp.failures import (
    account_deactivated,
    failure_level,
    provider_failure,
    render_failure,
    saved_by_another_tab,
    start_with_discord,
    step_word,
)
from linkapp.oauth import HardenedProviderMixin, UnverifiedEmail, used_here
from linkapp.providers import ProviderError, StateRefused, error_code, provider_session, transport_error
from repos.github import connect

log = logging.getLogger("linkapp.wizard")


class AccountAdapter(DefaultAccountAdapter):
    def respond_user_inactive(self, request: HttpRequest, user: User) -> HttpResponse:
        """An admin deactivated this person: our failure page, not allauth's 200 page with no way on."""
        log.info("step=refused reason=inactive discord_id=%s", discord_id_of(user))
        return account_deactivated(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    error_messages = {
        **DefaultSocialAccountAdapter.error_messages,
        "disconnect_discord": "Discord is how you sign in here, so it cannot be disconnected. "
        "You can disconnect a GitHub account.",
    }

    def validate_disconnect(self, account: SocialAccount, accounts: list[SocialAccount]) -> None:
        # GitHub never signs anyone in: without Discord the person would be locked out for good.
        if account.provider == "discord":
            raise self.validation_error("disconnect_discord")

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        return sociallogin.account.provider == "discord"

    def save_user(self, request: HttpRequest, sociallogin: SocialLogin, form: Form | None = None) -> User:
        """The user and their Discord account together or not at all.

        Two tabs may finish signing up one Discord account at the same instant: both find no account,
        and the later one cannot save it. It leaves no user behind and gets a page that says so."""
        try:
            with transaction.atomic():
                return super().save_user(request, sociallogin, form)
        except IntegrityError:
            account = sociallogin.account
            if not SocialAccount.objects.filter(provider=account.provider, uid=account.uid).exists():
                raise  # a bug, not the race: a 500
            raise ImmediateHttpResponse(saved_by_another_tab(request, "Discord", retry_url=reverse("home"))) from None

    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        """The two OAuth apps come from the environment (settings.SOCIALACCOUNT_PROVIDERS) only.

        allauth would also query its SocialApp table on every sign-in step (six times a wizard);
        that table is not used here (accounts/admin.py takes it out of Django admin).
        """
        return [
            SocialApp(provider=provider_id, **app)
            for provider_id, config in settings.SOCIALACCOUNT_PROVIDERS.items()
            if provider in (None, provider_id)
            for app in config.get("APPS", [])
            if client_id in (None, app["client_id"])
        ]

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        if sociallogin.account.provider == "discord":
            discord_id = _begin_wizard(request, sociallogin)
        else:
            discord_id = connect.connect_github(request, sociallogin)
        log.info("step=connected provider=%s discord_id=%s", sociallogin.account.provider, discord_id)

    def get_requests_session(self) -> Session:
        # allauth's own calls (the token exchanges): our connection pool, log line and PROVIDER_TIMEOUT
        # (this replaces the session that SOCIALACCOUNT_REQUESTS_TIMEOUT would configure).
        session = provider_session()
        session.request = functools.partial(session.request, timeout=settings.PROVIDER_TIMEOUT)
        session.hooks["response"].extend([_unavailable_for_allauth, _read_token_refusal, _content_type_for_allauth])
        return session

    def get_connect_redirect_url(self, request: HttpRequest, socialaccount: SocialAccount) -> str:
        return reverse("picker")

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: HardenedProviderMixin,
        error: str | None = None,
        exception: Exception | None = None,
        extra_context: dict | None = None,
    ) -> None:
        if isinstance(exception, RequestException) and not isinstance(exception, InvalidJSONError):
            # The token exchange got no usable answer: none, a 5xx or 429, one cut off half-way, or one too large.
            exception = transport_error(provider.name, exception)
        response = authentication_failure(request, provider, error, exception, extra_context or {})
        if isinstance(response, HttpResponseRedirect):  # a callback again for a step done (_step_already_done)
            log.info("step=already_done provider=%s discord_id=%s", provider.id, discord_id_of(request.user))
            raise ImmediateHttpResponse(response)
        log.log(
            failure_level(response.status_code),
            "step=failed provider=%s status=%s reason=%s discord_id=%s",
            provider.id,
            response.status_code,
            failure_reason(request, exception, extra_context or {}),
            discord_id_of(request.user),
        )
        raise ImmediateHttpResponse(response)


def failure_reason(request: HttpRequest, exception: Exception | None, context: dict) -> str:
    """What the log says went wrong: our errors' reason, only the class of any other (allauth's carry the
    provider's answer), the provider's error code from the callback address (redirect_uri_mismatch tells a
    misregistered app), or a state refused (no state, an unknown one or one already used)."""
    if isinstance(exception, ProviderError):
        return exception.reason
    if exception is not None:
        return type(exception).__name__
    if "state" not in context:
        return "unknown state"
    if "error" in request.GET:
        return error_code(request.GET["error"])
    return "incomplete address"  # a valid state, but neither a code nor an error: copied, cut short


def _unavailable_for_allauth(response: Response, **kwargs) -> None:
    # allauth reports any failed token exchange as a refusal (OAuth2Error); a provider that is
    # down or asks us to wait (429) is told apart here, to be shown as such (authentication_failure).
    # The answer is read whole already (read_whole_answer, the session's first hook), so the connection
    # goes back to the pool.
    if response.status_code >= 500 or response.status_code == 429:
        response.raise_for_status()


def _read_token_refusal(response: Response, **kwargs) -> None:
    # allauth reports any refused exchange as the same OAuth2Error, and we log only its class: the answer's
    # error code is what tells a wrong client secret (incorrect_client_credentials) from a code used twice,
    # and the one refusal the person can mend themselves (unverified_user_email) from the rest.
    # An error answer is a short line of JSON; whatever else comes is left to allauth, as it was.
    if len(response.content) > 4096 or b'"error"' not in response.content:
        return
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - ValueError, or RecursionError for JSON nested a thousand deep
        return
    if isinstance(body, dict) and "error" in body:
        code = error_code(body["error"])
        unverified = code == "unverified_user_email"  # the person's to mend, not the operator's: INFO
        log.log(logging.INFO if unverified else logging.WARNING, "token exchange refused: error=%s", code)
        if unverified:
            raise UnverifiedEmail(code)


def _content_type_for_allauth(response: Response, **kwargs) -> None:
    # allauth reads a token answer's Content-Type unconditionally: without one it would raise
    # KeyError (a 500) instead of judging the body and failing the sign-in with a clear page.
    response.headers.setdefault("Content-Type", "")


def _begin_wizard(request: HttpRequest, sociallogin: SocialLogin) -> str:
    """Discord signs the person in, and only through allauth's login process."""
    if sociallogin.state.get("process") != AuthProcess.LOGIN:
        raise ImmediateHttpResponse(start_with_discord(request))
    if SESSION_KEY in request.session:
        # Signing in with Discord again starts a fresh wizard for whoever signs in now. Also when the
        # session's user was deleted meanwhile (anonymous now): login() would flush the new wizard's id.
        logout(request)
    WizardStore(request.session).begin()
    return sociallogin.account.uid


def authentication_failure(
    request: HttpRequest, provider: HardenedProviderMixin, error: str | None, exception: Exception | None, context: dict
) -> HttpResponse:
    """Map allauth's error (and what caused it) to a page a person understands."""
    name, retry = provider.name, provider.start_url()
    next_url = (context.get("state") or {}).get("next")  # checked by allauth when the sign-in began
    if provider.id == "discord" and next_url:
        retry = reverse("home", query={"next": next_url})  # a sign-in begun from a bookmark still ends there
    reconnect = retry
    token = WizardStore(request.session).github_token() if provider.id == "github" else None
    if token:
        retry = reverse("picker")  # a refused "Include private repositories": the connection made before still works
    if error == AuthError.CANCELLED:
        return render_failure(
            request,
            f"You chose not to allow access at {name}, so nothing was linked.",
            status=403,
            title=f"{name} access was not granted",
            retry_url=retry,
        )
    if isinstance(exception, ProviderError):
        return provider_failure(request, exception, retry_url=retry, reconnect_url=reconnect)
    step = step_word(name)
    if isinstance(exception, UnverifiedEmail):
        return render_failure(
            request,
            f"{name} connects only accounts whose primary email address is verified. Verify yours in your {name} "
            "settings (Emails), then try again.",
            status=403,
            title="Verify your email address",
            retry_url=retry,
        )
    if isinstance(exception, (OAuth2Error, RequestException)):  # e.g. a token answer that is not JSON
        return render_failure(
            request,
            f"{name} refused to complete the {step}.",
            status=502,
            title=f"{step.capitalize()} failed",
            retry_url=retry,
        )
    if exception is None and "state" in context and "error" not in request.GET:
        # A valid state but neither a code nor an error: an address cut short (copied, pasted), not a provider's.
        return render_failure(
            request,
            f"The address that brought you back from {name} was incomplete, so the {step} did not finish.",
            status=400,
            title=f"{step.capitalize()} failed",
            retry_url=retry,
        )
    if exception is None and "state" in context:
        # The provider redirected back with an error of its own.
        return render_failure(
            request,
            f"{name} reported an error during the {step}.",
            status=502,
            title=f"{step.capitalize()} failed",
            retry_url=retry,
        )
    # No state, an unknown one, one already used, or one that expired.
    if exception is None and used_here(request, provider) and (done := _step_already_done(request, provider, token)):
        return done
    return provider_failure(request, StateRefused(name, "unknown state"), retry_url=retry, reconnect_url=reconnect)


def _step_already_done(
    request: HttpRequest, provider: HardenedProviderMixin, github_grant: GitHubGrant | None
) -> HttpResponse | None:
    """A callback this session has already used, again: the person goes on from the step it did. The code in
    that address is never exchanged."""
    if provider.id == "discord" and discord_id_of(request.user) is not None:
        messages.info(request, "You are already signed in with Discord.")
        return redirect("github_step")
    if provider.id == "github" and (github_grant or discord_id_of(request.user) is not None):
        if github_grant:
            messages.info(request, "Your GitHub account is still connected.")
        # Else the grant has ended since, and the picker says why: the dashboard after a link saved (the Back
        # button from there), "Connect with GitHub first" after WIZARD_TTL unused.
        return redirect("picker")
    return None
