from __future__ import annotations

from allauth.socialaccount.providers.discord.provider import DiscordProvider as AllauthDiscordProvider
from django.http import HttpRequest

from accounts.discord.views import DiscordOAuth2Adapter
from linkapp.oauth import HardenedProviderMixin


class DiscordProvider(HardenedProviderMixin, AllauthDiscordProvider):
    oauth2_adapter_class = DiscordOAuth2Adapter

    def get_scope_from_request(self, request: HttpRequest) -> list[str]:
        # allauth would add any ?scope= from the login URL; we only ever ask for the configured scope.
        return self.get_scope()

    def extract_common_fields(self, data: dict) -> dict:
        # Only the `identify` scope: no e-mail.
        return {"username": data.get("username"), "name": data.get("global_name") or data.get("username")}


provider_classes = [DiscordProvider]
