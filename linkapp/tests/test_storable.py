import sys

import pytest
from allauth.socialaccount.models import SocialAccount
from django.db import DataError, transaction

from linkapp.providers import storable


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answer",
    [
        {"username": "nelly", "global_name": "Nélly 🐙", "bio": "line\nbreak\ttab"},
        {"username": "nelly", "bio": "a\x00b"},
        {"username": "nelly", "global_name": "\ud800"},  # half of a surrogate pair
        {"username": "nelly", "flags": [1, {"note": "\udfff"}]},
        {"a\x00": 1},  # in a key
        {"literal": "\\u0000"},  # the six characters, not a NUL
        {"ratio": 1.5, "big": 10**30},
        {"ratio": float("nan")},  # JSON's parser reads NaN and Infinity
        {"ratio": [float("-inf")]},
    ],
    ids=["unicode", "nul", "high-surrogate", "nested-low-surrogate", "key", "escaped-text", "numbers", "nan", "inf"],
)
def test_storable_is_what_postgres_keeps_in_a_jsonb(answer, django_user_model):
    """Checked against Postgres itself, where allauth keeps a provider's profile (extra_data)."""
    person = django_user_model.objects.create(username="nelly")
    try:
        with transaction.atomic():
            SocialAccount.objects.create(user=person, provider="discord", uid="1", extra_data=answer)
        kept = True
    except DataError:
        kept = False
    assert storable(answer) == kept


def test_an_answer_nested_deeper_than_python_recurses_is_walked():
    deep = ["\x00"]
    for _ in range(10 * sys.getrecursionlimit()):
        deep = [deep]

    assert storable(deep) is False
