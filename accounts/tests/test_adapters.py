import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib import admin

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


def test_the_unused_social_applications_page_is_not_in_admin():
    assert SocialApp not in admin.site._registry
