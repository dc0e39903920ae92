"""connect_github's own guards, called as allauth calls it: what no walk through the pages reaches, since
allauth's state check and the refusal before the redirect to GitHub stand in front of them."""

from __future__ import annotations

import logging

import pytest
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialAccount, SocialLogin, SocialToken
from django.contrib.sessions.backends.cache import SessionStore
from django.http import HttpRequest

from accounts.wizard_store import WizardStore
from repos import github_api, repo_store
from repos.github import connect

pytestmark = pytest.mark.django_db

GITHUB_UID = "583231"  # octocat
DISCORD_UID = "80351110224678912"


@pytest.fixture
def revoked(monkeypatch) -> list[str]:
    """The tokens revoked at GitHub; and no repository list asked for."""
    tokens: list[str] = []
    monkeypatch.setattr(github_api, "revoke_token", tokens.append)
    monkeypatch.setattr(connect, "_store_repositories", lambda store, sociallogin, discord_id: None)
    return tokens


def discord_user(django_user_model, username: str = "nelly", uid: str = DISCORD_UID):
    """A person signed in with Discord, as every wizard begins."""
    person = django_user_model.objects.create_user(username)
    SocialAccount.objects.create(user=person, provider="discord", uid=uid)
    return person


def saved_session(*, wizard: bool) -> SessionStore:
    session = SessionStore()
    if wizard:
        WizardStore(session).begin()
    session.save()
    return session


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
    person = discord_user(django_user_model)
    session = saved_session(wizard=True)
    store = WizardStore(session)
    store.save_github_token("gho_same", "", GITHUB_UID)

    connect.connect_github(callback(rf, person, session), github_grant("gho_same"))

    assert revoked == []
    assert store.github_token()["access_token"] == "gho_same"


def test_a_connect_onto_a_session_without_a_discord_sign_in_is_refused_and_revoked(rf, django_user_model, revoked):
    admin = django_user_model.objects.create_superuser("root", password="right horse battery")  # no Discord, no wizard
    session = saved_session(wizard=False)

    with pytest.raises(ImmediateHttpResponse) as refused:
        connect.connect_github(callback(rf, admin, session), github_grant("gho_new"))

    assert refused.value.response.status_code == 403
    assert revoked == ["gho_new"]


def test_a_github_account_of_another_discord_user_moves_here_and_the_move_is_logged(
    rf, django_user_model, revoked, caplog
):
    """A second Discord account of the same person: the GitHub account moves, and the log says from whom to whom."""
    bob = discord_user(django_user_model, "bob", "111111111111111111")
    github = SocialAccount.objects.create(user=bob, provider="github", uid=GITHUB_UID)
    person = discord_user(django_user_model)
    session = saved_session(wizard=True)
    sociallogin = SocialLogin(user=bob, account=github, token=SocialToken(account=github, token="gho_new"))
    sociallogin.state = {"process": "connect"}
    caplog.set_level(logging.INFO, logger="linkapp.wizard")

    assert connect.connect_github(callback(rf, person, session), sociallogin) == DISCORD_UID

    assert SocialAccount.objects.get(provider="github").user == person
    assert WizardStore(session).github_token()["access_token"] == "gho_new"
    assert revoked == []
    assert f"step=moved provider=github from_discord_id=111111111111111111 discord_id={DISCORD_UID}" in (
        caplog.messages
    )


def test_a_github_account_of_a_deactivated_user_stays_theirs_and_the_grant_is_revoked(
    rf, django_user_model, revoked, caplog
):
    """An admin stopped bob linking: a second Discord account must not take his GitHub account over."""
    bob = discord_user(django_user_model, "bob", "111111111111111111")
    bob.is_active = False
    bob.save()
    github = SocialAccount.objects.create(user=bob, provider="github", uid=GITHUB_UID)
    person = discord_user(django_user_model)
    session = saved_session(wizard=True)
    WizardStore(session).save_github_token("gho_own", "", "42")  # a GitHub account of the person's own
    sociallogin = SocialLogin(user=bob, account=github, token=SocialToken(account=github, token="gho_new"))
    sociallogin.state = {"process": "connect"}

    with pytest.raises(ImmediateHttpResponse) as refused:
        connect.connect_github(callback(rf, person, session), sociallogin)

    assert refused.value.response.status_code == 403
    assert SocialAccount.objects.get(provider="github").user == bob
    assert revoked == ["gho_new"]
    assert WizardStore(session).github_token()["access_token"] == "gho_own"  # still theirs to link with
    assert (
        f"step=refused reason=github_account_of_deactivated_user from_discord_id=111111111111111111 "
        f"discord_id={DISCORD_UID}"
    ) in caplog.messages


def test_a_new_grant_without_a_list_of_its_own_leaves_no_earlier_list_for_the_picker(
    rf, django_user_model, monkeypatch
):
    """The list kept beside an earlier grant (perhaps another GitHub account's) is never shown with a new one:
    without a list fetched beside the new grant, the picker asks GitHub afresh."""
    monkeypatch.setattr(github_api, "revoke_token", lambda token: None)
    person = discord_user(django_user_model)
    session = saved_session(wizard=True)
    store = WizardStore(session)
    store.save_github_token("gho_old", "", "1")
    repo_store.save(store, [])
    assert repo_store.load(store) == ()

    connect.connect_github(callback(rf, person, session), github_grant("gho_new"))  # no `repositories` on it

    assert store.github_token()["access_token"] == "gho_new"
    assert repo_store.load(store) is None


@pytest.mark.parametrize("process", ["login", "connect"])
def test_a_grant_onto_no_wizard_of_this_session_is_refused_and_revoked(rf, django_user_model, revoked, process):
    """A Discord user's session without a wizard (signed in some other way, e.g. an admin's password), or a
    GitHub sign-in (the login process) onto a wizard: GitHub never signs anyone in, and joins only a wizard."""
    person = discord_user(django_user_model)
    session = saved_session(wizard=process == "login")
    grant = github_grant("gho_new")
    grant.state = {"process": process}

    with pytest.raises(ImmediateHttpResponse) as refused:
        connect.connect_github(callback(rf, person, session), grant)

    assert refused.value.response.status_code == 403
    assert revoked == ["gho_new"]
    assert not SocialAccount.objects.filter(provider="github").exists()
