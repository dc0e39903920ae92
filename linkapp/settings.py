"""linkapp settings, all from environment variables (see README.md, "Configuration").

Defaults are safe for production; development sets DEBUG=1 (the demo runs with DEBUG=0, on plain HTTP).
Without DATABASE_URL / REDIS_URL the app runs on SQLite and an in-process cache,
which is only right for a single process (the demo).
"""

import logging
import math
import os
import re
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import redis.connection
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from linkapp.addresses import as_providers_write

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """A variable set but empty (`NAME=` in a compose or systemd file), or only spaces, counts as unset: its
    default applies. (`SECRET_KEY=" "` would otherwise be a key, `ALLOWED_HOSTS=" "` no host at all.)"""
    value = os.environ.get(name, "")
    return value if value.strip() else default


def env_bool(name: str, default: bool) -> bool:
    """A typo (`HTTPS=ture`) is an error: read as "off" it would silently drop secure cookies and HSTS."""
    value = env(name).strip().lower()
    if not value:
        return default
    if value not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        raise ImproperlyConfigured(f"{name} must be 1 or 0 (true/false, yes/no, on/off), not {env(name)!r}.")
    return value in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_scopes(name: str, default: str) -> list[str]:
    """OAuth scopes, with commas or with spaces as GitHub writes them (`repo read:org`)."""
    return [scope for scope in re.split(r"[,\s]+", env(name, default)) if scope]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, in any case (`LOG_LEVEL=info`); anything else is an error, not a silent default."""
    value = env(name).strip() or default
    for choice in choices:
        if value.lower() == choice.lower():
            return choice
    raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")


def env_number(
    name: str,
    default: str,
    kind: type[int] | type[float] = int,
    *,
    positive: bool = False,
    seconds_at_most: float | None = None,
) -> int | float:
    """A count or a number of seconds: never negative, and where 0 would stop the app (`WIZARD_TTL=0` would
    expire every sign-in at once), more than 0. A wait the app holds a thread for has a ceiling: milliseconds
    written for seconds (`PROVIDER_TIMEOUT=10000`) would hold it for hours."""
    try:
        value = kind(env(name, default))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {env(name)!r}.") from None
    if not (math.isfinite(value) and (value > 0 if positive else value >= 0)):
        raise ImproperlyConfigured(f"{name} must be {'more than 0' if positive else '0 or more'}, not {env(name)!r}.")
    if seconds_at_most is not None and value > seconds_at_most:
        raise ImproperlyConfigured(f"{name} is in seconds, at most {seconds_at_most:g}, not {env(name)!r}.")
    return value


def env_rate(name: str, default: str) -> str:
    """A rate in django-ratelimit's syntax (`30/m`, `100/5m`): it reads the value only on a request, where a
    typo (`600 per minute`) would make every limited request a 500."""
    value = env(name).strip() or default
    if not re.fullmatch(r"[1-9][0-9]*/([1-9][0-9]*)?[smhd]", value, re.IGNORECASE):
        raise ImproperlyConfigured(f"{name} must be a count per period, such as 30/m or 100/5m, not {value!r}.")
    return value.lower()  # django-ratelimit reads `5M` as five seconds


def env_url(name: str, default: str) -> str:
    """A provider's address, without its trailing `/`. A typo (`github.com`, a port out of range) is an error
    here, not a broken redirect or a 500 on every callback. An empty default stays empty (DISCORD_CDN_URL's
    "no avatars" with another DISCORD_URL)."""
    value = (env(name).strip() or default).rstrip("/")
    if not value:
        return value
    refused = ImproperlyConfigured(f"{name} must be an address such as https://github.com, not {env(name)!r}.")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:  # a port out of range or not a number, a broken IPv6 address
        raise refused from None
    if (
        parts.scheme not in {"http", "https"}  # urlsplit writes it in lower case
        or not parts.hostname
        or port == 0
        or parts.username is not None  # it would be written into every log line that names the address
        or "?" in value  # a query or a fragment, even an empty one: paths are appended to the address
        or "#" in value
    ):
        raise refused
    return value


def unreadable_address(name: str, example: str) -> ImproperlyConfigured:
    """The error for a database's or Redis's address that cannot be read, without repeating it: it may hold a
    password."""
    return ImproperlyConfigured(
        f"{name} must be an address such as {example}, with a #, / or @ in the password written as %23, %2F or %40."
    )


def readable_by_redis_py(address: str) -> bool:
    """What redis-py reads as the address meant. It reads a password's # / ? or @ not URL-encoded as the end of
    the host part: the start of the password becomes the port (and is logged as one), or the host is
    localhost; a database that is not a number is database 0."""
    try:
        redis.connection.parse_url(address)
    except ValueError:
        return False
    if address.startswith("unix:"):
        return "#" not in address
    parts = urlsplit(address)
    return (
        bool(parts.hostname)
        and "#" not in address
        and "@" not in parts.path + parts.query
        and re.fullmatch(r"/*([0-9]+/*)?", parts.path) is not None
    )


def env_path(name: str) -> str | None:
    """A path such as /linkapp, without its trailing `/`; unset or `/` is none. Anything else would be written
    into every link and redirect the app makes, each leading nowhere or elsewhere: `linkapp` or a whole address,
    a `..` that browsers resolve away, a `%` that Django's reverse() encodes once more (`%2520`)."""
    value = env(name).strip().rstrip("/")
    if not value:
        return None
    segments = value.split("/")[1:]
    if not value.startswith("/") or not all(
        re.fullmatch(r"[A-Za-z0-9._~!$&'()*+,;=:@-]+", segment) and segment.strip(".") for segment in segments
    ):
        raise ImproperlyConfigured(f"{name} must be a path such as /linkapp, not {env(name)!r}.")
    return value


