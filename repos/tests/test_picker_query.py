from repos.picker_query import PAGE_SIZE, PickerQueryForm, owners, page_of, select
from repos.repository import RepoSummary


def repo(owner: str, name: str, pushed: int, description: str = "") -> RepoSummary:
    return RepoSummary(hash((owner, name)) % 10**9, owner, name, False, False, False, pushed, "admin", description)


REPOS = [
    repo("octocat", "Hello-World", 30, "My first repo"),
    repo("acme-org", "rocket", 10, "Launches hello rockets"),
    repo("acme-org", "anvil", 20),
    repo("widgets-inc", "Gizmo", 40),
]


def names(repos):
    return [r.full_name for r in repos]


def test_default_order_is_most_recently_pushed():
    assert names(select(REPOS)) == ["widgets-inc/Gizmo", "octocat/Hello-World", "acme-org/anvil", "acme-org/rocket"]


def test_order_by_name_ignores_case():
    assert names(select(REPOS, sort="name")) == [
        "acme-org/anvil",
        "acme-org/rocket",
        "octocat/Hello-World",
        "widgets-inc/Gizmo",
    ]


def test_order_by_name_groups_each_owner_as_the_owner_list_does():
    """By full name, "-" and "." sort before "/": another owner's repositories would come between yours."""
    mixed = [repo("acme", "zeta", 1), repo("acme-corp", "alpha", 2), repo("acme.io", "c", 3), repo("Acme", "b", 4)]

    assert names(select(mixed, sort="name")) == ["Acme/b", "acme/zeta", "acme-corp/alpha", "acme.io/c"]
    assert owners(mixed, "acme") == ["acme", "Acme", "acme-corp", "acme.io"]


def test_search_is_case_insensitive_on_name_and_description():
    assert names(select(REPOS, q="HELLO")) == ["octocat/Hello-World", "acme-org/rocket"]
    assert names(select(REPOS, q="acme-org/an")) == ["acme-org/anvil"]
    assert select(REPOS, q="nothing like this") == []


def test_search_matches_what_a_person_reads_as_the_same_letters():
    """Case folding beyond lower() (ß is ss), and one é whether typed as one character or as e and an accent."""
    texts = [repo("octocat", "streets", 1, "STRASSE names"), repo("octocat", "menu", 2, "Cafe\u0301 finder")]
    assert names(select(texts, q="Straße")) == ["octocat/streets"]
    assert names(select(texts, q="caf\u00e9")) == ["octocat/menu"]
    turkish = [repo("octocat", "maps", 1, "\u0130zmir tools")]
    assert names(select(turkish, q="izmir")) == names(select(turkish, q="\u0130ZM\u0130R")) == ["octocat/maps"]
    assert names(select([repo("octocat", "x", 1, "\u00edcone")], q="\u0130\u0301cone")) == [
        "octocat/x"
    ]  # İ + accent: í


def test_owner_filter():
    assert names(select(REPOS, owner="acme-org", sort="name")) == ["acme-org/anvil", "acme-org/rocket"]


def test_owner_filter_takes_the_owner_not_owners_whose_names_begin_alike():
    both = [repo("acme", "a", 1), repo("acme-corp", "b", 2)]
    assert names(select(both, owner="acme")) == ["acme/a"]


def test_owners_lists_the_person_first():
    assert owners(REPOS, "octocat") == ["octocat", "acme-org", "widgets-inc"]


def test_owners_and_names_are_ordered_whatever_their_case():
    """Sorted by code point, every capital would come before every small letter: "Zeta" before "alpha"."""
    cased = [repo("Zeta-org", "b", 1), repo("alpha-org", "Zed", 2), repo("alpha-org", "apple", 3)]

    assert owners(cased, "octocat") == ["octocat", "alpha-org", "Zeta-org"]
    assert names(select(cased, sort="name")) == ["alpha-org/apple", "alpha-org/Zed", "Zeta-org/b"]


def test_owners_without_a_github_login_has_no_blank_entry():
    assert owners(REPOS, "") == ["acme-org", "octocat", "widgets-inc"]


def test_a_search_is_at_most_100_characters():
    assert PickerQueryForm({"q": "x" * 100}).is_valid()
    assert not PickerQueryForm({"q": "x" * 101}).is_valid()


def test_pages_of_fifty():
    many = [repo("o", f"r{i}", i) for i in range(120)]
    assert len(page_of(many, "1")) == PAGE_SIZE
    assert len(page_of(many, "3")) == 20
    assert page_of(many, "junk").number == 1
    assert page_of(many, "99").number == 3
