from __future__ import annotations

import re
from collections.abc import Sequence

from django import forms

from repos.repository import RepoSummary


def repo_id_of(value: str) -> int | None:
    """A repository id as the picker posts it: ASCII digits that fit in a bigint. Not int(), which would also
    read " 12", "+12" or "١٢" as 12."""
    return int(value) if re.fullmatch(r"[0-9]{1,18}", value) else None


class LinkForm(forms.Form):
    """The picker's choice: only an id from the person's own stored list, with enough permission."""

    # Checked against a dict, not a ChoiceField: people have up to thousands of repositories.
    repo_id = forms.CharField(strip=False, error_messages={"required": "Choose a repository."})

    def __init__(self, *args, repos: Sequence[RepoSummary], min_permission: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.repos = {repo.id: repo for repo in repos}
        self.min_permission = min_permission

    def clean_repo_id(self) -> RepoSummary:
        """The chosen repository itself, as a ModelChoiceField gives its object rather than the id posted."""
        repo = self.repos.get(repo_id_of(self.cleaned_data["repo_id"]))
        if repo is None:
            raise forms.ValidationError("That repository is not in your list. Refresh the list and choose again.")
        if not repo.allows(self.min_permission):
            raise forms.ValidationError(repo.refusal(self.min_permission))
        return repo
