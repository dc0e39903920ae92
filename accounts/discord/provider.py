from __future__ import annotations

from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.discord.provider import DiscordProvider as AllauthDiscordProvider

from accounts.discord.views import DiscordOAuth2Adapter
from linkapp.oauth import HardenedProviderMixin


class DiscordProvider(HardenedProviderMixin, AllauthDiscordProvider):
    oauth2_adapter_class = DiscordOAuth2Adapter
    start_url_name = "home"
    process = AuthProcess.LOGIN

    def extract_common_fields(self, data: dict) -> dict:
        # Only the `identify` scope: no e-mail.
        return {"username": data.get("username"), "name": data.get("global_name") or data.get("username")}

    # No e-mail is kept, even one Discord sends: the app needs none, and allauth would refuse the sign-up
    # of a second user with the same verified address, sending the person off the wizard.
    def extract_email_addresses(self, data: dict) -> list:
        return []

    def extract_extra_data(self, data: dict) -> dict:
        return {key: value for key, value in data.items() if key not in ("email", "verified")}


provider_classes = [DiscordProvider]