def env_hosts(name: str, default: str) -> list[str]:
    """Host names as Django matches them, the Host header's port left out: an entry with a scheme, a port or
    a path would never match, and every request, /readyz included, would be a 400."""
    hosts = env_list(name, default)
    for host in hosts:
        if "/" in host or (":" in host and not host.endswith("]")):
            raise ImproperlyConfigured(
                f"{name} takes host names such as links.example.org (no scheme, port or path), not {host!r}."
            )
    return hosts


def env_origins(name: str) -> list[str]:
    """Origins written as browsers send them: Django compares the Origin header exactly, so a capital or a
    trailing slash would refuse every form."""
    origins = []
    for origin in env_list(name):
        try:
            parts = urlsplit(origin)
            usable = parts.scheme and parts.netloc and parts.port != 0 and parts.path in {"", "/"}
        except ValueError:  # a port out of range or not a number, a broken IPv6 address
            usable = False
        if not usable:
            raise ImproperlyConfigured(
                f"{name} takes origins such as https://links.example.org (no path), not {origin!r}."
            )
        origins.append(as_providers_write(origin))  # lower case, no default port, no trailing /
    return origins


DEBUG = env_bool("DEBUG", False)
HTTPS = env_bool("HTTPS", not DEBUG)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG=0.")
    SECRET_KEY = get_random_secret_key()
# Keys signed with before: during a rotation, sessions signed in and messages under an old key stay valid.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

# Served under a path of a shared host (https://example.org/linkapp/) by a proxy that takes the path off before
# passing the request on (README, "Under a path"): every address the app writes gets it back.
FORCE_SCRIPT_NAME = env_path("FORCE_SCRIPT_NAME")

