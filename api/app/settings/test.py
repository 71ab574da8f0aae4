"""Settings for the test suite: fast hashing, in-memory mail, no lockout surprises."""

from __future__ import annotations

from app.settings.common import *

SECRET_KEY = "test-secret-key-that-is-long-enough-for-django-checks"
SECRET_KEY_WAS_GENERATED = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]}}
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests write inside a transaction that never commits, so after-commit version
# publication never runs: every request re-reads the version instead. Tests of the
# production behaviour override this.
ENVIRONMENT_VERSION_CHECK_SECONDS = 0.0
# Cleared before every test, which must not need the database.
CACHES = {
    **CACHES,
    "environment-documents": {**CACHES["environment-documents"], "BACKEND": LOCMEM_CACHE},
}
TASK_RUN_METHOD = "TASK_PROCESSOR"  # tests deliver explicitly (deliver_due) or opt into the runner
# SDK analytics are written as they arrive, so tests read them at once; the buffer has its own tests.
FEATURE_EVALUATION_CACHE_SECONDS = 0
FEATURE_VERSION_SCHEDULER_SECONDS = 0.0  # tests apply scheduled versions explicitly (versioning.services.apply_due)
