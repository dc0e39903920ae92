from django.conf import settings
from django.http import HttpRequest

WIZARD_STEPS = [(1, "Discord"), (2, "GitHub"), (3, "Repository"), (4, "Done")]


def site(request: HttpRequest) -> dict:
    """Lets every page say plainly when it is talking to the demo providers, and name the wizard's steps."""
    return {"demo_mode": settings.DEMO_MODE, "wizard_steps": WIZARD_STEPS}
