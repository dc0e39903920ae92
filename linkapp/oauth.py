"""What both of our allauth provider packages add to allauth's OAuth2 flow (RFC 9700 hardening).

- The login URL's `?scope=` and `?auth_params=` are ignored: only configured scopes are asked.
- A sign-in asking for another `process` than its provider's own is refused before it is stored or logged.
- Each stored `state` carries its creation time and is refused once older than WIZARD_TTL
  (allauth drops it after a fixed 10 minutes anyway: the limit is the shorter of the two);
  a session made only to hold it expires after WIZARD_TTL too.
- A token answer of an unexpected shape fails the sign-in like a refused one.
- A refusal only the person can mend (UnverifiedEmail, GitHub's) reaches their page as itself.
- A callback's `iss` parameter (RFC 9207) must name the provider we sent the person to.
- Each state used is remembered in the session (the last few), so that the same callback again (the Back button
  to the consent page, Authorize again) lands on the step already done instead of an error (used_here).
- Starting a login and the callback are rate limited per client address.
- A callback that cannot reach the database, or whose database only reads, offers to start its step again: its
  code was already exchanged.
  A grant made before the callback failed (the database, Redis, a bug), and kept nowhere, is revoked.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.models import SocialApp, SocialToken
from allauth.socialaccount.providers.base import AuthProcess, Provider
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2Adapter, OAuth2CallbackView, OAuth2LoginView
from allauth.utils import get_request_param
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from requests import RequestException

from linkapp.addresses import as_providers_write
from linkapp.database import is_database_unavailable
from linkapp.failures import database_unavailable, render_failure
from linkapp.logs import one_line
from linkapp.providers import StateRefused
from linkapp.ratelimits import View, limit_per_address

log = logging.getLogger("linkapp.wizard")
USED_STATES = "linkapp_used_states"  # session key: the last few states this session's callbacks used
USED_STATES_KEPT = 8
BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750's b64token: what an Authorization header carries


class HardenedProviderMixin:
    """Mixed into our DiscordProvider and GitHubProvider (allauth OAuth2Provider subclasses)."""

    start_url_name: str  # the wizard step whose button starts this provider's sign-in
    process: str  # allauth's process of this provider's sign-in: Discord signs in, GitHub connects

    def start_url(self) -> str:
        return reverse(self.start_url_name)

    def redirect_from_request(self, request: HttpRequest) -> HttpResponse:
        # allauth keeps the posted `process`, whatever it is, in the session (and we log it): only this
        # provider's own passes, which is all its callback accepts anyway.
        if get_request_param(request, "process", AuthProcess.LOGIN) != self.process:
            return render_failure(request, "That sign-in request is not valid.", status=400, retry_url=self.start_url())
        return self.refusal_before_redirect(request) or super().redirect_from_request(request)

    def refusal_before_redirect(self, request: HttpRequest) -> HttpResponse | None:
        """This provider's own reason not to send the person to it at all (nothing is stored yet)."""
        return None

    def get_scope_from_request(self, request: HttpRequest) -> list[str]:
        # allauth would add any ?scope= from the login URL; we only ever ask for the configured scope.
        return self.get_scope()

    def get_auth_params_from_request(self, request: HttpRequest, action: str) -> dict:
        return self.get_auth_params()

    def stash_redirect_state(
        self, request: HttpRequest, process: str, next_url: str | None = None, data: dict | None = None, **kwargs
    ) -> str:
        log.info("step=started provider=%s process=%s", self.id, process)
        if SESSION_KEY not in request.session:  # no one signed in (read without asking the database)
            # A sign-in begun and never finished (or begun by a script again and again) keeps its session in
            # Redis only as long as its state is valid, not SESSION_COOKIE_AGE: see restore_session_age.
            request.session.set_expiry(settings.WIZARD_TTL)
        return super().stash_redirect_state(request, process, next_url, data, created=time.time(), **kwargs)


def restore_session_age(sender: type, request: HttpRequest, user: AbstractBaseUser, **kwargs) -> None:
    """user_logged_in receiver (sent once login() has cycled the session): whoever signs in, by Discord or at
    the admin's password page, gets SESSION_COOKIE_AGE again, not the WIZARD_TTL of a sign-in begun before."""
    request.session.set_expiry(None)


class UnverifiedEmail(OAuth2Error):
    """GitHub's token refusal `unverified_user_email` ("The user must have a verified primary email."): only the
    person can mend it, on GitHub, so their page says how instead of "refused to complete"."""


