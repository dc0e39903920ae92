from __future__ import annotations

from allauth.socialaccount.models import SocialApp, SocialLogin, SocialToken
from allauth.socialaccount.providers.discord.views import DiscordOAuth2Adapter as AllauthDiscordOAuth2Adapter
from django.conf import settings
from django.http import HttpRequest

from accounts import discord_api
from linkapp import oauth
from linkapp.providers import revoked_if_unused


class DiscordOAuth2Adapter(oauth.TokenAnswerMixin, AllauthDiscordOAuth2Adapter):
    """allauth's adapter hard-codes discord.com; ours reads DISCORD_URL at request time."""

    revoke_unused_token = staticmethod(discord_api.revoke_token)

    @property
    def issuer(self) -> str:
        return settings.DISCORD_URL

    @property
    def authorize_url(self) -> str:
        return f"{settings.DISCORD_URL}/oauth2/authorize"

    @property
    def access_token_url(self) -> str:
        return f"{settings.DISCORD_URL}/api/oauth2/token"

    def complete_login(self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs) -> SocialLogin:
        # Discord is needed only to learn who the person is: its token is revoked at once, never stored.
        with revoked_if_unused(discord_api.revoke_token, token.token):
            profile = discord_api.fetch_profile(token.token)
        discord_api.revoke_token(token.token)
        return self.get_provider().sociallogin_from_response(request, profile)


oauth2_login = oauth.login_view(DiscordOAuth2Adapter)
oauth2_callback = oauth.callback_view(DiscordOAuth2Adapter)
