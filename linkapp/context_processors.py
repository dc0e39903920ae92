from django.conf import settings
from django.http import HttpRequest


def demo_mode(request: HttpRequest) -> dict:
    """Lets every page say plainly when it is talking to the demo providers."""
    return {"demo_mode": settings.DEMO_MODE}
