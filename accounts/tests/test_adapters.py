import json

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User

from accounts.adapters import SocialAccountAdapter


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


def test_the_unused_social_applications_and_tokens_pages_are_not_in_admin():
    assert SocialApp not in admin.site._registry
    assert SocialToken not in admin.site._registry


@pytest.mark.django_db
def test_social_accounts_can_be_viewed_and_deleted_in_admin_but_not_edited(admin_client):
    user = User.objects.create(username="nelly")
    account = SocialAccount.objects.create(user=user, provider="discord", uid="80351110224678912")
    url = f"/admin/socialaccount/socialaccount/{account.pk}/change/"

    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"user": user.pk, "provider": "discord", "uid": "1"}).status_code == 403
    assert admin_client.get("/admin/socialaccount/socialaccount/add/").status_code == 403
    account.refresh_from_db()
    assert account.uid == "80351110224678912"
    admin_client.post(f"/admin/socialaccount/socialaccount/{account.pk}/delete/", {"post": "yes"})
    assert not SocialAccount.objects.exists()


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
