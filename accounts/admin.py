from allauth.socialaccount.models import SocialApp
from django.contrib import admin

# The OAuth apps are configured from the environment (README.md, "Configuration"); rows added
# here would be ignored (accounts/adapters.py, SocialAccountAdapter.list_apps).
admin.site.unregister(SocialApp)
