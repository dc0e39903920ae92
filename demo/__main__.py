"""`make demo`: the demo Discord and GitHub providers plus the app, in one command.

The providers run on a thread at http://127.0.0.1:8001; the app runs with Django's
development server at http://127.0.0.1:8000, pointed at them with demo credentials.
Nothing here is mounted in the app itself: without this launcher there are no demo providers.

The app runs with DEBUG=0, as in production, so that every failure shows the app's own page
with "Try again" (DEBUG=1 would show Django's technical pages, stack traces included). Its
SECRET_KEY is made afresh at each start, which signs everyone out; its sessions live in memory (in Redis when the
shell sets REDIS_URL).

    python -m demo [--port 8000] [--providers-port 8001]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys

from demo.providers import DEFAULT_PORT, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DemoProviders

APP_PORT = 8000
SETTING = {"database": "DATABASE_URL", "cache": "REDIS_URL"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demo", description="The demo providers plus the app.")
    parser.add_argument("--port", type=int, default=APP_PORT)
    parser.add_argument("--providers-port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    # Said before anything starts: runserver would say it only after the demo's address was printed.
    if _taken(args.port):
        sys.exit(f"Port {args.port} is taken (another demo still running?): choose another with --port.")
    try:
        providers = DemoProviders(port=args.providers_port).start()
    except OSError as exc:
        sys.exit(
            f"The demo providers cannot listen on port {args.providers_port} ({exc.strerror}): "
            "choose another with --providers-port."
        )
    app_address = f"127.0.0.1:{args.port}"
    os.environ.update(
        {
            "DEBUG": "0",
            "HTTPS": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEMO_MODE": "1",
            **providers.addresses(),
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
    from linkapp.health import unavailable_services

    # Only a shell's DATABASE_URL or REDIS_URL can fail (unset, the demo uses a file and memory): say which.
    down = [SETTING[service] for service in unavailable_services()]
    if down:
        sys.exit(f"The demo cannot use {' or '.join(down)} (no answer, or refused): set it right, or unset it.")
    call_command("migrate", interactive=False, verbosity=0)
    print(f"Demo providers (Discord and GitHub) at {providers.base_url}", flush=True)
    print(f"linkapp demo at http://{app_address}/  (Ctrl+C to stop)", flush=True)
    call_command("runserver", app_address, use_reloader=False)


def _taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


if __name__ == "__main__":
    sys.exit(main())
