from __future__ import annotations

from django import forms

from repos.repo_store import RepoSummary


class LinkForm(forms.Form):
    """The picker's choice: only an id from the person's own stored list, with enough permission."""

    repo_id = forms.TypedChoiceField(
        coerce=int,
        error_messages={
            "required": "Choose a repository.",
            "invalid_choice": "That repository is not in your list. Refresh the list and choose again.",
        },
    )

    def __init__(self, *args, repos: list[RepoSummary], min_permission: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.repos = {repo.id: repo for repo in repos}
        self.min_permission = min_permission
        self.fields["repo_id"].choices = [(repo.id, repo.full_name) for repo in repos]

    def clean_repo_id(self) -> RepoSummary:
        repo = self.repos[self.cleaned_data["repo_id"]]
        if not repo.allows(self.min_permission):
            raise forms.ValidationError(
                f"You need at least {self.min_permission} permission on {repo.full_name} to link it."
            )
        return repo
