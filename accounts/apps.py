from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts (Discord sign-in)"

    def ready(self) -> None:
        from accounts import checks  # noqa: F401 - registers the deploy checks
