from django.apps import AppConfig


class ReposConfig(AppConfig):
    name = "repos"
    verbose_name = "Repository links"

    def ready(self) -> None:
        from allauth.socialaccount.signals import social_account_removed, social_account_updated
        from django.contrib.auth.signals import user_logged_out

        from repos.receivers import (
            finish_wizard_at_github_disconnect,
            finish_wizard_at_sign_out,
            refresh_discord_handle,
        )

        user_logged_out.connect(finish_wizard_at_sign_out, dispatch_uid="repos.finish_wizard_at_sign_out")
        social_account_removed.connect(
            finish_wizard_at_github_disconnect, dispatch_uid="repos.finish_wizard_at_github_disconnect"
        )
        social_account_updated.connect(refresh_discord_handle, dispatch_uid="repos.refresh_discord_handle")
