import json
from pathlib import Path

import pytest

from linkapp.providers import ProviderError
from repos.repository import RepoSummary, shorten

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "demo/payloads/github_user_repos.json").read_text())[0]


def test_from_github_keeps_what_the_picker_needs():
    repo = RepoSummary.from_github(EXAMPLE)

    assert repo.full_name == "octocat/Hello-World"
    assert repo.id == 1296269
    assert repo.permission == "pull"  # {"admin": false, "push": false, "pull": true}
    assert not repo.allows("push") and repo.allows("pull")
    assert repo.pushed_at > 0


def test_a_repository_without_permissions_is_only_readable():
    """GitHub leaves `permissions` out of a repository object read without the person's token."""
    repo = RepoSummary.from_github({key: value for key, value in EXAMPLE.items() if key != "permissions"})

    assert repo.permission == "pull"
    assert not repo.allows("push") and repo.allows("pull")


def test_a_description_is_kept_whole_up_to_githubs_longest():
    """The picker's search reads all of it; only a longer one (no GitHub writes one) is cut, visibly."""
    whole = "x" * 350
    assert RepoSummary.from_github({**EXAMPLE, "description": whole}).description == whole
    repo = RepoSummary.from_github({**EXAMPLE, "description": "word " * 100})
    assert len(repo.description) <= 350 and repo.description.endswith("word…")


def test_the_picker_shows_the_first_140_characters_of_a_description():
    short = RepoSummary.from_github({**EXAMPLE, "description": "x" * 140})
    assert short.shown_description == "x" * 140
    long = RepoSummary.from_github({**EXAMPLE, "description": "y" * 141})
    assert long.shown_description == "y" * 139 + "…"
    assert long.description == "y" * 141  # kept whole for search


def test_a_name_as_long_as_a_link_holds_is_kept():
    assert RepoSummary.from_github({**EXAMPLE, "full_name": "octocat/" + "x" * 192}).name == "x" * 192


@pytest.mark.parametrize(
    "odd",
    [
        {"description": ["a list"]},  # once stored, every search of the list failed on it
        {"description": 5},
        {"full_name": 5},
        {"full_name": "octocat/" + "x" * 193},  # longer than a link can hold: its save failed
        {"full_name": "octocat/Hello\x00World"},  # Postgres keeps no NUL: its save failed
        {"id": "1296269"},
    ],
    ids=["list-description", "number-description", "number-name", "long-name", "nul-in-name", "text-id"],
)
def test_a_repository_of_another_shape_is_githubs_error_not_ours(odd):
    with pytest.raises(ProviderError, match="a repository we cannot read"):
        RepoSummary.from_github({**EXAMPLE, **odd})


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("abcdef", "abcd…"),
        ("abc  def", "abc…"),  # the cut drops the spaces before it: never "abc …"
        ("abce\u0301f", "abc…"),  # é as e and an accent: never e alone
        ("abc\U0001f1e9\U0001f1eax", "abc…"),  # a flag's two letters: never one
        ("ab\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea", "ab\U0001f1eb\U0001f1f7…"),  # between two flags
        ("a\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1eax", "a\U0001f1eb\U0001f1f7…"),  # inside the second
        ("abc\U0001f468\u200d\U0001f469\u200d\U0001f467", "abc…"),  # an emoji joined of three: at a joiner
        ("ab\U0001f468\u200d\U0001f469\u200d\U0001f467", "ab…"),  # after a joiner
        ("abc\U0001f44d\U0001f3fdx", "abc…"),  # an emoji and its skin tone
        ("abc\u2764\ufe0fx", "abc…"),  # a heart and its emoji selector
        ("a\U0001f3f4" + "".join(chr(0xE0000 + ord(c)) for c in "gbeng\x7f"), "a…"),  # England's: a flag and tags
        ("\u0301" * 6, "\u0301" * 4 + "…"),  # nothing but accents: cut anyway, never an empty "…"
    ],
)
def test_a_cut_never_splits_what_is_read_as_one_character(text: str, shown: str) -> None:
    assert shorten(text, limit=5) == shown
