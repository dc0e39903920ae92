import json
from pathlib import Path

from repos.repo_store import RepoSummary, decode, encode

EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "demo/payloads/github_user_repos.json").read_text())[0]


def test_from_github_keeps_what_the_picker_needs():
    repo = RepoSummary.from_github(EXAMPLE)

    assert repo.full_name == "octocat/Hello-World"
    assert repo.id == 1296269
    assert repo.permission == "pull"  # {"admin": false, "push": false, "pull": true}
    assert not repo.allows("push") and repo.allows("pull")
    assert repo.pushed_at > 0


def test_description_is_cut():
    repo = RepoSummary.from_github({**EXAMPLE, "description": "x" * 500})
    assert len(repo.description) == 140


def test_round_trip():
    repos = [
        RepoSummary.from_github({**EXAMPLE, "id": i, "full_name": f"acme/r{i}", "private": i % 2 == 0})
        for i in range(300)
    ]
    blob = encode(repos)

    assert decode(blob) == tuple(repos)
    assert len(blob) / len(repos) < 150
