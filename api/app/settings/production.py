"""Settings for Docker, Procfile and Elastic Beanstalk deployments.

Refuses two set-ups that look fine on day one and lose data or sessions later:
a generated secret key (each instance would sign with its own) and the SQLite
default (platform disks are ephemeral). Each can be allowed explicitly.
"""

from __future__ import annotations

from app.envvars import ConfigurationError
from app.settings.common import *
from app.settings.common import (
    EMAIL_BACKEND,
    SECRET_KEY_WAS_GENERATED,
    SECURE_SSL_REDIRECT,
    USING_SQLITE_DEFAULT,
    env_bool,
    env_int,
)

DEBUG = env_bool("DEBUG", False)

if SECRET_KEY_WAS_GENERATED and not env_bool("ALLOW_GENERATED_SECRET_KEY", False):
    raise ConfigurationError(
        "DJANGO_SECRET_KEY",
        "",
        "a shared secret key in production (or ALLOW_GENERATED_SECRET_KEY=true)",
    )
if USING_SQLITE_DEFAULT and not env_bool("ALLOW_SQLITE_IN_PRODUCTION", False):
    raise ConfigurationError(
        "DATABASE_URL",
        "",
        "a PostgreSQL database in production (or ALLOW_SQLITE_IN_PRODUCTION=true)",
    )

REST_FRAMEWORK["PAGE_SIZE"] = env_int("PAGE_SIZE", 999)
# Secure by default in production; always when DJANGO_SECURE_SSL_REDIRECT is on.
SESSION_COOKIE_SECURE = env_bool("USE_SECURE_COOKIES", True) or SECURE_SSL_REDIRECT
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Mail printed to the console lands in the server log, password-reset links included:
# app.wsgi says so at start-up (app.settings.common.warn_about_console_email).
CONSOLE_EMAIL_IN_PRODUCTION = EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend"
