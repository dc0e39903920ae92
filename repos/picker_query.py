"""Search, owner filter, order and paging of the stored repository list (server-side, no JavaScript needed)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from django import forms
from django.core.paginator import Page, Paginator

from repos.repository import RepoSummary

PAGE_SIZE = 50
SORTS = {"pushed": "Recently pushed", "name": "Name"}


class PickerQueryForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=100,
        label="Search",
        widget=forms.SearchInput(attrs={"placeholder": "owner/name or description"}),
    )
    owner = forms.CharField(required=False, max_length=100, label="Owner")
    sort = forms.ChoiceField(required=False, choices=list(SORTS.items()), label="Order")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, label_suffix="", **kwargs)


def owners(repos: Sequence[RepoSummary], github_login: str) -> list[str]:
    """The person first, then each organisation, for the owner filter."""
    others = sorted({repo.owner for repo in repos if repo.owner != github_login}, key=str.lower)
    return [github_login, *others] if github_login else others


def folded(text: str) -> str:
    """Text as search compares it: what a person reads as the same letters is equal (ß and ss, é typed as one
    character or as e and an accent, full-width letters), whatever their case. Turkish İ folds to i and a
    dot above, which nothing typed on other keyboards has: the dot goes."""
    caseless = unicodedata.normalize("NFKC", text).casefold().replace("i\u0307", "i")
    return unicodedata.normalize("NFKC", caseless)  # with casefold(), Unicode's caseless match


def select(repos: Sequence[RepoSummary], q: str = "", owner: str = "", sort: str = "pushed") -> list[RepoSummary]:
    needle = folded(q.strip())
    chosen = [
        repo
        for repo in repos
        if (not owner or repo.owner == owner)
        and (not needle or needle in folded(repo.full_name) or needle in folded(repo.description))
    ]
    if sort == "name":
        # Owner, then name: "acme/zeta" before "acme-corp/alpha" ("-" sorts before "/"), each owner together.
        chosen.sort(key=lambda repo: (repo.owner.lower(), repo.name.lower()))
    else:
        chosen.sort(key=lambda repo: repo.pushed_at, reverse=True)
    return chosen


def page_of(repos: list[RepoSummary], number: str | None) -> Page:
    return Paginator(repos, PAGE_SIZE).get_page(number)
