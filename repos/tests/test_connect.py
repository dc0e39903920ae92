"""connect_github's own guards, called as allauth calls it: what no walk through the pages reaches, since
allauth's state check and the refusal before the redirect to GitHub stand in front of them."""

from __future__ import annotations

import pytest
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin, SocialToken
from django.contrib.sessions.backends.cache import SessionStore
from django.http import HttpRequest

from accounts.wizard_store import WizardStore
from repos import github_api
from repos.github import connect

pytestmark = pytest.mark.django_db

GITHUB_UID = "583231"  # octocat


@pytest.fixture
def revoked(monkeypatch) -> list[str]:
    """The tokens revoked at GitHub; and no repository list asked for."""
    tokens: list[str] = []
    monkeypatch.setattr(github_api, "revoke_token", tokens.append)
    monkeypatch.setattr(connect, "_store_repositories", lambda store, sociallogin, discord_id: None)
    return tokens


def callback(rf, user, session: SessionStore) -> HttpRequest:
    request = rf.get("/accounts/github/login/callback/")
    request.user, request.session = user, session
    return request


def github_grant(token: str) -> SocialLogin:
    account = SocialAccount(provider="github", uid=GITHUB_UID)
    sociallogin = SocialLogin(account=account, token=SocialToken(account=account, token=token))
    sociallogin.state = {"process": "connect"}
    return sociallogin


def test_the_same_grant_again_is_kept_not_revoked(rf, django_user_model, revoked):
    """Revoking the previous grant when it is this very one would leave the wizard a dead token."""
    person = django_user_model.objects.create_user("nelly")
    SocialAccount.objects.create(user=person, provider="discord", uid="80351110224678912")
    session = SessionStore()
    store = WizardStore(session)
    store.begin()
    session.save()
    store.save_github_token("gho_same", "", GITHUB_UID)

    connect.connect_github(callback(rf, person, session), github_grant("gho_same"))

    assert revoked == []
    assert store.github_token()["access_token"] == "gho_same"


def test_a_connect_onto_a_session_without_a_discord_sign_in_is_refused_and_revoked(rf, django_user_model, revoked):
    admin = django_user_model.objects.create_superuser("root", password="right horse battery")  # no Discord, no wizard
    session = SessionStore()
    session.save()

    with pytest.raises(ImmediateHttpResponse) as refused:
        connect.connect_github(callback(rf, admin, session), github_grant("gho_new"))

    assert refused.value.response.status_code == 403
    assert revoked == ["gho_new"]
