import pytest
from django.db import connection
from django.test import RequestFactory

from linkapp.failures import DATABASE_UNAVAILABLE, in_words, server_error


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 s"),
        (89, "89 s"),
        (90, "2 min"),
        (719, "12 min"),
        (5340, "89 min"),
        (5400, "1 h 30 min"),
        (30632, "8 h 31 min"),
    ],
)
def test_a_wait_reads_as_a_person_would_say_it(seconds: int, words: str) -> None:
    assert in_words(seconds) == words


@pytest.mark.django_db
def test_a_query_ended_by_statement_timeout_is_the_database_unavailable_page():
    """README: `options=-c statement_timeout=N` in DATABASE_URL ends a held query with the 503 page."""
    with pytest.raises(DATABASE_UNAVAILABLE) as ended, connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 50")
        cursor.execute("SELECT pg_sleep(2)")

    try:
        raise ended.value
    except DATABASE_UNAVAILABLE:
        page = server_error(RequestFactory().get("/repositories/"))
    assert page.status_code == 503 and page["Retry-After"]
