from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts (Discord sign-in)"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import checks  # noqa: F401 - registers the deploy checks
        from linkapp.oauth import restore_session_age

        user_logged_in.connect(restore_session_age, dispatch_uid="linkapp.restore_session_age")
