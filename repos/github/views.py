from __future__ import annotations

from allauth.socialaccount.providers.github.views import GitHubOAuth2Adapter as AllauthGitHubOAuth2Adapter
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.conf import settings
from django.http import HttpRequest

from repos.github_api import GitHubClient


class GitHubOAuth2Adapter(AllauthGitHubOAuth2Adapter):
    """allauth reads the GitHub address once at import; ours reads GITHUB_URL at request time."""

    headers = {"Accept": "application/json"}

    @property
    def authorize_url(self) -> str:
        return f"{settings.GITHUB_URL}/login/oauth/authorize"

    @property
    def access_token_url(self) -> str:
        return f"{settings.GITHUB_URL}/login/oauth/access_token"

    @property
    def profile_url(self) -> str:
        return f"{settings.GITHUB_API_URL}/user"

    def parse_token(self, data: dict):
        token = super().parse_token(data)
        token.granted_scope = data.get("scope", "")  # kept in memory only, for the wizard store
        return token

    def complete_login(self, request: HttpRequest, app, token, **kwargs):
        user = GitHubClient(token.token).get_user()
        return self.get_provider().sociallogin_from_response(request, user)


oauth2_login = OAuth2LoginView.adapter_view(GitHubOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(GitHubOAuth2Adapter)
