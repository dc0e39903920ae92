from __future__ import annotations

import io

import pytest
from django.core.management import call_command


@pytest.fixture
def token() -> str:
    """A live token for a service named discord-bot, issued as an operator issues one."""
    out = io.StringIO()
    call_command("create_api_token", "discord-bot", stdout=out)
    return out.getvalue().strip()
