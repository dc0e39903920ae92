import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpResponse

from accounts.decorators import discord_required
from accounts.identity import discord_handle, find_account, social_account, social_accounts


@pytest.fixture
def person(db):
    user = User.objects.create(username="nelly")
    SocialAccount.objects.create(user=user, provider="discord", uid="80351110224678912")
    SocialAccount.objects.create(user=user, provider="github", uid="1")
    SocialAccount.objects.create(user=user, provider="github", uid="2")
    return user


def test_a_wizard_step_reads_all_of_the_persons_accounts_in_one_query(person, rf, django_assert_num_queries):
    seen = {}

    @discord_required
    def step(request):
        seen["discord"] = request.discord_account.uid
        seen["github"] = find_account(request.social_accounts, "github", "2").uid
        return HttpResponse()

    request = rf.get("/")
    request.user = person
    with django_assert_num_queries(1):
        assert step(request).status_code == 200
    assert seen == {"discord": "80351110224678912", "github": "2"}


def test_an_account_is_found_by_provider_and_uid(person):
    accounts = list(SocialAccount.objects.filter(user=person))
    assert find_account(accounts, "github").uid == "1"
    assert find_account(accounts, "github", "3") is None
    assert find_account(accounts, "discord", "80351110224678912").provider == "discord"
    assert social_account(person, "discord").uid == "80351110224678912"
    assert social_account(AnonymousUser(), "discord") is None


@pytest.mark.parametrize(
    ("extra_data", "handle"),
    [
        ({"username": "nelly", "discriminator": "0", "global_name": "Nelly"}, "nelly"),
        # Discord's example of an account not yet moved to a unique username: the name alone is not unique.
        ({"username": "Nelly", "discriminator": "1337", "global_name": None}, "Nelly#1337"),
        ({"username": "nelly"}, "nelly"),
        ({"username": "nelly", "discriminator": "x" * 200}, "nelly"),  # not Discord's: kept out of the column
        ({"username": "nelly", "discriminator": "0000"}, "nelly"),  # no tag (a webhook's or a deleted user's)
        ({}, "80351110224678912"),
    ],
)
def test_the_handle_kept_on_links_names_one_discord_user(extra_data, handle):
    account = SocialAccount(provider="discord", uid="80351110224678912", extra_data=extra_data)
    assert discord_handle(account) == handle


def test_of_two_github_accounts_the_first_connected_is_the_persons(person):
    """The same account on every page and every request, not whichever row the database returns first."""
    assert [(a.provider, a.uid) for a in social_accounts(person)] == [
        ("discord", "80351110224678912"),
        ("github", "1"),
        ("github", "2"),
    ]
    assert social_account(person, "github").uid == "1"


@pytest.mark.parametrize(("method", "comes_back"), [("get", True), ("post", False)])
def test_a_sign_in_asked_for_by_a_page_returns_to_it_but_not_one_asked_for_by_a_form(db, rf, method, comes_back):
    """A form's POST cannot be replayed as a GET after signing in: its sign-in ends at the usual next step."""

    @discord_required
    def step(request):
        return HttpResponse()

    request = getattr(rf, method)("/dashboard/?sort=name")
    request.user = AnonymousUser()
    request.session = {}
    page = step(request)

    assert page.status_code == 403
    assert ('href="/?next=%2Fdashboard%2F%3Fsort%3Dname"' in page.content.decode()) is comes_back
