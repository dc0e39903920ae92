import pytest

from linkapp.failures import in_words


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
