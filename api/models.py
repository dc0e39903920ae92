from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import DatabaseError, models, transaction
from django.utils import timezone

from linkapp.database import driver_error_name, is_database_unavailable

log = logging.getLogger("linkapp.api")

LAST_USED_PRECISION = timedelta(minutes=1)
# Set for a minute once the database could not take the stamp (read-only, a lock held past the timeout, the
# connection lost): until then no request tries again.
STAMPS_PAUSED = "api:last-use-stamps-paused"


def digest(token: str) -> str:
    """What is stored of a token (``key_hash``) and what a presented one is looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A service's bearer token. Only its SHA-256 is stored: the token itself is shown once."""

    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Who revoked it, as text: admin's history goes with a staff account that is deleted, this stays.
    # db_default: an instance on older code still issues tokens once `migrate` has added the column.
    revoked_by = models.CharField(max_length=150, blank=True, editable=False, db_default="")

    class Meta:
        # A name may hold two live tokens: a service switches to its new token before the old one is
        # revoked (rotation without downtime). A revoked token stays as a record.
        ordering = ["name", "-created_at"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def issue(cls, name: str) -> tuple[ApiToken, str]:
        """A new token for `name`; the caller must hand the returned secret over now, it is not kept."""
        secret = f"lk_{secrets.token_urlsafe(32)}"
        return cls.objects.create(name=name, key_hash=digest(secret)), secret

    @classmethod
    def authenticate(cls, secret: str) -> ApiToken | None:
        """The live token with this secret, or None; its use recorded."""
        token = cls.objects.filter(key_hash=digest(secret), revoked_at__isnull=True).first()
        if token is not None:
            token._record_use(timezone.now())
        return token

    def _record_use(self, now: datetime) -> None:
        # To the minute: a write per request would queue a busy service's requests on this one row.
        if self.last_used_at is not None and now - self.last_used_at < LAST_USED_PRECISION:
            return
        if cache.get(STAMPS_PAUSED):
            return
        try:
            with transaction.atomic():
                ApiToken.objects.filter(pk=self.pk).update(last_used_at=now)
        except DatabaseError as exc:
            if not is_database_unavailable(exc):
                raise
            # A database that only reads (a failover's standby), or the token's row held by another session
            # past the lock timeout, still serves the links: the stamp waits.
            cache.set(STAMPS_PAUSED, True, LAST_USED_PRECISION.total_seconds())
            log.warning("api token last use not recorded name=%s: %s", self.name, driver_error_name(exc))