ALLOWED_HOSTS = env_hosts("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_origins("CSRF_TRUSTED_ORIGINS")

# --- Providers -------------------------------------------------------------
DISCORD_URL = env_url("DISCORD_URL", "https://discord.com")
GITHUB_URL = env_url("GITHUB_URL", "https://github.com")
# Discord's documentation calls https://discord.com/api its base address, and GitHub's API has one of its own: either
# would pass as an address, and every sign-in would then fail.
if re.search(r"/api(/v[0-9]+)?$", urlsplit(DISCORD_URL).path):
    raise ImproperlyConfigured("DISCORD_URL is Discord's own address (https://discord.com), without /api.")
if re.fullmatch(r"api\.(github\.com|[^.]+\.ghe\.com)", urlsplit(GITHUB_URL).hostname) or re.search(
    r"/api(/v[0-9]+)?$", urlsplit(GITHUB_URL).path
):
    raise ImproperlyConfigured(
        "GITHUB_URL is GitHub's own address (https://github.com, or your GitHub Enterprise Server's), not its API's "
        "(GITHUB_API_URL)."
    )
GITHUB_API_URL = env_url(
    "GITHUB_API_URL",
    "https://api.github.com" if as_providers_write(GITHUB_URL) == "https://github.com" else f"{GITHUB_URL}/api/v3",
)
# Avatars are fetched by the server and served from our origin (the CSP allows no other). With another
# DISCORD_URL (a stand-in Discord) and no CDN named, there are no avatars rather than calls to the real CDN.
DISCORD_CDN_URL = env_url(
    "DISCORD_CDN_URL", "https://cdn.discordapp.com" if as_providers_write(DISCORD_URL) == "https://discord.com" else ""
)
# Without the newline a secret made from a file (`echo s3cret > file`) ends in.
DISCORD_CLIENT_ID = env("DISCORD_CLIENT_ID").strip()
DISCORD_CLIENT_SECRET = env("DISCORD_CLIENT_SECRET").strip()
GITHUB_CLIENT_ID = env("GITHUB_CLIENT_ID").strip()
GITHUB_CLIENT_SECRET = env("GITHUB_CLIENT_SECRET").strip()
GITHUB_SCOPES = env_scopes("GITHUB_SCOPES", "read:user")
# Set but empty is "no private step-up" (the one variable where empty does not mean unset).
GITHUB_PRIVATE_SCOPES = (
    []
    if os.environ.get("GITHUB_PRIVATE_SCOPES", "unset").strip() == ""
    else env_scopes("GITHUB_PRIVATE_SCOPES", "repo")
)
LINK_MIN_PERMISSION = env_choice("LINK_MIN_PERMISSION", "push", ("pull", "triage", "push", "maintain", "admin"))
WIZARD_TTL = env_number("WIZARD_TTL", "900", positive=True)
PROVIDER_TIMEOUT = env_number("PROVIDER_TIMEOUT", "10", float, positive=True, seconds_at_most=120)
# Starting a sign-in, provider callbacks, admin password attempts and refused API tokens, per client address
# (django-ratelimit syntax).
LOGIN_RATE_LIMIT = env_rate("LOGIN_RATE_LIMIT", "30/m")
# API requests per token.
API_RATE_LIMIT = env_rate("API_RATE_LIMIT", "600/m")
GITHUB_MAX_CONCURRENCY = max(env_number("GITHUB_MAX_CONCURRENCY", "8"), 1)
# Shows a banner on every page built on base.html (not the 500/503 pages or the admin): set by `make demo`, never
# in production.
DEMO_MODE = env_bool("DEMO_MODE", False)

# --- Applications ----------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.discord",
    "allauth.socialaccount.providers.github",
    "accounts",
    "repos",
    "api",
]

MIDDLEWARE = [
    "linkapp.logs.RequestIdMiddleware",
    "linkapp.head_requests.HeadWithoutBody",
    "linkapp.untrusted_proxy.UntrustedProxyWarning",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "linkapp.csp.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "linkapp.failures.MethodNotAllowedPage",
    "linkapp.failures.NulInQueryRefused",
    "api.middleware.HeadIsGet",
]

ROOT_URLCONF = "linkapp.urls"
WSGI_APPLICATION = "linkapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "linkapp.context_processors.site",
            ],
        },
    },
]

# --- Data ------------------------------------------------------------------
database_url_example = "postgres://linkapp:PASSWORD@db.example.org:5432/linkapp"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
            conn_max_age=env_number("CONN_MAX_AGE", "60"),
            conn_health_checks=True,
        )
    }
except ValueError:  # a part not URL-encoded, a port that is not a number, a scheme of SQLAlchemy's (postgresql+psycopg)
    raise unreadable_address("DATABASE_URL", database_url_example) from None
if "@" in DATABASES["default"]["NAME"]:  # a / in the password: the rest of the address read as the database's name
    raise unreadable_address("DATABASE_URL", database_url_example)
if not (DATABASES["default"]["NAME"] or DATABASES["default"].get("OPTIONS", {}).get("service")):
    # Else the first query fails, not the start. (A pg_service.conf entry, ?service=, may name it instead.)
    raise ImproperlyConfigured(f"DATABASE_URL names no database: {database_url_example}.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast instead of hanging a worker on a Postgres that accepts and never answers. libpq has no
    # read timeout: a Postgres host that dies or drops off the network under an open connection is noticed
    # by TCP (keepalives, tcp_user_timeout in ms) within about 15 s instead of hours. The same names in
    # DATABASE_URL's query string (`?connect_timeout=N`) override these.
    postgres_defaults = {
        "connect_timeout": 5,
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": 10000,
    }
    DATABASES["default"]["OPTIONS"] = {**postgres_defaults, **DATABASES["default"].get("OPTIONS", {})}
    # Nor does Postgres end a wait for a lock that another session holds (an open transaction, a migration's
    # ALTER TABLE queued behind a long query) unless told to. It is told as a startup option, which a connection
    # pooler may refuse (DATABASE_LOCK_TIMEOUT=0 sends none), and which libpq then sends instead of PGOPTIONS:
    # PGOPTIONS and DATABASE_URL's `options` follow it, so a `-c lock_timeout=N` of theirs wins.
    lock_timeout = env_number("DATABASE_LOCK_TIMEOUT", "5", float, seconds_at_most=600)
    url_options = DATABASES["default"]["OPTIONS"].pop("options", [])
    server_options = [
        f"-c lock_timeout={round(lock_timeout * 1000)}" if lock_timeout else "",
        os.environ.get("PGOPTIONS", ""),
        *(url_options if isinstance(url_options, list) else [url_options]),  # a list when the URL repeats it
    ]
    if joined := " ".join(str(part) for part in server_options if str(part).strip()):
        DATABASES["default"]["OPTIONS"]["options"] = joined
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL").strip()
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):  # as redis-py reads it
    # Else every page would be a 500: django-redis reads the address on the first request. Not repeated here:
    # it may hold Redis's password.
    raise ImproperlyConfigured("REDIS_URL must begin with redis://, rediss:// or unix://.")
