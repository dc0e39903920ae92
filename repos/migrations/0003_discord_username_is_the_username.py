"""`discord_username` holds the Discord username (the handle, as its name says). Links saved
before held the display name (`global_name`); this puts the username, kept in allauth's
SocialAccount, in their place, in one UPDATE. `update()` leaves `updated_at` alone: nothing
was relinked."""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.fields.json import KT


def usernames(apps, schema_editor):
    Link = apps.get_model("repos", "Link")
    SocialAccount = apps.get_model("socialaccount", "SocialAccount")
    username = (
        SocialAccount.objects.filter(provider="discord", uid=OuterRef("discord_id"))
        .annotate(handle=KT("extra_data__username"))
        .exclude(handle__isnull=True)
        .exclude(handle="")
        .values("handle")[:1]
    )
    Link.objects.filter(Exists(username)).update(discord_username=Subquery(username))


class Migration(migrations.Migration):
    dependencies = [
        ("repos", "0002_linkevent"),
        ("socialaccount", "0006_alter_socialaccount_extra_data"),
    ]

    operations = [migrations.RunPython(usernames, migrations.RunPython.noop)]
