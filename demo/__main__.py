"""`make demo`: the demo Discord and GitHub providers plus the app, in one command.

The providers run on a thread at http://127.0.0.1:8001; the app runs with Django's
development server at http://127.0.0.1:8000, pointed at them with demo credentials.
Nothing here is mounted in the app itself: without this launcher there are no demo providers.
"""

from __future__ import annotations

import os
import sys

APP_ADDRESS = "127.0.0.1:8000"
PROVIDERS_PORT = 8001
DEMO_CLIENT_ID = "demo-client-id"
DEMO_CLIENT_SECRET = "demo-client-secret"  # noqa: S105 - a demo value, known to the demo providers only


def main() -> None:
    from demo.providers import DemoProviders

    providers = DemoProviders(port=PROVIDERS_PORT, client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET).start()
    os.environ.update(
        {
            "DEBUG": "1",
            "HTTPS": "0",
            "DEMO_MODE": "1",
            "DISCORD_URL": providers.discord_url,
            "DISCORD_CDN_URL": providers.discord_cdn_url,
            "GITHUB_URL": providers.github_url,
            "GITHUB_API_URL": providers.github_api_url,
            "DISCORD_CLIENT_ID": DEMO_CLIENT_ID,
            "DISCORD_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "GITHUB_CLIENT_ID": DEMO_CLIENT_ID,
            "GITHUB_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "DJANGO_SETTINGS_MODULE": "linkapp.settings",
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"Demo providers (Discord and GitHub) at {providers.base_url}", flush=True)
    print(f"linkapp demo at http://{APP_ADDRESS}/  (Ctrl+C to stop)", flush=True)
    call_command("runserver", APP_ADDRESS, use_reloader=False)


if __name__ == "__main__":
    sys.exit(main())