if REDIS_URL:
    # redis-py reads the address on the first request: a port or a database that is not a number would make every
    # page a 500, with the start of a password not URL-encoded (`:pa#ss@`) in the log as the port.
    if not all(readable_by_redis_py(address) for address in REDIS_URL.split(",")):  # django-redis: primary,replicas
        raise unreadable_address("REDIS_URL", "redis://:PASSWORD@redis.example.org:6379/0")
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "linkapp",
            "OPTIONS": {
                # Fail fast instead of hanging a worker when Redis is away.
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions live in the cache (Redis in production): tokens never touch the database.
SESSION_ENGINE = "linkapp.sessions"  # Django's cache backend, but a Redis outage is a 503 (linkapp/sessions.py)
SESSION_CACHE_ALIAS = "default"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"  # the provider callback is a cross-site top-level GET

# Messages ("acme/rocket is now linked") in Django's default: a signed cookie, the session only past its ~2 KB.
# Signed, not encrypted, so a private repository's name is readable there; kept in the session instead, they would
# turn Redis failing right after the final commit into an error page for a saved link (tests/test_faults.py). A HEAD
# neither takes nor leaves one (linkapp/head_requests.py).
MESSAGE_STORAGE = "linkapp.head_requests.MessagesUntouchedByHead"

# --- Auth (django-allauth) -------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "home"
LOGIN_REDIRECT_URL = "github_step"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# No passwords: allauth's local login, sign-up and password pages are off.
SOCIALACCOUNT_ONLY = True
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "discord": {
        "provider_class": "accounts.discord.provider.DiscordProvider",
        "SCOPE": ["identify"],
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [{"client_id": DISCORD_CLIENT_ID, "secret": DISCORD_CLIENT_SECRET}],
    },
    "github": {
        "provider_class": "repos.github.provider.GitHubProvider",  # scopes: GITHUB_SCOPES
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [{"client_id": GITHUB_CLIENT_ID, "secret": GITHUB_CLIENT_SECRET}],
    },
}

# --- HTTP security -----------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No uploads, and no form of ours comes near this: form fields beyond it are refused with the 400 page, not
# read into memory (Django's default allows 2.5 MB from anyone). A file part is not counted: the proxy's body
# limit bounds those (nginx: client_max_body_size, 1 MB by default).
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe over plain HTTP. Django matches request.path, FORCE_SCRIPT_NAME included.
    _probes = re.escape(FORCE_SCRIPT_NAME[1:] + "/") if FORCE_SCRIPT_NAME else ""
    SECURE_REDIRECT_EXEMPT = [rf"^{_probes}healthz$", rf"^{_probes}readyz$"]
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    # The OAuth callback URLs allauth builds are https ones even where the hop from the proxy is plain HTTP and
    # its X-Forwarded-Proto is not trusted (SECURE_SSL_REDIRECT=0): Discord and GitHub refuse any callback but the
    # registered https:// one.
    ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For, for allauth's view of the client address.
ALLAUTH_TRUSTED_PROXY_COUNT = env_number("TRUSTED_PROXY_COUNT", "0")

# Nothing from other origins: every call to Discord and GitHub is made by the server.
# linkapp.csp.CSPMiddleware adds the providers to form-action (sign-in ends in a redirect to them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
RATELIMIT_VIEW = "linkapp.failures.rate_limited"
CSRF_FAILURE_VIEW = "linkapp.failures.csrf_failure"
# Where rate limits find the client address: by default the address allauth sees (TRUSTED_PROXY_COUNT); or a
# request header the proxy sets (HTTP_X_REAL_IP), which linkapp.ratelimits.client_address reads too, so that a
# request without it (one that bypassed the proxy) falls back to the peer's address where django-ratelimit
# itself would answer with a 500; or the dotted path of a function of your own.
_client_address_key = env("RATELIMIT_IP_META_KEY").strip()
if _client_address_key == "REMOTE_ADDR":  # as unset: the address allauth sees (REMOTE_ADDR without a trusted proxy)
    _client_address_key = ""
