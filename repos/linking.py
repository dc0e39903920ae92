"""Saving a link (the last step: re-check with GitHub, save, end the wizard), keeping the names on
links current, and removing one. What a sign-in, a sign-out or a GitHub disconnect does is in receivers.py."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.db import DatabaseError, transaction

from accounts.identity import discord_handle, github_login
from accounts.wizard_store import WizardStore
from linkapp.cache import CACHE_UNAVAILABLE
from linkapp.database import driver_error_name
from repos import github_api
from repos.github_api import GitHubClient
from repos.models import Link, LinkEvent
from repos.repository import RepoSummary

log = logging.getLogger("linkapp.wizard")


class RepositoryRefused(Exception):
    """GitHub no longer lets this person link the repository."""


def link_repository(
    store: WizardStore, discord: SocialAccount, github: SocialAccount, access_token: str, choice: RepoSummary
) -> Link:
    """Save (or refresh) the link; identities come from the server side, never from the form."""
    repo = GitHubClient(access_token).get_repository(choice.id)
    if repo is None:
        raise RepositoryRefused(
            f"GitHub no longer shows you {choice.full_name}. It may have been deleted, or blocked by GitHub; if it "
            "belongs to an organisation, the organisation may need to approve this app, or you may need to "
            "authorise single sign-on for it on GitHub."
        )
    current = RepoSummary.from_github(repo)
    if not current.allows(settings.LINK_MIN_PERMISSION):
        raise RepositoryRefused(current.refusal(settings.LINK_MIN_PERMISSION))
    with transaction.atomic():
        link, created = Link.objects.update_or_create(
            discord_id=discord.uid,
            repo_id=current.id,
            defaults={
                "discord_username": discord_handle(discord),
                "github_id": int(github.uid),
                "github_login": github_login(github),
                "repo_full_name": current.full_name,
                "repo_private": current.private,
            },
        )
        LinkEvent.record(
            link, LinkEvent.Action.CREATED if created else LinkEvent.Action.RELINKED, f"discord:{discord.uid}"
        )
        # Only once the row is committed may the tokens go: a failed save keeps the wizard alive.
        transaction.on_commit(lambda: finish_wizard(store, access_token))
    log.info("step=linked discord_id=%s repo_id=%s created=%s", discord.uid, current.id, created)
    return link


def refresh_links(discord: SocialAccount, github: SocialAccount, repos: Sequence[RepoSummary]) -> list[Link]:
    """The person's links, their names brought up to date with what Discord and GitHub said last.

    A link is keyed by ids; the names beside it change on the providers' side (a new Discord handle,
    a renamed GitHub login, a repository renamed, transferred or made private), and the picker is where
    the person's accounts, fresh from sign-in, meet their fresh list. Only names change: `updated_at`
    says when the person linked. A write that fails (a read-only database during a failover) leaves
    the names for the next visit rather than costing the person the page.
    """
    fresh = {repo.id: repo for repo in repos}
    handle, github_id, login = discord_handle(discord), int(github.uid), github_login(github)
    links = list(Link.objects.filter(discord_id=discord.uid))
    renamed_handle = [link for link in links if link.discord_username != handle]
    renamed_login = [link for link in links if link.github_id == github_id and link.github_login != login]
    renamed_repos = [
        link
        for link in links
        if (repo := fresh.get(link.repo_id))
        and (link.repo_full_name, link.repo_private) != (repo.full_name, repo.private)
    ]
    if not (renamed_handle or renamed_login or renamed_repos):
        return links
    for link in renamed_handle:
        link.discord_username = handle
    for link in renamed_login:
        link.github_login = login
    for link in renamed_repos:
        link.repo_full_name, link.repo_private = fresh[link.repo_id].full_name, fresh[link.repo_id].private
    try:
        # A login is written only onto links of its own GitHub account as they are when the write lands:
        # another tab may have linked one of these repositories again meanwhile, with another account.
        with transaction.atomic():
            if renamed_handle:
                Link.objects.filter(discord_id=discord.uid).update(discord_username=handle)
            if renamed_login:
                Link.objects.filter(discord_id=discord.uid, github_id=github_id).update(github_login=login)
            Link.objects.bulk_update(renamed_repos, ["repo_full_name", "repo_private"])
    except DatabaseError as exc:
        log.warning("links not refreshed discord_id=%s: %s", discord.uid, driver_error_name(exc))
    else:
        changed = {link.pk for link in renamed_handle + renamed_login + renamed_repos}
        log.info("step=links_refreshed discord_id=%s count=%s", discord.uid, len(changed))
    return links


def finish_wizard(store: WizardStore, access_token: str | None = None) -> None:
    """Forget every temporary item and revoke the GitHub token (Discord's was revoked at sign-in).

    After a saved link this runs past the commit, so Redis failing here must not turn the saved
    link into an error page: the token in hand (`access_token`) is revoked all the same, which
    makes any copy left in Redis useless, and the keys expire within WIZARD_TTL.
    """
    stored = None
    try:
        stored = store.github_token()  # when only clearing fails, the token read is still revoked
        store.clear()
    except CACHE_UNAVAILABLE as exc:
        log.warning("wizard store not cleared: %s; its keys expire within WIZARD_TTL", type(exc).__name__)
    for token in {access_token, stored and stored["access_token"]} - {None}:
        github_api.revoke_token(token)


def unlink(link: Link, actor: str) -> bool:
    """Remove the link and record who did; False if it was already gone.

    A second click, or an admin removing the same link at that moment, loaded the row before it went:
    only the request whose DELETE removed it records the removal.
    """
    with transaction.atomic():
        deleted, _ = Link.objects.filter(pk=link.pk).delete()
        if not deleted:
            return False
        LinkEvent.record(link, LinkEvent.Action.REMOVED, actor)
    log.info("step=unlinked discord_id=%s repo_id=%s by=%s", link.discord_id, link.repo_id, actor)
    return True
