from repos.forms import LinkForm
from repos.repository import RepoSummary


def summary(repo_id: int, permission: str) -> RepoSummary:
    return RepoSummary(repo_id, "acme", f"r{repo_id}", False, False, False, 0, permission, "")


REPOS = [summary(1, "admin"), summary(2, "pull")]


def test_accepts_a_listed_repository_with_permission():
    form = LinkForm({"repo_id": "1"}, repos=REPOS, min_permission="push")
    assert form.is_valid()
    assert form.cleaned_data["repo_id"] == REPOS[0]


def test_refuses_an_id_not_in_the_list():
    form = LinkForm({"repo_id": "3"}, repos=REPOS, min_permission="push")
    assert not form.is_valid()
    assert "not in your list" in str(form.errors)


def test_refuses_below_min_permission():
    form = LinkForm({"repo_id": "2"}, repos=REPOS, min_permission="push")
    assert not form.is_valid()
    assert "at least write access" in str(form.errors)


def test_refuses_garbage():
    assert not LinkForm({"repo_id": "1 OR 1=1"}, repos=REPOS, min_permission="pull").is_valid()


def test_takes_only_the_digits_the_picker_posts():
    """int() would also read these as 1; the wizard's remembered choice (posted_repo_id) would not."""
    for odd in (" 1", "1 ", "+1", "\u0661", "1.0", "0_1"):
        assert not LinkForm({"repo_id": odd}, repos=REPOS, min_permission="pull").is_valid(), odd


def test_pressing_link_without_a_choice_asks_for_one():
    form = LinkForm({}, repos=REPOS, min_permission="pull")
    assert not form.is_valid()
    assert form.errors["repo_id"] == ["Choose a repository."]
