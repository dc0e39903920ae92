"""README, Security: a Content-Security-Policy with no third-party sources; pages load nothing from other origins."""

import pytest


@pytest.mark.django_db
def test_pages_load_nothing_from_other_origins(client):
    """Avatars are fetched by the server and served from our origin: no directive but form-action (a sign-in
    start redirects to the providers) names anything beyond 'self' or 'none'."""
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = {words[0]: set(words[1:]) for words in (part.split() for part in policy.split(";")) if words}
    assert directives["img-src"] == {"'self'"} and directives["default-src"] == {"'self'"}
    for name, sources in directives.items():
        if name != "form-action":
            assert sources <= {"'self'", "'none'"}, (name, sources)
