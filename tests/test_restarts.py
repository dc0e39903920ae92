"""Restarts the app must ride out with nothing lost: its own instances replaced one by one in a new release, and
Postgres or Redis restarted (or failed over) under the connections the instances keep."""

from __future__ import annotations

import signal
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
from django.db import connection

from demo.providers import Fault
from linkapp.tests.gunicorn_process import gunicorn_serving
from repos.models import Link
from tests.browser import Browser
from tests.services import free_port, suite_database_url
from tests.wizard import first_linkable_repo, sign_in_with_discord

pytestmark = pytest.mark.django_db(transaction=True)  # gunicorn's commits are read, and emptied afterwards


def test_a_github_callback_in_flight_at_sigterm_finishes_and_the_wizard_goes_on_on_the_next_instance(providers):
    """README, "A new release": each instance is stopped with SIGTERM. gunicorn then takes no new connections
    but lets the requests in flight finish (GUNICORN_GRACEFUL_TIMEOUT): a provider callback cut off there would
    have spent its single-use code, and its person would start again."""
    stall = 8  # GitHub's token answer: long enough for the instance to be told to stop while it waits
    env = {"DATABASE_URL": suite_database_url(), **providers.addresses(), "PROVIDER_TIMEOUT": "20"}
    old, new = free_port(), free_port()
    with gunicorn_serving(old, env) as stopping, gunicorn_serving(new, env):
        browser = Browser(f"http://127.0.0.1:{old}/")
        authorize = browser.submit(sign_in_with_discord(browser), "Connect with GitHub")
        # GitHub sends the person back to the instance that sent them (allauth's redirect_uri is its own address).
        to_callback = browser.submit(authorize, "Authorize", {"login": "octocat"}, allow_redirects=False)
        callback = to_callback.headers["Location"]
        assert urlsplit(callback).port == old
        providers.faults["github.token"] = Fault(delay=stall, times=1)
        answers: list[requests.Response | Exception] = []

        def follow_the_callback() -> None:
            # The browser's own session: the callback's answer sets the cookie the next instance must be sent.
            try:
                answers.append(browser.session.get(callback, allow_redirects=False, timeout=30))
            except requests.RequestException as error:
                answers.append(error)

        in_flight = threading.Thread(target=follow_the_callback)
        in_flight.start()
        deadline = time.monotonic() + 10
        while not providers.calls_to("github.token") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert providers.calls_to("github.token"), "the callback never reached GitHub's token endpoint"
        stopping.process.send_signal(signal.SIGTERM)
        # Stopped taking new connections (a new one waits unanswered) while the callback still waits on GitHub.
        while _answers(old):
            assert time.monotonic() < deadline, "the instance never stopped taking new connections"
            time.sleep(0.05)
        waited_past_the_stop = in_flight.is_alive()
        # A request that still reaches it is held while the callback finishes, then cut off, never answered
        # (README: out of the balancer's rotation first).
        sent = time.monotonic()
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{old}/healthz", timeout=30)
        held = time.monotonic() - sent
        in_flight.join(timeout=30)

        assert not in_flight.is_alive(), "the callback in flight got no answer"
        (answer,) = answers
        assert not isinstance(answer, Exception), f"the callback in flight was cut off: {answer!r}"
        assert waited_past_the_stop, "the callback finished before the instance stopped taking new connections"
        assert answer.status_code == 302 and urlsplit(answer.headers["Location"]).path == "/repositories/"
        assert held > 1  # not refused at once: the stall had seconds to run

        # The person's next request reaches the next instance (sharing Redis and Postgres) and goes on.
        browser.base_url = f"http://127.0.0.1:{new}/"
        picker = browser.get("/repositories/")
        full_name, repo_id = first_linkable_repo(picker)
        dashboard = browser.submit(picker, "Link repository", {"repo_id": str(repo_id)})

    assert dashboard.status_code == 200 and urlsplit(dashboard.url).path == "/dashboard/"
    assert list(Link.objects.values_list("discord_username", "repo_full_name")) == [("nelly", full_name)]
    assert len(providers.calls_to("github.token")) == 1  # the code was exchanged once: no second connect


def _answers(port: int) -> bool:
    """A new connection is answered within a second."""
    try:
        requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
    except requests.RequestException:
        return False
    return True


def test_a_connection_kept_between_requests_is_replaced_after_postgres_restarts(free_tcp_port):
    """Each thread keeps its connection for CONN_MAX_AGE (60 s by default). A Postgres restart or failover ends
    them all: Django checks a kept connection before a request uses it (CONN_HEALTH_CHECKS), so the next request
    connects anew instead of failing once per thread (a 503 page, a "Link repository" pressed again)."""
    name = f"linkapp-restart-test-{free_tcp_port}"  # only this gunicorn's connections are ended
    env = {"DATABASE_URL": suite_database_url(application_name=name), "CONN_MAX_AGE": "60", "GUNICORN_THREADS": "1"}
    with gunicorn_serving(free_tcp_port, env):  # one worker with one thread, which has asked Postgres once
        with connection.cursor() as cursor:  # as a restart does to every connection
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = %s AND datname = current_database()",
                [name],
            )
            (ended,) = cursor.fetchone()
        after = requests.get(f"http://127.0.0.1:{free_tcp_port}/readyz", timeout=30)

    assert ended == 1  # the connection was kept
    assert (after.status_code, after.json()) == (200, {"status": "ok"})


def test_a_redis_connection_kept_between_requests_is_replaced_after_redis_ends_it(free_tcp_port, private_redis):
    """The same for Redis, whose connections each instance pools: a restart with its data kept (an append-only
    file, a replica promoted at the same address) ends them all, and the next request connects anew (redis-py's
    pool checks a connection for a closed end before it lends it) instead of showing the 503 page."""
    name = f"linkapp-restart-test-{free_tcp_port}"  # only this gunicorn's connection is ended
    env = {
        "DATABASE_URL": suite_database_url(),
        "REDIS_URL": f"redis://127.0.0.1:{private_redis.port}/0?client_name={name}",
        "GUNICORN_THREADS": "1",
    }
    server = private_redis.client()
    with gunicorn_serving(free_tcp_port, env):  # one worker with one thread, which has asked Redis once
        (pooled,) = [client["id"] for client in server.client_list() if client["name"] == name]
        ended = server.client_kill_filter(_id=pooled)
        after = requests.get(f"http://127.0.0.1:{free_tcp_port}/readyz", timeout=30)

    assert ended == 1
    assert (after.status_code, after.json()) == (200, {"status": "ok"})
