"""A person who links a repository, looks around, unlinks it and signs out leaves nothing above INFO in the log,
under gunicorn as operators run it with LOG_FORMAT=json: a WARNING or an ERROR is for something an operator should
look at. gunicorn's own lines count (it wrote a warning for every HEAD answered with a body), and so do warnings a
library raises at run time."""

import json
from urllib.parse import urlsplit

import pytest
import requests

from linkapp.tests.gunicorn_process import gunicorn_serving
from repos.models import Link
from tests.browser import Browser
from tests.services import suite_database_url
from tests.wizard import first_linkable_repo, walk_to_picker

pytestmark = pytest.mark.django_db(transaction=True)  # gunicorn's commits are read, and emptied afterwards


def test_a_whole_visit_and_the_probes_beside_it_log_nothing_above_info(free_tcp_port, providers):
    app = f"http://127.0.0.1:{free_tcp_port}"
    env = {"LOG_FORMAT": "json", "DATABASE_URL": suite_database_url(), **providers.addresses()}
    with gunicorn_serving(free_tcp_port, env) as served:
        browser = Browser(app)
        picker = walk_to_picker(browser)
        full_name, repo_id = first_linkable_repo(picker)
        dashboard = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})
        assert dashboard.status_code == 200 and full_name in dashboard.text
        for path in ("/accounts/3rdparty/", "/api/v1/me/links", "/avatar/"):  # the rest of a person's visit
            assert browser.get(path).status_code == 200, path
        (link,) = Link.objects.all()
        after = browser.submit(browser.get(f"/links/{link.pk}/unlink/"), "Unlink")
        assert after.status_code == 200 and not Link.objects.exists()
        assert urlsplit(browser.submit(after, "Sign out").url).path == "/"
        for path in ("/", "/readyz", "/healthz", "/static/linkapp.css"):  # a load balancer's or a monitor's
            for probe in (requests.get, requests.head):
                assert probe(app + path, timeout=10).status_code == 200, path
    out, err = served.printed

    lines = (out + err).splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON entry: no bare text, no traceback
    assert any("step=linked" in entry["message"] for entry in entries)
    assert [entry for entry in entries if entry["level"] not in ("DEBUG", "INFO")] == []
