"""README, Security: SOCIALACCOUNT_ONLY turns off allauth's local login, sign-up and password pages (only Django
admin signs in with a password)."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/accounts/signup/", "/accounts/password/reset/", "/accounts/password/change/", "/accounts/email/"]
)
def test_allauths_sign_up_and_password_pages_do_not_exist(client, path):
    assert client.get(path).status_code == 404
