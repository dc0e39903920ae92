from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from accounts import views as account_views
from api.api import api
from linkapp.health import health
from linkapp.ratelimits import limit_per_address
from repos import views as repo_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("github/", repo_views.github_step, name="github_step"),
    path("repositories/", repo_views.picker, name="picker"),
    path("dashboard/", repo_views.dashboard, name="dashboard"),
    path("avatar/", account_views.avatar, name="avatar"),
    path("links/<int:pk>/unlink/", repo_views.unlink, name="unlink"),
    path("healthz", health, name="healthz"),
    path("readyz", health, name="readyz"),
    # Password guesses at the admin's sign-in, limited like the OAuth sign-in steps.
    path("admin/login/", limit_per_address(admin.site.login, method="POST")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Before allauth's own: "Connect with Discord" on the first step is the only way to sign in here.
    path("accounts/login/", RedirectView.as_view(pattern_name="home")),
    # A deactivated person gets our page where it happens (accounts.adapters); allauth's told anyone "inactive".
    path("accounts/inactive/", RedirectView.as_view(pattern_name="home")),
    path("accounts/3rdparty/login/cancelled/", account_views.login_cancelled),
    path("accounts/3rdparty/login/error/", account_views.login_error),
    path("accounts/3rdparty/", account_views.ConnectionsView.as_view()),
    path("accounts/", include("allauth.urls")),
]

handler400 = "linkapp.failures.bad_request"
handler404 = "linkapp.failures.page_not_found"
handler500 = "linkapp.failures.server_error"
