from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.identity import discord_name, social_account


def home(request: HttpRequest) -> HttpResponse:
    """Step 1: "Connect with Discord" (a POST form: allauth starts the login only on POST)."""
    account = social_account(request.user, "discord")
    return render(
        request,
        "accounts/home.html",
        {"discord_name": discord_name(account) if account else None},
    )
