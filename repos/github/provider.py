from __future__ import annotations

from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.github.provider import GitHubProvider as AllauthGitHubProvider
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse

from accounts.wizard_store import WizardStore
from linkapp.oauth import HardenedProviderMixin
from repos.github import connect
from repos.github.views import GitHubOAuth2Adapter

# Set on our own "Include private repositories" form; the only way to widen the scope.
PRIVATE_PARAM = "include_private"
# Set on our own "Use another GitHub account" form: GitHub would otherwise grant at once for the account
# this browser is signed in to on github.com, and the person could never reach their other one.
ANOTHER_ACCOUNT_PARAM = "another_account"


class GitHubProvider(HardenedProviderMixin, AllauthGitHubProvider):
    oauth2_adapter_class = GitHubOAuth2Adapter
    start_url_name = "github_step"
    process = AuthProcess.CONNECT

    def refusal_before_redirect(self, request: HttpRequest) -> HttpResponse | None:
        # Before the person consents at GitHub only to be refused on the way back (signed out in another tab, say).
        # The session tells without asking the database; the callback checks the Discord account (connect_github).
        if SESSION_KEY in request.session and WizardStore(request.session).began:
            return None
        return connect.outside_a_wizard(request)

    def get_scope(self) -> list[str]:
        return list(settings.GITHUB_SCOPES)

    def get_scope_from_request(self, request: HttpRequest) -> list[str]:
        # Only ours (see HardenedProviderMixin), plus the private step-up of our own form.
        scope = super().get_scope_from_request(request)
        if request.POST.get(PRIVATE_PARAM) == "1":
            scope += [s for s in settings.GITHUB_PRIVATE_SCOPES if s not in scope]
        return scope

    def get_auth_params_from_request(self, request: HttpRequest, action: str) -> dict:
        # Only ours (see HardenedProviderMixin), plus GitHub's account picker for our own form.
        params = super().get_auth_params_from_request(request, action)
        if request.POST.get(ANOTHER_ACCOUNT_PARAM) == "1":
            params = {**params, "prompt": "select_account"}
        return params

    def extract_common_fields(self, data: dict) -> dict:
        return {"username": data.get("login"), "name": data.get("name")}


provider_classes = [GitHubProvider]
