"""Production settings, checked the way an operator would run them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "HTTPS": "1",
    "SECRET_KEY": "x9!k2#p" * 10,
    "ALLOWED_HOSTS": "links.example.org",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # As an operator would run it: none of the test run's own variables (e2e sets DJANGO_ALLOW_ASYNC_UNSAFE).
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_required_in_production():
    env = dict(PRODUCTION)
    env.pop("SECRET_KEY")
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr
