import json

import pytest
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialLogin
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.cache import SessionStore

from accounts.adapters import SocialAccountAdapter
from accounts.wizard_store import WizardStore


@pytest.mark.django_db
def test_oauth_apps_come_from_the_environment_without_a_query(settings, rf, django_assert_num_queries):
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "github": {**settings.SOCIALACCOUNT_PROVIDERS["github"], "APPS": [{"client_id": "gh-id", "secret": "gh-s"}]},
    }
    SocialApp.objects.create(provider="github", client_id="from-admin", secret="x")  # not used

    with django_assert_num_queries(0):
        apps = SocialAccountAdapter().list_apps(rf.get("/"), provider="github")
        app = SocialAccountAdapter().get_app(rf.get("/"), provider="github")

    assert [(a.provider, a.client_id, a.secret) for a in apps] == [("github", "gh-id", "gh-s")]
    assert app.client_id == "gh-id"
    assert SocialAccountAdapter().list_apps(None, provider="github", client_id="other") == []
    assert {a.provider for a in SocialAccountAdapter().list_apps(None)} == {"discord", "github"}


@pytest.mark.django_db
def test_a_discord_profile_with_an_email_leaves_no_email_behind(rf):
    """We ask only for `identify`; should Discord send its example's verified email all the same, it is
    kept nowhere: not on the user, not as an address (allauth would refuse a sign-up on a clash), not in
    the profile saved with the account."""
    from allauth.socialaccount.adapter import get_adapter

    profile = json.loads((settings.BASE_DIR / "demo/payloads/discord_user_me.json").read_text())
    assert profile["email"] and profile["verified"]  # the example is Discord's own, with its e-mail
    provider = get_adapter().get_provider(rf.get("/"), "discord")

    sociallogin = provider.sociallogin_from_response(rf.get("/"), profile)

    assert sociallogin.email_addresses == []
    assert sociallogin.user.email == ""
    assert "email" not in sociallogin.account.extra_data  # the profile kept on the SocialAccount row
    assert sociallogin.account.extra_data["username"] == profile["username"]


@pytest.mark.parametrize(("provider", "open_"), [("discord", True), ("github", False)])
def test_only_discord_signs_anyone_up(rf, provider, open_):
    """A GitHub account never makes a user of its own: the wizard's other guards refuse it earlier, this one last."""
    sociallogin = SocialLogin(account=SocialAccount(provider=provider, uid="1"))
    assert SocialAccountAdapter().is_open_for_signup(rf.get("/"), sociallogin) is open_


@pytest.mark.django_db
def test_a_discord_account_arriving_by_another_process_begins_no_wizard(rf):
    """Discord signs people in only through allauth's login process: a connect (however it got past the guards
    in front) is refused with the "start with Discord" page, and no wizard is begun."""
    request = rf.get("/accounts/discord/login/callback/")
    request.session, request.user = SessionStore(), AnonymousUser()
    sociallogin = SocialLogin(account=SocialAccount(provider="discord", uid="80351110224678912"))
    sociallogin.state = {"process": "connect"}

    with pytest.raises(ImmediateHttpResponse) as refused:
        SocialAccountAdapter().pre_social_login(request, sociallogin)

    assert refused.value.response.status_code == 403
    assert not WizardStore(request.session).began
