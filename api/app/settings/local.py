"""Settings for a developer's machine: the default of ``manage.py``."""

from __future__ import annotations

from app.settings.common import *
from app.settings.common import BASE_DIR, SECRET_KEY_WAS_GENERATED, env_bool

DEBUG = env_bool("DEBUG", True)

if SECRET_KEY_WAS_GENERATED:
    # Keep one generated key across restarts on a developer machine so the
    # admin session survives runserver's reloads; never shared, never committed.
    _key_file = BASE_DIR / ".django_secret_key"
    if not _key_file.exists():
        _key_file.write_text(SECRET_KEY)
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()
    SECRET_KEY_WAS_GENERATED = False
