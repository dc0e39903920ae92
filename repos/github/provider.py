from __future__ import annotations

from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.github.provider import GitHubProvider as AllauthGitHubProvider
from django.conf import settings
from django.http import HttpRequest

from linkapp.oauth import HardenedProviderMixin
from repos.github.views import GitHubOAuth2Adapter

# Set on our own "Include private repositories" form; the only way to widen the scope.
PRIVATE_PARAM = "include_private"


class GitHubProvider(HardenedProviderMixin, AllauthGitHubProvider):
    oauth2_adapter_class = GitHubOAuth2Adapter
    start_url_name = "github_step"
    process = AuthProcess.CONNECT

    def get_scope(self) -> list[str]:
        return list(settings.GITHUB_SCOPES)

    def get_scope_from_request(self, request: HttpRequest) -> list[str]:
        # Only ours (see HardenedProviderMixin), plus the private step-up of our own form.
        scope = super().get_scope_from_request(request)
        if request.POST.get(PRIVATE_PARAM) == "1":
            scope += [s for s in settings.GITHUB_PRIVATE_SCOPES if s not in scope]
        return scope

    def extract_common_fields(self, data: dict) -> dict:
        return {"username": data.get("login"), "name": data.get("name")}


provider_classes = [GitHubProvider]
