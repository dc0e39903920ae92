"""README, Security: a Content-Security-Policy with no third-party sources; pages load nothing from other origins."""

import pytest
from django.conf import settings


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


def test_the_scripts_come_from_the_app_itself(client):
    """'self' is where the pages' scripts may come from: the app serves static/ itself (WhiteNoise from the
    finders, no collectstatic step), as JavaScript, which nosniff makes the browser insist on."""
    for name in ("forms.js", "picker.js"):
        answer = client.get(f"/static/{name}")
        assert answer.status_code == 200, name
        assert answer["Content-Type"].startswith("text/javascript"), name
        assert b"".join(answer.streaming_content) == (settings.BASE_DIR / "static" / name).read_bytes()