class TokenAnswerMixin:
    """Mixed into our OAuth2 adapters: allauth reads the token endpoint's JSON as it comes, so an answer
    of another shape (`1`, a list, `"expires_in": "soon"`) would be a 500 instead of a failed sign-in.
    A token that came with an answer we cannot otherwise read is revoked: it is kept nowhere."""

    revoke_unused_token: Callable[[str], object]  # the provider's revocation (a staticmethod)

    def get_access_token_data(
        self, request: HttpRequest, app: SocialApp, client: OAuth2Client, pkce_code_verifier: str | None = None
    ) -> dict:
        try:
            data = super().get_access_token_data(request, app, client, pkce_code_verifier=pkce_code_verifier)
        except TypeError as exc:  # `1` or `true`: allauth's `"access_token" in data` fails on them
            raise OAuth2Error("a token answer that is not an object") from exc
        except (RequestException, UnverifiedEmail):
            raise  # no usable answer (some are ValueErrors too), or ours: on_authentication_error tells the person
        except (ValueError, RecursionError) as exc:  # JSON nested too deep, or a number too long, for Python
            raise OAuth2Error("a token answer we cannot read") from exc
        except OAuth2Error:
            # allauth's message is the whole answer, which for one it could not read may hold a live token:
            # kept out of any traceback a later failure of this request would log.
            raise OAuth2Error("a refused or unreadable token answer") from None
        if not (isinstance(data, dict) and isinstance(data.get("access_token"), str) and data["access_token"]):
            raise OAuth2Error("a token answer without a token")
        return data

    def parse_token(self, data: dict) -> SocialToken:
        try:
            token = super().parse_token(data)
            if not BEARER_TOKEN.fullmatch(token.token):  # one it could not even be sent back in a header
                raise ValueError("not a bearer token")
            self.read_token_answer(token, data)
        except (TypeError, ValueError, OverflowError) as exc:
            self.revoke_unused_token(data["access_token"])
            raise OAuth2Error("a token answer we cannot read") from exc
        return token

    def read_token_answer(self, token: SocialToken, data: dict) -> None:
        """What an adapter keeps of the answer besides the token; TypeError or ValueError when it cannot."""


class CallbackView(OAuth2CallbackView):
    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        issuer = request.GET.get("iss")
        if issuer is not None and issuer.rstrip("/") != as_providers_write(self.adapter.issuer):
            provider = self.adapter.get_provider()
            return render_authentication_error(
                request, provider, exception=StateRefused(provider.name, "issuer mismatch")
            )
        try:
            return super().dispatch(request, *args, **kwargs)
        except ImmediateHttpResponse:
            raise  # a page from our adapters (a failure explained), which allauth's middleware answers with
        except Exception as exc:
            if is_database_unavailable(exc):
                provider = self.adapter.get_provider()
                log.warning("step=failed provider=%s reason=database unavailable: %s", provider.id, one_line(exc))
                self.release_grant(request)
                # handler500's "Try again" would repeat this callback, whose code (single use) is spent.
                return database_unavailable(provider.start_url())
            response = self.recover(request, exc)
            if response is not None:
                return response
            # Redis is down (the session cannot be read, so the person starts again), or a bug.
            self.release_grant(request)
            raise  # handler500

    def recover(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        """A page for a failure that a provider's callback knows how to explain; None for any other."""
        return None

    def release_grant(self, request: HttpRequest) -> None:
        """The callback failed after the code was exchanged: revoke a token now kept nowhere.
        Nothing to do for Discord, whose token is revoked as soon as the profile is read."""

    def _get_state(self, request: HttpRequest, provider: Provider) -> tuple[dict | None, HttpResponse | None]:
        state, response = super()._get_state(request, provider)
        if state is not None and time.time() - state.get("created", 0) > settings.WIZARD_TTL:
            # allauth has already consumed it: it cannot be replayed either.
            return None, render_authentication_error(
                request, provider, exception=StateRefused(provider.name, "sign-in attempt expired")
            )
        if state is not None:
            used = request.session.get(USED_STATES, [])[-(USED_STATES_KEPT - 1) :]
            request.session[USED_STATES] = [*used, _used_state_key(request, provider)]
        return state, response


def used_here(request: HttpRequest, provider: Provider) -> bool:
    """Whether this callback's state is one this session has already used: the browser's Back button to the
    provider's consent page, and Authorize again (GitHub redirects at once for a grant it already gave).
    Not a state that expired, or a forged one."""
    return _used_state_key(request, provider) in request.session.get(USED_STATES, [])


def _used_state_key(request: HttpRequest, provider: Provider) -> str:
    return f"{provider.id}:{get_request_param(request, 'state')}"


# The counter every OAuth step of either provider counts against (linkapp.ratelimits).
SIGN_IN_STEPS = "oauth-steps"


def login_view(adapter: type[OAuth2Adapter]) -> View:
    # allauth shows its "Continue" page for a GET and starts a sign-in for any other method: a HEAD or an
    # OPTIONS (a prefetch, a probe) would store a state and redirect to the provider.
    return require_http_methods(["GET", "POST"])(
        limit_per_address(OAuth2LoginView.adapter_view(adapter), group=SIGN_IN_STEPS)
    )


def callback_view(adapter: type[OAuth2Adapter], view: type[CallbackView] = CallbackView) -> View:
    # The provider redirects the browser with a GET; any other method would still spend the code.
    return require_GET(limit_per_address(view.adapter_view(adapter), group=SIGN_IN_STEPS))
