"""`discord_username` holds the Discord username (the handle, as its name says). Links saved
before held the display name (`global_name`); this puts the username, kept in allauth's
SocialAccount, in their place. `update()` leaves `updated_at` alone: nothing was relinked."""

from django.db import migrations


def usernames(apps, schema_editor):
    Link = apps.get_model("repos", "Link")
    SocialAccount = apps.get_model("socialaccount", "SocialAccount")
    for uid, data in SocialAccount.objects.filter(provider="discord").values_list("uid", "extra_data").iterator():
        handle = (data or {}).get("username")
        if handle:
            Link.objects.filter(discord_id=uid).exclude(discord_username=handle).update(discord_username=handle)


class Migration(migrations.Migration):
    dependencies = [
        ("repos", "0002_linkevent"),
        ("socialaccount", "0006_alter_socialaccount_extra_data"),
    ]

    operations = [migrations.RunPython(usernames, migrations.RunPython.noop)]