if _client_address_key and "." not in _client_address_key and not re.fullmatch(r"HTTP_[A-Z0-9_]+", _client_address_key):
    # `X-Real-IP` would never be found: every person would count against the proxy's address.
    raise ImproperlyConfigured(
        "RATELIMIT_IP_META_KEY must name a header as Django's request.META does (X-Real-IP is HTTP_X_REAL_IP), "
        f"or a function by its dotted path, not {_client_address_key!r}."
    )
CLIENT_ADDRESS_META_KEY = "" if "." in _client_address_key else _client_address_key
RATELIMIT_IP_META_KEY = _client_address_key if "." in _client_address_key else "linkapp.ratelimits.client_address"
if not REDIS_URL:
    # One process with an in-process cache (the demo): the counters are not shared, which is fine there.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001", "django_ratelimit.E003"]

# --- Static files ------------------------------------------------------------
# Written out with FORCE_SCRIPT_NAME: Django would add it to a relative one only where STATIC_URL is first read
# during a request, and WhiteNoise reads it at start-up.
STATIC_URL = f"{FORCE_SCRIPT_NAME or ''}/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise serves static/ straight from the finders, so `gunicorn` works
# without a collectstatic step (CONTRACT.md); collectstatic is still honoured.
WHITENOISE_USE_FINDERS = True
# Without that step STATIC_ROOT does not exist, and WhiteNoise would warn about it at every start.
warnings.filterwarnings("ignore", message=f"No directory at: {re.escape(str(STATIC_ROOT))}", category=UserWarning)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging -----------------------------------------------------------------
# LOG_FORMAT=json: one JSON object per line. Every line carries the request id.
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", ("plain", "json"))
LOG_LEVEL = env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
# Django's SuspiciousOperation and its subclasses, each logged as django.security.<name>.
SUSPICIOUS_OPERATIONS = [
    "SuspiciousOperation",
    "DisallowedHost",
    "DisallowedRedirect",
    "RequestDataTooBig",
    "TooManyFieldsSent",
    "TooManyFilesSent",
    "SuspiciousMultipartForm",
    "SuspiciousFileOperation",
    "SuspiciousSession",
    "InvalidSessionKey",
    "DisallowedModelAdminLookup",
    "DisallowedModelAdminToField",
]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "linkapp.logs.RequestIdFilter"},
        "no_query_string": {"()": "linkapp.logs.QueryStringFilter"},
        "one_line_warning": {"()": "linkapp.logs.OneLineWarning"},
        "client_error_one_line": {"()": "linkapp.logs.ClientErrorOneLine"},
        "outage_one_line": {"()": "linkapp.logs.OutageOneLine"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "linkapp.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        },
        "dev_server": {"class": "logging.StreamHandler", "filters": ["no_query_string"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own configuration gives `django` a level (INFO) and handlers of its own (a second console
        # under DEBUG=1, mail_admins): its lines go to ours, at the level asked for.
        "django": {"handlers": [], "level": LOG_LEVEL},
        # urllib3 logs full request URLs at DEBUG; keep it quiet so no query string leaks.
        "urllib3": {"level": "WARNING"},
        # runserver's request lines (the demo): paths only.
        "django.server": {"handlers": ["dev_server"], "level": "INFO", "propagate": False},
        # A wrong Host header is answered 400; Django would log it as an ERROR with a whole traceback. Likewise a
        # body over DATA_UPLOAD_MAX_MEMORY_SIZE or with too many fields or files, and every other suspicious
        # request: anyone can send one. Each has a logger of its own, which its parent's filters do not reach.
        **{f"django.security.{name}": {"filters": ["one_line_warning"]} for name in SUSPICIOUS_OPERATIONS},
        # A body Django cannot parse is a 400 logged here, with a traceback; so is each 503 of an outage.
        "django.request": {"filters": ["client_error_one_line", "outage_one_line"]},
    },
}
# Python itself writes a warning (a library's RuntimeWarning, say) to standard error as bare text; as a record
# of the py.warnings logger it is a line like the others: JSON under LOG_FORMAT=json, with the request id.
logging.captureWarnings(True)
