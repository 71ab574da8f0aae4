"""Settings shared by every deployment, read from environment variables.

Variable names and defaults follow Flagsmith's self-hosting documentation so an
existing deployment's configuration carries over unchanged. Each read is strict:
a malformed value stops start-up with a message naming the variable (see
``app.envvars``). The full list is documented in ``docs/configuration.md``.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
from importlib.metadata import version as package_version
from pathlib import Path

from django.core.management.utils import get_random_secret_key

from app.envvars import (
    ConfigurationError,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_json_object,
    env_list,
    env_str,
    is_set,
    parse_database_url,
)
from core.memcached import SingleServerRendezvousHash

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # the api/ folder
REPO_DIR = BASE_DIR.parent

logger = logging.getLogger("banderole.settings")

BANDEROLE_VERSION = "0.1.0"
ENV = env_str("ENV", "local")
DEBUG = env_bool("DEBUG", False)

# --- Secret key --------------------------------------------------------------
SECRET_KEY_WAS_GENERATED = not is_set("DJANGO_SECRET_KEY")
if SECRET_KEY_WAS_GENERATED:
    SECRET_KEY = get_random_secret_key()
else:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY")
    if len(SECRET_KEY) < 32:
        raise ConfigurationError("DJANGO_SECRET_KEY", "<hidden>", "at least 32 characters")

# --- Hosts, proxies, security headers -----------------------------------------
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["*"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
SECURE_PROXY_SSL_HEADER = (
    env_str("SECURE_PROXY_SSL_HEADER_NAME", "HTTP_X_FORWARDED_PROTO"),
    env_str("SECURE_PROXY_SSL_HEADER_VALUE", "https"),
)
SECURE_REDIRECT_EXEMPT = env_list("DJANGO_SECURE_REDIRECT_EXEMPT", [])
SECURE_REFERRER_POLICY = env_str("DJANGO_SECURE_REFERRER_POLICY", "same-origin")
SECURE_SSL_HOST = env_str("DJANGO_SECURE_SSL_HOST", None)
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
# A deployment that redirects to HTTPS is HTTPS-only: browsers are told so (HSTS, a year
# unless set) and cookies never travel over plain HTTP, whatever the settings module.
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000 if SECURE_SSL_REDIRECT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
if SECURE_HSTS_SECONDS < 0:
    raise ConfigurationError("DJANGO_SECURE_HSTS_SECONDS", str(SECURE_HSTS_SECONDS), "a number of seconds, 0 or more")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
# Number of trusted proxies in front of the app; the client address is then
# taken that many hops from the right of X-Forwarded-For (0 = REMOTE_ADDR).
NUM_PROXIES = env_int("NUM_PROXIES", 0)
ALLOWED_ADMIN_IP_ADDRESSES = env_list("ALLOWED_ADMIN_IP_ADDRESSES", [])
# Flagsmith's name: false refuses password login to the Django admin (/admin/login/).
ENABLE_ADMIN_ACCESS_USER_PASS = env_bool("ENABLE_ADMIN_ACCESS_USER_PASS", True)
ENABLE_GZIP_COMPRESSION = env_bool("ENABLE_GZIP_COMPRESSION", False)
# Sent with every HTML page (core.middleware.ContentSecurityPolicyMiddleware); "off" sends none.
DEFAULT_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
CONTENT_SECURITY_POLICY = env_str("CONTENT_SECURITY_POLICY", DEFAULT_CONTENT_SECURITY_POLICY)
if CONTENT_SECURITY_POLICY.lower() == "off":
    CONTENT_SECURITY_POLICY = ""

# --- Applications --------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver then serves STATIC_ROOT through whitenoise as gunicorn
    # does, including the dashboard's assets that the frontend build writes there.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "rest_framework",
    "rest_framework.authtoken",
    "djoser",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "axes",
    "anymail",
    "core",
    "users",
    "organisations",
    "projects",
    "environments",
    "identities",
    "features",
    "segments",
    "versioning",
    "permissions",
    "audit",
    "analytics",
    "webhooks",
    "documents",
    "transfer",
    "sdk",
    "unleash",
    "ofrep",
    "realtime",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    *(["django.middleware.gzip.GZipMiddleware"] if ENABLE_GZIP_COMPRESSION else []),
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.RefuseNulMiddleware",
    "core.middleware.DatabaseRoutingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks writes of this request as made through the API or the Django admin.
    "audit.context.AuditSourceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.AdminIPRestrictionMiddleware",
    "core.middleware.VersionHeaderMiddleware",
    # Last, as django-axes requires, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "app.urls"
WSGI_APPLICATION = "app.wsgi.application"
SITE_ID = 1
AUTH_USER_MODEL = "users.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "app" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Databases -----------------------------------------------------------------
DATABASE_CONN_MAX_AGE = env_int("DJANGO_DB_CONN_MAX_AGE", 60)
if DATABASE_CONN_MAX_AGE < 0:
    DATABASE_CONN_MAX_AGE = 0
DATABASE_CONN_HEALTH_CHECKS = env_bool("DJANGO_DB_CONN_HEALTH_CHECKS", True)
SQLITE_PATH = Path(env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")))

if is_set("DATABASE_URL"):
    DATABASES = {
        "default": parse_database_url(
            "DATABASE_URL",
            env_str("DATABASE_URL"),
            conn_max_age=DATABASE_CONN_MAX_AGE,
            conn_health_checks=DATABASE_CONN_HEALTH_CHECKS,
        )
    }
elif any(is_set(f"DJANGO_DB_{part}") for part in ("HOST", "NAME", "USER", "PASSWORD", "PORT")):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": env_str("DJANGO_DB_HOST", "localhost"),
            "NAME": env_str("DJANGO_DB_NAME", "flagsmith"),
            "USER": env_str("DJANGO_DB_USER", "postgres"),
            "PASSWORD": env_str("DJANGO_DB_PASSWORD", ""),
            "PORT": str(env_int("DJANGO_DB_PORT", 5432)),
            "CONN_MAX_AGE": DATABASE_CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": DATABASE_CONN_HEALTH_CHECKS,
        }
    }
else:
    # The embedded default: a newcomer's first command works with nothing set up.
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
USING_SQLITE_DEFAULT = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"

# Read replicas: each URL becomes an alias ``replica_<n>``; routing is in
# core.db_routers and only applies to reads that opt in (core.replicas).
REPLICA_DATABASE_URLS_DELIMITER = env_str("REPLICA_DATABASE_URLS_DELIMITER", ",")
REPLICA_DATABASE_URLS = env_list("REPLICA_DATABASE_URLS", [], delimiter=REPLICA_DATABASE_URLS_DELIMITER)
# A dead replica must cost little: connect with a short timeout, then it is
# skipped for REPLICA_RETRY_SECONDS before being probed again.
REPLICA_CONNECT_TIMEOUT = env_int("REPLICA_CONNECT_TIMEOUT", 2)
REPLICA_RETRY_SECONDS = env_float("REPLICA_RETRY_SECONDS", 30.0)
# SDK identity reads (GET /identities/) go to a replica, except for identities written
# (traits, deletion) this recently: those are read from the primary, so a client reads
# its own writes. Across processes when the environment cache is shared; set it above
# the replicas' usual lag.
REPLICA_READ_YOUR_WRITES_SECONDS = env_float("REPLICA_READ_YOUR_WRITES_SECONDS", 5.0)
for _index, _url in enumerate(REPLICA_DATABASE_URLS, start=1):
    _replica = parse_database_url(
        "REPLICA_DATABASE_URLS",
        _url,
        conn_max_age=DATABASE_CONN_MAX_AGE,
        conn_health_checks=DATABASE_CONN_HEALTH_CHECKS,
    )
    if _replica["ENGINE"] == "django.db.backends.postgresql":
        _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", REPLICA_CONNECT_TIMEOUT)
    # In tests a replica is the primary's test database, not a new one.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica_{_index}"] = _replica
DATABASE_ROUTERS = ["core.db_routers.ReplicaRouter"]

# --- Caches ----------------------------------------------------------------------
# The SDK hot path's caches (documents/caching.py): the variables, names and defaults
# are the Flagsmith deployment doc's; docs/configuration.md says what each one holds.
LOCMEM_CACHE = "django.core.cache.backends.locmem.LocMemCache"
DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"
# Prepended to every key, so several deployments can share one memcached or Redis (Flagsmith #7297).
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "")
# A cache server that stops answering must cost a request milliseconds, not a worker timeout.
CACHE_SOCKET_TIMEOUT_SECONDS = env_float("CACHE_SOCKET_TIMEOUT_SECONDS", 0.5)
MEMCACHED_BACKEND = "core.memcached.PyMemcacheCache"


def _cache(backend: str, location: str, timeout: float | None, options: dict | None = None) -> dict:
    client_options: dict = {}
    if backend.endswith(".PyMemcacheCache"):
        # Django's backend with one circuit per server per process (core.memcached): after
        # one timeout, every cache of the process skips the server until it answers again.
        backend = MEMCACHED_BACKEND
        client_options = {
            "connect_timeout": CACHE_SOCKET_TIMEOUT_SECONDS,
            "timeout": CACHE_SOCKET_TIMEOUT_SECONDS,
            "no_delay": True,
            "hasher": SingleServerRendezvousHash,
        }
    elif backend.endswith(".RedisCache"):
        client_options = {
            "socket_connect_timeout": CACHE_SOCKET_TIMEOUT_SECONDS,
            "socket_timeout": CACHE_SOCKET_TIMEOUT_SECONDS,
        }
    return {
        "BACKEND": backend,
        "LOCATION": location,
        "TIMEOUT": timeout,
        "KEY_PREFIX": CACHE_KEY_PREFIX,
        "OPTIONS": {**client_options, **(options or {})},
    }


# Key -> environment (X-Environment-Key authentication) and each environment's version
# generation. In memory by default, as the Flagsmith docs' prose says; a shared backend
# (memcached, Redis) makes a change visible to every process at once.
ENVIRONMENT_CACHE_SECONDS = env_int("ENVIRONMENT_CACHE_SECONDS", 86400)
ENVIRONMENT_CACHE_BACKEND = env_str("ENVIRONMENT_CACHE_BACKEND", LOCMEM_CACHE)
ENVIRONMENT_CACHE_LOCATION = env_str("ENVIRONMENT_CACHE_LOCATION", "environment-objects")
# Without a shared environment cache, how stale a process's idea of an environment's
# version may get before it asks the primary again (one indexed read per environment).
ENVIRONMENT_VERSION_CHECK_SECONDS = env_float("ENVIRONMENT_VERSION_CHECK_SECONDS", 1.0)

# Compiled environment documents, keyed by version (so never stale). EXPIRING with 0
# seconds keeps them in each process only; PERSISTENT compiles each new version right
# after the change commits and keeps it until it is replaced.
CACHE_ENVIRONMENT_DOCUMENT_MODE = env_choice("CACHE_ENVIRONMENT_DOCUMENT_MODE", ["EXPIRING", "PERSISTENT"], "EXPIRING")
CACHE_ENVIRONMENT_DOCUMENT_SECONDS = env_int("CACHE_ENVIRONMENT_DOCUMENT_SECONDS", 0)
CACHE_ENVIRONMENT_DOCUMENT_BACKEND = env_str(
    "CACHE_ENVIRONMENT_DOCUMENT_BACKEND", "django.core.cache.backends.db.DatabaseCache"
)
CACHE_ENVIRONMENT_DOCUMENT_LOCATION = env_str("CACHE_ENVIRONMENT_DOCUMENT_LOCATION", "environment-documents")
CACHE_ENVIRONMENT_DOCUMENT_OPTIONS = env_json_object("CACHE_ENVIRONMENT_DOCUMENT_OPTIONS", {})
CACHE_ENVIRONMENT_DOCUMENT_ENABLED = (
    CACHE_ENVIRONMENT_DOCUMENT_MODE == "PERSISTENT" or CACHE_ENVIRONMENT_DOCUMENT_SECONDS > 0
) and CACHE_ENVIRONMENT_DOCUMENT_BACKEND != DUMMY_CACHE

# Flagsmith's per-process, TTL-only caches: 0 (the default) keeps them off, and
# Banderole is always current. A positive value lets a process serve /flags/ for that
# long without checking the version, and reuse a project's segments across the
# compilation of its environments.
CACHE_FLAGS_SECONDS = env_int("CACHE_FLAGS_SECONDS", 0)
CACHE_PROJECT_SEGMENTS_SECONDS = env_int("CACHE_PROJECT_SEGMENTS_SECONDS", 0)

# Response caches for GET /flags/ and GET /identities/ (off by default, as in Flagsmith).
# Entries are keyed by key, document version and, for identities, the identity's own
# generation, which every trait write bumps after commit: never stale with a shared
# backend.
GET_FLAGS_ENDPOINT_CACHE_SECONDS = env_int("GET_FLAGS_ENDPOINT_CACHE_SECONDS", 0)
GET_FLAGS_ENDPOINT_CACHE_BACKEND = env_str("GET_FLAGS_ENDPOINT_CACHE_BACKEND", DUMMY_CACHE)
GET_FLAGS_ENDPOINT_CACHE_LOCATION = env_str("GET_FLAGS_ENDPOINT_CACHE_LOCATION", "get_flags_endpoint_cache")
GET_IDENTITIES_ENDPOINT_CACHE_SECONDS = env_int("GET_IDENTITIES_ENDPOINT_CACHE_SECONDS", 0)
GET_IDENTITIES_ENDPOINT_CACHE_BACKEND = env_str("GET_IDENTITIES_ENDPOINT_CACHE_BACKEND", DUMMY_CACHE)
GET_IDENTITIES_ENDPOINT_CACHE_LOCATION = env_str(
    "GET_IDENTITIES_ENDPOINT_CACHE_LOCATION", "get_identities_endpoint_cache"
)

# Throttle counts (login, sign-up, password reset, invites, USER_/MASTER_API_KEY_THROTTLE_RATE).
# They follow the shared environment cache when one is configured (memcached, Redis, the
# database), so every process counts against one allowance; with the in-memory default
# each process counts for itself, and N processes let through N times the rate.
_shared_environment_cache = ENVIRONMENT_CACHE_BACKEND not in (LOCMEM_CACHE, DUMMY_CACHE)
THROTTLE_CACHE_BACKEND = env_str(
    "THROTTLE_CACHE_BACKEND", ENVIRONMENT_CACHE_BACKEND if _shared_environment_cache else LOCMEM_CACHE
)
THROTTLE_CACHE_LOCATION = env_str(
    "THROTTLE_CACHE_LOCATION", ENVIRONMENT_CACHE_LOCATION if _shared_environment_cache else "throttles"
)
if THROTTLE_CACHE_BACKEND == DUMMY_CACHE:
    raise ConfigurationError("THROTTLE_CACHE_BACKEND", THROTTLE_CACHE_BACKEND, "a cache that keeps counts")

CACHES = {
    "default": {
        "BACKEND": LOCMEM_CACHE,
        "LOCATION": "banderole-default",
    },
    "environment-objects": _cache(ENVIRONMENT_CACHE_BACKEND, ENVIRONMENT_CACHE_LOCATION, ENVIRONMENT_CACHE_SECONDS),
    "environment-documents": _cache(
        CACHE_ENVIRONMENT_DOCUMENT_BACKEND,
        CACHE_ENVIRONMENT_DOCUMENT_LOCATION,
        None if CACHE_ENVIRONMENT_DOCUMENT_MODE == "PERSISTENT" else CACHE_ENVIRONMENT_DOCUMENT_SECONDS,
        CACHE_ENVIRONMENT_DOCUMENT_OPTIONS,
    ),
    "environment-flags": _cache(LOCMEM_CACHE, "environment-flags", CACHE_FLAGS_SECONDS),
    "project-segments": _cache(LOCMEM_CACHE, "project-segments", CACHE_PROJECT_SEGMENTS_SECONDS),
    "get-flags-endpoint": _cache(
        GET_FLAGS_ENDPOINT_CACHE_BACKEND, GET_FLAGS_ENDPOINT_CACHE_LOCATION, GET_FLAGS_ENDPOINT_CACHE_SECONDS
    ),
    "get-identities-endpoint": _cache(
        GET_IDENTITIES_ENDPOINT_CACHE_BACKEND,
        GET_IDENTITIES_ENDPOINT_CACHE_LOCATION,
        GET_IDENTITIES_ENDPOINT_CACHE_SECONDS,
    ),
    "throttles": _cache(THROTTLE_CACHE_BACKEND, THROTTLE_CACHE_LOCATION, None),
}

# --- Authentication ------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked-out account is refused before the password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AXES_ENABLED = env_bool("ENABLE_AXES", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = env_float("AXES_COOLOFF_TIME", 15) / 60  # minutes, as Flagsmith documents; axes wants hours
# Flagsmith documents AXES_ONLY_USER_FAILURES; django-axes 8 replaced it with
# AXES_LOCKOUT_PARAMETERS, so the documented variable is mapped onto it.
_axes_only_user_failures = env_bool("AXES_ONLY_USER_FAILURES", True)
AXES_LOCKOUT_PARAMETERS = ["username"] if _axes_only_user_failures else ["ip_address", "username"]
AXES_USERNAME_FORM_FIELD = "email"
# axes.W006 warns about username-only lockout, which is Flagsmith's documented
# default (AXES_ONLY_USER_FAILURES=true); deployers opt into IP lockout with false.
SILENCED_SYSTEM_CHECKS = ["axes.W006"] if _axes_only_user_failures else []
AXES_LOCKOUT_CALLABLE = "users.views.lockout_response"
AXES_RESET_ON_SUCCESS = True
# The address axes records (and locks out by, with AXES_ONLY_USER_FAILURES=false) is the
# one every throttle uses: X-Forwarded-For only through the NUM_PROXIES trusted proxies.
AXES_CLIENT_IP_CALLABLE = "core.middleware.client_ip"

# Two-factor sign-in (TOTP). The issuer is the name authenticator apps show beside the code.
MFA_ISSUER_NAME = env_str("MFA_ISSUER_NAME", "Banderole")
# How long the password step of a two-factor sign-in stays good for auth/login/code/.
MFA_EPHEMERAL_TOKEN_SECONDS = env_int("MFA_EPHEMERAL_TOKEN_SECONDS", 15 * 60)
# Wrong codes for one account before auth/login/code/ refuses it for that long.
MFA_CODE_FAILURE_LIMIT = env_int("MFA_CODE_FAILURE_LIMIT", 10)
MFA_BACKUP_CODE_COUNT = 5  # Flagsmith's number and length
MFA_BACKUP_CODE_LENGTH = 10

USER_CREATE_PERMISSIONS = env_list("USER_CREATE_PERMISSIONS", ["rest_framework.permissions.AllowAny"])
ALLOW_REGISTRATION_WITHOUT_INVITE = env_bool("ALLOW_REGISTRATION_WITHOUT_INVITE", True)
PREVENT_SIGNUP = env_bool("PREVENT_SIGNUP", False)
ENABLE_EMAIL_ACTIVATION = env_bool("ENABLE_EMAIL_ACTIVATION", False)
RESTRICT_ORG_CREATE_TO_SUPERUSERS = env_bool("RESTRICT_ORG_CREATE_TO_SUPERUSERS", False)
DEFAULT_ORG_STORE_TRAITS_VALUE = env_bool("DEFAULT_ORG_STORE_TRAITS_VALUE", True)
ALLOW_ADMIN_INITIATION_VIA_URL = env_bool("ALLOW_ADMIN_INITIATION_VIA_URL", True)
FLAGSMITH_DOMAIN = env_str("FLAGSMITH_DOMAIN", None)
INVITE_LINK_DEFAULT_DAYS = env_int("INVITE_LINK_DEFAULT_DAYS", 30)

# Sign-in with GitHub (users/oauth.py): on when both are set. The URLs are GitHub's; change
# them for GitHub Enterprise Server or a test stand-in.
GITHUB_CLIENT_ID = env_str("GITHUB_CLIENT_ID", "")
GITHUB_CLIENT_SECRET = env_str("GITHUB_CLIENT_SECRET", "")
GITHUB_OAUTH_TOKEN_URL = env_str("GITHUB_OAUTH_TOKEN_URL", "https://github.com/login/oauth/access_token")
GITHUB_API_URL = env_str("GITHUB_API_URL", "https://api.github.com")
OAUTH_PROVIDER_TIMEOUT_SECONDS = env_float("OAUTH_PROVIDER_TIMEOUT_SECONDS", 10.0)
# Google sign-in to the Django admin (Flagsmith's names); the provider URLs are settings for tests.
OAUTH_CLIENT_ID = env_str("OAUTH_CLIENT_ID", "")
OAUTH_CLIENT_SECRET = env_str("OAUTH_CLIENT_SECRET", "")
GOOGLE_OAUTH_AUTH_URL = env_str("GOOGLE_OAUTH_AUTH_URL", "https://accounts.google.com/o/oauth2/v2/auth")
GOOGLE_OAUTH_TOKEN_URL = env_str("GOOGLE_OAUTH_TOKEN_URL", "https://oauth2.googleapis.com/token")
GOOGLE_OAUTH_USERINFO_URL = env_str("GOOGLE_OAUTH_USERINFO_URL", "https://openidconnect.googleapis.com/v1/userinfo")

DJOSER = {
    "LOGIN_FIELD": "email",
    "HIDE_USERS": True,
    "SEND_ACTIVATION_EMAIL": ENABLE_EMAIL_ACTIVATION,
    "SEND_CONFIRMATION_EMAIL": False,
    "USER_CREATE_PASSWORD_RETYPE": False,
    "PASSWORD_RESET_CONFIRM_URL": "password-reset/confirm/{uid}/{token}",
    "ACTIVATION_URL": "activate/{uid}/{token}",
    # auth/users/reset_email/ mails this link (without it djoser fails with a 500; found by schemathesis).
    "USERNAME_RESET_CONFIRM_URL": "email-reset/confirm/{uid}/{token}",
    "PASSWORD_RESET_SHOW_EMAIL_NOT_FOUND": False,
    "SERIALIZERS": {
        "user_create": "users.serializers.UserCreateSerializer",
        "user": "users.serializers.CurrentUserSerializer",
        "current_user": "users.serializers.CurrentUserSerializer",
        "set_username": "users.serializers.SetEmailSerializer",
        "activation": "users.serializers.ActivationSerializer",
        "password_reset_confirm": "users.serializers.PasswordResetConfirmSerializer",
        "username_reset_confirm": "users.serializers.EmailResetConfirmSerializer",
    },
    "PERMISSIONS": {
        "user_create": USER_CREATE_PERMISSIONS,
        "user_list": ["rest_framework.permissions.IsAdminUser"],
        "user": ["djoser.permissions.CurrentUserOrAdmin"],
    },
    "EMAIL": {
        "activation": "users.emails.ActivationEmail",
        "password_reset": "users.emails.PasswordResetEmail",
    },
}

# --- Email ------------------------------------------------------------------------
# Flagsmith's three documented EMAIL_BACKEND values all work. Its SendGrid package
# (sendgrid-django, unmaintained since 2017) and django-ses are replaced by
# django-anymail, which the two documented values are mapped onto; anymail's own
# backend paths work too. Unset: mail is printed to the console, and everything still
# works through invite links.
DEFAULT_FROM_EMAIL = env_str("SENDER_EMAIL", "noreply@banderole.local")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND_ALIASES = {
    "sgbackend.SendGridBackend": "anymail.backends.sendgrid.EmailBackend",
    "django_ses.SESBackend": "anymail.backends.amazon_ses.EmailBackend",
}
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_BACKEND = EMAIL_BACKEND_ALIASES.get(EMAIL_BACKEND, EMAIL_BACKEND)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 10.0)
# SendGrid (v3 Mail Send API). SENDGRID_API_URL points it at another endpoint (tests, proxies).
SENDGRID_API_KEY = env_str("SENDGRID_API_KEY", "")
SENDGRID_API_URL = env_str("SENDGRID_API_URL", "https://api.sendgrid.com/v3/")
# Amazon SES (v2 API through boto3). AWS_SES_REGION_ENDPOINT is a host name, as django-ses
# took it (email.eu-central-1.amazonaws.com), or a full URL.
AWS_SES_REGION_NAME = env_str("AWS_SES_REGION_NAME", "us-east-1")
AWS_SES_REGION_ENDPOINT = env_str("AWS_SES_REGION_ENDPOINT", None)
AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID", None)
AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY", None)
_ses_client_params: dict = {"region_name": AWS_SES_REGION_NAME}
if AWS_SES_REGION_ENDPOINT:
    _ses_client_params["endpoint_url"] = (
        AWS_SES_REGION_ENDPOINT if "://" in AWS_SES_REGION_ENDPOINT else f"https://{AWS_SES_REGION_ENDPOINT}"
    )
if AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY:
    _ses_client_params["aws_access_key_id"] = AWS_ACCESS_KEY_ID
    _ses_client_params["aws_secret_access_key"] = AWS_SECRET_ACCESS_KEY
ANYMAIL = {
    "SENDGRID_API_KEY": SENDGRID_API_KEY,
    "SENDGRID_API_URL": SENDGRID_API_URL,
    "AMAZON_SES_CLIENT_PARAMS": _ses_client_params,
}
if EMAIL_BACKEND == "anymail.backends.sendgrid.EmailBackend" and not SENDGRID_API_KEY:
    raise ConfigurationError("SENDGRID_API_KEY", "", "an API key when EMAIL_BACKEND is SendGrid")

# --- Flag analytics ------------------------------------------------------------------
# SDK evaluation counts are buffered per process and flushed this often (0: written as
# they arrive). Flagsmith's variable and default.
FEATURE_EVALUATION_CACHE_SECONDS = env_int("FEATURE_EVALUATION_CACHE_SECONDS", 60)
INFLUXDB_URL = env_str("INFLUXDB_URL", None)
INFLUXDB_TOKEN = env_str("INFLUXDB_TOKEN", None)
INFLUXDB_ORG = env_str("INFLUXDB_ORG", None)
INFLUXDB_BUCKET = env_str("INFLUXDB_BUCKET", "flagsmith")
INFLUXDB_TIMEOUT_SECONDS = env_float("INFLUXDB_TIMEOUT_SECONDS", 5.0)
INFLUXDB_ENABLED = bool(INFLUXDB_URL and INFLUXDB_TOKEN and INFLUXDB_ORG)

# --- Webhooks ----------------------------------------------------------------------
# Flagsmith's names. SEPARATE_THREAD: each server process delivers in a background
# thread; TASK_PROCESSOR: the API only queues and ``manage.py run_webhook_worker``
# delivers; SYNCHRONOUSLY: delivered right after the commit, in the request (tests, tiny
# installs).
TASK_RUN_METHOD = env_choice(
    "TASK_RUN_METHOD", ["SEPARATE_THREAD", "TASK_PROCESSOR", "SYNCHRONOUSLY"], "SEPARATE_THREAD"
)
DISABLE_WEBHOOKS = env_bool("DISABLE_WEBHOOKS", False)
WEBHOOK_BACKOFF_BASE = env_float("WEBHOOK_BACKOFF_BASE", 2.0)
WEBHOOK_BACKOFF_RETRIES = env_int("WEBHOOK_BACKOFF_RETRIES", 3)
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 10.0)
WEBHOOK_POLL_SECONDS = env_float("WEBHOOK_POLL_SECONDS", 5.0)
# Networks webhooks may call although they are internal (loopback, private, link-local …):
# empty by default, so a webhook URL can reach only public addresses (core.outbound).
WEBHOOK_ALLOWED_NETWORKS = []
for _cidr in env_list("WEBHOOK_ALLOWED_NETWORKS", []):
    try:
        WEBHOOK_ALLOWED_NETWORKS.append(ipaddress.ip_network(_cidr, strict=False))
    except ValueError as _exc:
        raise ConfigurationError(
            "WEBHOOK_ALLOWED_NETWORKS", _cidr, "comma-separated CIDRs such as 10.1.0.0/16"
        ) from _exc
# A test send answers within the request, so it waits at most this long (at most 5 s).
WEBHOOK_TEST_TIMEOUT_SECONDS = env_float("WEBHOOK_TEST_TIMEOUT_SECONDS", 5.0)
if not 0 < WEBHOOK_TEST_TIMEOUT_SECONDS <= 5:
    raise ConfigurationError(
        "WEBHOOK_TEST_TIMEOUT_SECONDS", str(WEBHOOK_TEST_TIMEOUT_SECONDS), "a number of seconds above 0, at most 5"
    )
# How often each API process applies scheduled feature versions that have gone live
# (versioning.scheduler; 0 turns it off). SDKs see a change at its live_from without it.
FEATURE_VERSION_SCHEDULER_SECONDS = env_float("FEATURE_VERSION_SCHEDULER_SECONDS", 1.0)
if WEBHOOK_BACKOFF_BASE < 1:
    raise ConfigurationError("WEBHOOK_BACKOFF_BASE", str(WEBHOOK_BACKOFF_BASE), "a number of at least 1")
if WEBHOOK_BACKOFF_RETRIES < 0:
    raise ConfigurationError("WEBHOOK_BACKOFF_RETRIES", str(WEBHOOK_BACKOFF_RETRIES), "an integer of at least 0")

# --- REST framework --------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "ALLOWED_VERSIONS": ["v1", "v2"],
    "DEFAULT_VERSION": "v1",
    "VERSION_PARAM": "version",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's Token and Session authentication, holding back members of an organisation
        # that requires two-factor sign-in until they turn it on (docs/security.md).
        "organisations.authentication.TokenAuthentication",
        "organisations.authentication.OrganisationAPIKeyAuthentication",
        "organisations.authentication.SessionAuthentication",
    ],
    # Users and organisation API keys are throttled separately (no rate: unthrottled).
    "DEFAULT_THROTTLE_CLASSES": [
        "organisations.throttling.UserRateThrottle",
        "organisations.throttling.MasterAPIKeyRateThrottle",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.StandardPagination",
    "PAGE_SIZE": env_int("PAGE_SIZE", 10),
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # DRF's own default (None) trusts the whole X-Forwarded-For header; Banderole's
    # throttles use core.middleware.client_ip, and this keeps any plain DRF one in line.
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "login": env_str("LOGIN_THROTTLE_RATE", "20/min"),
        "signup": env_str("SIGNUP_THROTTLE_RATE", "10000/min"),
        "invite": env_str("INVITE_THROTTLE_RATE", "10/min"),
        "password_reset": env_str("PASSWORD_RESET_THROTTLE_RATE", "5/min"),
        "mfa_code": env_str("MFA_CODE_THROTTLE_RATE", "5/min"),  # Flagsmith's fixed rate
        "user": env_str("USER_THROTTLE_RATE", None),
        "master_api_key": env_str("MASTER_API_KEY_THROTTLE_RATE", None),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Banderole API",
    "DESCRIPTION": "Flagsmith-compatible feature flag and remote config server.",
    "VERSION": BANDEROLE_VERSION,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "OrganisationRoleEnum": "organisations.models.OrganisationRole",
    },
}
REQUIRE_AUTHENTICATION_FOR_API_DOCS = env_bool("REQUIRE_AUTHENTICATION_FOR_API_DOCS", False)

# --- Segments --------------------------------------------------------------------
# Flagsmith's limits (reference §2.1): characters per condition value, conditions per segment.
SEGMENT_CONDITION_VALUE_LIMIT = env_int("SEGMENT_CONDITION_VALUE_LIMIT", 1000)
SEGMENT_RULES_CONDITIONS_LIMIT = env_int("SEGMENT_RULES_CONDITIONS_LIMIT", 100)
# How long a regular expression (segment REGEX condition, feature_name_regex) that RE2 cannot
# run for a value may take before the value counts as not matching (core.bounded_regex).
REGEX_TIMEOUT_SECONDS = env_float("REGEX_TIMEOUT_SECONDS", 0.01)
if not 0 < REGEX_TIMEOUT_SECONDS <= 5:
    raise ConfigurationError(
        "REGEX_TIMEOUT_SECONDS", str(REGEX_TIMEOUT_SECONDS), "a number of seconds above 0, at most 5"
    )

# --- Bounds on what SDKs send (docs/security.md#input-limits) ----------------------
# Traits one SDK request may carry (POST identities/, PUT traits/bulk/), and traits one
# identity may have; past either the request is refused with a 400 and nothing is written.
MAX_TRAITS_PER_REQUEST = env_int("MAX_TRAITS_PER_REQUEST", 1000)
MAX_TRAITS_PER_IDENTITY = env_int("MAX_TRAITS_PER_IDENTITY", 1000)
for _name, _limit in (
    ("MAX_TRAITS_PER_REQUEST", MAX_TRAITS_PER_REQUEST),
    ("MAX_TRAITS_PER_IDENTITY", MAX_TRAITS_PER_IDENTITY),
):
    if _limit < 1:
        raise ConfigurationError(_name, str(_limit), "an integer of at least 1")
# New identities an environment key may create through the SDK API, as DRF rates
# ("1000/min", "50/s"); unset: no limit. Counted in the default cache (per process unless
# a shared cache is configured, like every throttle).
SDK_IDENTITY_CREATE_THROTTLE_RATE = env_str("SDK_IDENTITY_CREATE_THROTTLE_RATE", None)
if SDK_IDENTITY_CREATE_THROTTLE_RATE is not None:
    _count, _, _period = SDK_IDENTITY_CREATE_THROTTLE_RATE.partition("/")
    if not (_count.isdigit() and int(_count) > 0 and _period[:1] in ("s", "m", "h", "d")):
        raise ConfigurationError(
            "SDK_IDENTITY_CREATE_THROTTLE_RATE", SDK_IDENTITY_CREATE_THROTTLE_RATE, "a rate such as 1000/min or 50/s"
        )

# --- Other flag protocols ----------------------------------------------------------
# What GET /ofrep/v1/configuration tells OFREP providers is the shortest poll of the bulk
# endpoint worth making: each process re-checks versions at most once a second.
OFREP_MIN_POLLING_INTERVAL_MS = env_int("OFREP_MIN_POLLING_INTERVAL_MS", 1000)

# --- Realtime stream (docs/realtime.md) -----------------------------------------------
# The stream process (manage.py runrealtime) serves /sse/environments/{key}/stream, and the
# same under this prefix, so an SDK's realtime_api_url can be the API URL (…/api/v1/).
REALTIME_PATH_PREFIX = env_str("REALTIME_PATH_PREFIX", "api/v1/").strip("/")
# A comment line on every open stream this often, so proxies and load balancers keep it.
REALTIME_HEARTBEAT_SECONDS = env_float("REALTIME_HEARTBEAT_SECONDS", 20.0)
if not 0 < REALTIME_HEARTBEAT_SECONDS <= 300:
    raise ConfigurationError(
        "REALTIME_HEARTBEAT_SECONDS", env_str("REALTIME_HEARTBEAT_SECONDS"), "a number of seconds above 0, at most 300"
    )
# On SQLite (no LISTEN/NOTIFY) each stream process checks the versions of the environments
# it streams this often: one query per process, whatever the number of streams.
REALTIME_POLL_SECONDS = env_float("REALTIME_POLL_SECONDS", 1.0)
if REALTIME_POLL_SECONDS <= 0:
    raise ConfigurationError("REALTIME_POLL_SECONDS", env_str("REALTIME_POLL_SECONDS"), "a number of seconds above 0")
# Messages queued for a client that has stopped reading before its stream is dropped.
REALTIME_MAX_PENDING_MESSAGES = env_int("REALTIME_MAX_PENDING_MESSAGES", 16)
if REALTIME_MAX_PENDING_MESSAGES < 1:
    raise ConfigurationError(
        "REALTIME_MAX_PENDING_MESSAGES", env_str("REALTIME_MAX_PENDING_MESSAGES"), "an integer of at least 1"
    )
# Set: versions are announced on Redis pub/sub instead of PostgreSQL NOTIFY (every process,
# the API's and the stream's, must have the same value).
REALTIME_REDIS_URL = env_str("REALTIME_REDIS_URL", "")
# The stream process's public URL: the API then redirects /sse/ requests there, for set-ups
# without a proxy routing /sse/ to it (make serve sets it). Empty: such requests get a 404.
REALTIME_URL = env_str("REALTIME_URL", "").rstrip("/")

# --- CORS ------------------------------------------------------------------------
CORS_ALLOW_ALL_ORIGINS = env_bool("CORS_ORIGIN_ALLOW_ALL", True)
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
FLAGSMITH_CORS_EXTRA_ALLOW_HEADERS = env_list(
    "FLAGSMITH_CORS_EXTRA_ALLOW_HEADERS", ["sentry-trace", "traceparent", "tracestate", "baggage"]
)
CORS_ALLOW_HEADERS = [
    "accept",
    "authorization",
    "content-type",
    "user-agent",
    "x-csrftoken",
    "x-requested-with",
    "x-environment-key",
    "flagsmith-application-name",
    "flagsmith-application-version",
    "flagsmith-sdk-user-agent",
    "if-none-match",
    "if-modified-since",
    # Unleash's browser SDK (unleash-proxy-client) and OFREP's key header.
    "unleash-appname",
    "unleash-connection-id",
    "unleash-sdk",
    "x-api-key",
    *FLAGSMITH_CORS_EXTRA_ALLOW_HEADERS,
]
# Browser SDKs that revalidate with If-None-Match read the ETag; Retry-After as Flagsmith exposes it.
# X-Flagsmith-Document-Updated-At: the browser SDK compares it with the realtime stream's
# updated_at, so a stream that reconnects does not refetch flags it already has.
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "X-Flagsmith-Document-Updated-At"]

# --- Static files, i18n ------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Observability -------------------------------------------------------------------
LOG_LEVEL = env_choice("LOG_LEVEL", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], "WARNING")
LOG_FORMAT = env_choice("LOG_FORMAT", ["generic", "json"], "generic")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "generic": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "stream": sys.stderr}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "banderole": {"level": "INFO" if LOG_LEVEL in ("DEBUG", "INFO") else LOG_LEVEL, "propagate": True},
        # A wrong Host header is routine behind load balancers: not worth a traceback.
        "django.security.DisallowedHost": {"level": "CRITICAL"},
    },
}

# Flagsmith's Azure Application Insights variables are accepted (a deployment that sets
# them still starts) and ignored: OpenCensus is retired upstream. docs/configuration.md.
APPLICATION_INSIGHTS_CONNECTION_STRING = env_str("APPLICATION_INSIGHTS_CONNECTION_STRING", None)
OPENCENSUS_SAMPLING_RATE = env_float("OPENCENSUS_SAMPLING_RATE", 1.0)

# Prometheus (core/metrics.py): /metrics off by default; when on, only loopback or a
# bearer token may read it. app/gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR.
PROMETHEUS_ENABLED = env_bool("PROMETHEUS_ENABLED", False)
PROMETHEUS_ALLOWED_IPS = env_list("PROMETHEUS_ALLOWED_IPS", ["127.0.0.1", "::1"])
PROMETHEUS_AUTH_TOKEN = env_str("PROMETHEUS_AUTH_TOKEN", None)
try:
    PROMETHEUS_ALLOWED_NETWORKS = [ipaddress.ip_network(value, strict=False) for value in PROMETHEUS_ALLOWED_IPS]
except ValueError as _exc:
    raise ConfigurationError(
        "PROMETHEUS_ALLOWED_IPS", ",".join(PROMETHEUS_ALLOWED_IPS), "IP addresses or CIDR ranges"
    ) from _exc
if PROMETHEUS_ENABLED:
    MIDDLEWARE.insert(0, "core.metrics.PrometheusMiddleware")

# Telemetry (Flagsmith's ENABLE_TELEMETRY): counts sent once at start-up, only to a configured URL.
ENABLE_TELEMETRY = env_bool("ENABLE_TELEMETRY", True)
TELEMETRY_URL = env_str("TELEMETRY_URL", "")
TELEMETRY_TIMEOUT_SECONDS = env_float("TELEMETRY_TIMEOUT_SECONDS", 3.0)

SENTRY_SDK_DSN = env_str("SENTRY_SDK_DSN", None)
SENTRY_TRACE_SAMPLE_RATE = env_float("SENTRY_TRACE_SAMPLE_RATE", 1.0)
if SENTRY_SDK_DSN:
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_SDK_DSN, traces_sample_rate=SENTRY_TRACE_SAMPLE_RATE, environment=ENV)

try:
    BANDEROLE_PACKAGE_VERSIONS = {"django": package_version("django")}
except Exception:  # pragma: no cover - metadata missing only in odd installs
    BANDEROLE_PACKAGE_VERSIONS = {}
