from __future__ import annotations

from allauth.socialaccount.models import SocialApp, SocialLogin, SocialToken
from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter as AllauthGitHubOAuth2Adapter
from django.conf import settings
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse

from accounts.wizard_store import WizardStore
from linkapp import oauth
from linkapp.cache import CACHE_UNAVAILABLE
from linkapp.providers import revoked_if_unused
from repos import github_api
from repos.github import connect
from repos.github_api import GitHubClient


class GitHubOAuth2Adapter(oauth.TokenAnswerMixin, AllauthGitHubOAuth2Adapter):
    """allauth's adapter knows one GitHub address, read at import, and puts the API at `{GITHUB_URL}/api/v3`;
    ours takes GITHUB_URL and GITHUB_API_URL separately (CONTRACT.md), read at request time."""

    headers = {"Accept": "application/json"}

    @property
    def issuer(self) -> str:
        # What GitHub sends as the callback's `iss` (RFC 9207), not its bare origin.
        return f"{settings.GITHUB_URL}/login/oauth"

    @property
    def authorize_url(self) -> str:
        return f"{settings.GITHUB_URL}/login/oauth/authorize"

    @property
    def access_token_url(self) -> str:
        return f"{settings.GITHUB_URL}/login/oauth/access_token"

    revoke_unused_token = staticmethod(github_api.revoke_token)

    def read_token_answer(self, token: SocialToken, data: dict) -> None:
        token.granted_scope = data.get("scope", "")  # kept in memory only, for the wizard store
        if not isinstance(token.granted_scope, str):  # the picker reads it as "repo,read:user"
            raise TypeError("a scope that is not a string")
        token.repositories = None  # set by complete_login

    def complete_login(self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs) -> SocialLogin:
        client = GitHubClient(token.token)
        with revoked_if_unused(github_api.revoke_token, token.token):
            if WizardStore(request.session).began:
                # A connect onto a Discord sign-in: the repository list is fetched while we ask GitHub
                # who this is, and connect.connect_github (from pre_social_login) stores it for the picker.
                user, token.repositories = client.get_user_and_repositories()
            else:
                user = client.get_user()  # refused in connect_github: only a Discord sign-in has a wizard
        self.access_token = token.token  # for GitHubCallbackView, should the database fail after this
        return self.get_provider().sociallogin_from_response(request, user)


class GitHubCallbackView(oauth.CallbackView):
    def release_grant(self, request: HttpRequest) -> None:
        # A grant the wizard store does not hold is held nowhere, and GitHub's tokens do not expire.
        granted = getattr(self.adapter, "access_token", None)
        try:
            stored = WizardStore(request.session).github_token() or {}
        except CACHE_UNAVAILABLE:
            stored = {}  # Redis is down too: revoke rather than leave the grant alive
        if granted and stored.get("access_token") != granted:
            github_api.revoke_token(granted)

    def recover(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, IntegrityError):
            # allauth's SocialAccount is unique per provider and uid: two tabs connected it at once.
            return connect.connected_meanwhile(request)  # None when not the race: a bug, a 500
        return None


oauth2_login = oauth.login_view(GitHubOAuth2Adapter)
oauth2_callback = oauth.callback_view(GitHubOAuth2Adapter, GitHubCallbackView)
