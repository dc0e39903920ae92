"""Discord's and GitHub's published example payloads (``payloads/*.json``), which every demo answer that has one copies.

Only identifying fields are replaced in the copies, so the app meets the providers' real shapes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

PAYLOAD_DIR = Path(__file__).with_name("payloads")


def load(name: str) -> Any:
    """Read one published example. It is never mutated: responses copy or just serialize it."""
    with (PAYLOAD_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


class Example:
    """A published example kept as JSON text: parsing it is a deep copy ~3x faster
    than ``copy.deepcopy``, which matters when serving thousands of repositories."""

    def __init__(self, data: Any) -> None:
        self._text = json.dumps(data)

    def copy(self) -> Any:
        return json.loads(self._text)


DISCORD_USER = Example(load("discord_user_me"))
DISCORD_TOKEN = Example(load("discord_token_response"))
DISCORD_INVALID_GRANT = Example(load("discord_token_error_invalid_grant"))
DISCORD_ERRORS = load("discord_errors")
GITHUB_USER = Example(load("github_user"))
GITHUB_REPO = Example(load("github_user_repos")[0])
GITHUB_REPO_FULL = Example(load("github_repository_full"))
GITHUB_TOKEN = Example(load("github_token_response"))
GITHUB_TOKEN_ERRORS = load("github_token_response_errors")
GITHUB_ERRORS = load("github_errors")

DISCORD_UNAUTHORIZED = DISCORD_ERRORS["unofficial_observed"]["401_body"]["body"]
DISCORD_RATE_LIMITED = DISCORD_ERRORS["429_user_rate_limit"]["body"]
GITHUB_BAD_CREDENTIALS = GITHUB_ERRORS["401_bad_credentials"]["body"]
GITHUB_RATE_LIMITED = GITHUB_ERRORS["403_primary_rate_limit_exceeded"]["body"]
GITHUB_CLIENT_ERRORS = GITHUB_ERRORS["400_and_422_client_errors"]
# The docs have no literal 404 body; this is the observed shape with the generic docs URL.
GITHUB_NOT_FOUND = {
    **GITHUB_ERRORS["unofficial_observed"]["404_body_quoted_in_a_third_party_test_file"],
    "documentation_url": "https://docs.github.com/rest",
}
SERVER_ERROR = {"message": "Server Error"}

DISCORD_JSON = "application/json"
GITHUB_JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"


def github_rate_headers(*, used: int, reset: int) -> dict[str, str]:
    """GitHub's rate-limit headers (github_errors.json) for a limit of 5,000 requests an hour."""
    return {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": str(max(0, 5000 - used)),
        "x-ratelimit-used": str(used),
        "x-ratelimit-reset": str(reset),
    }


def discord_rate_limit_headers(example: str) -> dict[str, str]:
    """An example's headers from discord_errors.json, with its reset moved to now plus its reset-after."""
    headers = DISCORD_ERRORS[example]["headers"]
    return {**headers, "X-RateLimit-Reset": f"{time.time() + float(headers['X-RateLimit-Reset-After']):.3f}"}
