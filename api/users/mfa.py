"""Two-factor sign-in with an authenticator app (TOTP), with Flagsmith's flow and messages.

1. ``auth/app/activate/`` makes an inactive method with a new secret and shows it (and
   its ``otpauth://`` URI for a QR code);
2. ``auth/app/activate/confirm/`` with a first code activates it and returns the backup
   codes, shown once;
3. from then on ``auth/login/`` answers ``{"ephemeral_token", "method"}`` instead of a
   token, and ``auth/login/code/`` exchanges that and a code (or a backup code) for one.

Codes are checked one 30-second step either side of now, and each is good once. The
ephemeral token is signed, lasts ``MFA_EPHEMERAL_TOKEN_SECONDS`` and dies when the
sign-in completes (it covers ``last_login``), the password changes, or the method does.
"""

from __future__ import annotations

import hmac
import secrets
import string
import time

import pyotp
from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.db import transaction
from django.utils.crypto import salted_hmac

from users.models import MFAMethod, User

EPHEMERAL_TOKEN_SALT = "users.mfa.ephemeral-token"
BACKUP_CODE_SALT = "users.mfa.backup-code"
BACKUP_CODE_ALPHABET = string.ascii_letters + string.digits
# A code is accepted from the step before now to the step after (clock drift of a phone).
VALID_WINDOW = 1
FAILURES_CACHE = "throttles"


class MFAError(Exception):
    """A refusal, with Flagsmith's wording."""

    message = ""

    def __str__(self) -> str:
        return self.message


class MethodDoesNotExist(MFAError):
    message = "Requested MFA method does not exist."


class MethodAlreadyActive(MFAError):
    message = "MFA method already active."


class NotEnabled(MFAError):
    message = "2FA is not enabled."


class CodeInvalidOrExpired(MFAError):
    message = "Code invalid or expired."


class InvalidToken(MFAError):
    message = "Invalid or expired token."


class InvalidCode(MFAError):
    message = "Invalid or expired code."


class TooManyFailures(MFAError):
    message = "Too many wrong codes. Sign in with your password again later."


def active_method(user: User) -> MFAMethod | None:
    return MFAMethod.objects.filter(user=user, is_active=True, is_primary=True).first()


def active_methods(user: User) -> list[MFAMethod]:
    return list(MFAMethod.objects.filter(user=user, is_active=True))


def provisioning_uri(method: MFAMethod) -> str:
    """The ``otpauth://totp/…`` URI an authenticator app reads from a QR code."""
    return pyotp.TOTP(method.secret).provisioning_uri(name=method.user.email, issuer_name=settings.MFA_ISSUER_NAME)


def start_activation(user: User) -> MFAMethod:
    """An inactive app method with a new secret (a restarted enrolment gets a new one too)."""
    with transaction.atomic():
        method, created = MFAMethod.objects.select_for_update().get_or_create(
            user=user, name=MFAMethod.APP, defaults={"secret": pyotp.random_base32(length=32)}
        )
        if method.is_active:
            raise MethodAlreadyActive
        if not created:
            method.secret = pyotp.random_base32(length=32)
            method.last_used_step = 0
            method.save(update_fields=["secret", "last_used_step", "updated_at"])
    return method


def confirm_activation(user: User, code: str) -> list[str]:
    """Activate the user's pending app method with a first code; the new backup codes, in clear, once."""
    with transaction.atomic():
        method = MFAMethod.objects.select_for_update().filter(user=user, name=MFAMethod.APP).first()
        if method is None:
            raise MethodDoesNotExist
        if method.is_active:
            raise MethodAlreadyActive
        step = _matching_step(method, code)
        if step is None:
            raise CodeInvalidOrExpired
        codes = _new_backup_codes()
        method.is_active = True
        method.is_primary = not MFAMethod.objects.filter(user=user, is_primary=True).exclude(pk=method.pk).exists()
        method.last_used_step = step
        method.backup_codes = [_backup_code_hash(code) for code in codes]
        method.save()
    return codes


def deactivate(user: User, name: str) -> None:
    with transaction.atomic():
        method = MFAMethod.objects.select_for_update().filter(user=user, name=name).first()
        if method is None:
            raise MethodDoesNotExist
        if not method.is_active:
            raise NotEnabled
        # Deleted rather than flagged: a later enrolment starts from a new secret.
        method.delete()


def make_ephemeral_token(user: User) -> str:
    """What ``auth/login/`` answers after the password, for ``auth/login/code/``."""
    return signing.dumps({"u": user.pk, "s": _sign_in_state(user)}, salt=EPHEMERAL_TOKEN_SALT)


def authenticate_second_factor(ephemeral_token: str, code: str) -> User:
    """The user whose sign-in the token continues, if ``code`` is a current code or an unused backup code."""
    try:
        payload = signing.loads(
            ephemeral_token, salt=EPHEMERAL_TOKEN_SALT, max_age=settings.MFA_EPHEMERAL_TOKEN_SECONDS
        )
        user = User.objects.get(pk=payload["u"], is_active=True)
    except (signing.BadSignature, KeyError, TypeError, User.DoesNotExist):
        raise InvalidToken from None
    if not hmac.compare_digest(str(payload.get("s", "")), _sign_in_state(user)):
        raise InvalidToken
    failures_key = f"mfa-failures:{user.pk}"
    failures = caches[FAILURES_CACHE]
    if (failures.get(failures_key) or 0) >= settings.MFA_CODE_FAILURE_LIMIT:
        raise TooManyFailures
    if not _accept_code(user, code):
        # Counted per account, so that spreading guesses over many addresses gains nothing.
        failures.add(failures_key, 0, timeout=settings.MFA_EPHEMERAL_TOKEN_SECONDS)
        try:
            failures.incr(failures_key)
        except ValueError:
            failures.set(failures_key, 1, timeout=settings.MFA_EPHEMERAL_TOKEN_SECONDS)
        raise InvalidCode
    failures.delete(failures_key)
    return user


def _sign_in_state(user: User) -> str:
    """Changes when the user signs in, changes password, or changes their second factor."""
    method = active_method(user)
    value = f"{user.password}|{user.last_login}|{method.secret if method else ''}"
    return salted_hmac(EPHEMERAL_TOKEN_SALT, value, algorithm="sha256").hexdigest()[:32]


def _normalised(code: str) -> str:
    return "".join(code.split())


def _matching_step(method: MFAMethod, code: str) -> int | None:
    """The time step ``code`` belongs to (within the window), if it is a current TOTP code."""
    code = _normalised(code)
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(method.secret)
    now = time.time()
    current = totp.timecode(now)
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(current + offset), code):
            return current + offset
    return None


def _accept_code(user: User, code: str) -> bool:
    """Accept a TOTP code not used before, or use up a backup code."""
    with transaction.atomic():
        method = MFAMethod.objects.select_for_update().filter(user=user, is_active=True, is_primary=True).first()
        if method is None:
            return False
        step = _matching_step(method, code)
        if step is not None:
            if step <= method.last_used_step:
                return False  # replayed
            method.last_used_step = step
            method.save(update_fields=["last_used_step", "updated_at"])
            return True
        digest = _backup_code_hash(_normalised(code))
        remaining = [stored for stored in method.backup_codes if not hmac.compare_digest(stored, digest)]
        if len(remaining) == len(method.backup_codes):
            return False
        method.backup_codes = remaining
        method.save(update_fields=["backup_codes", "updated_at"])
        return True


def _new_backup_codes() -> list[str]:
    return [
        "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(settings.MFA_BACKUP_CODE_LENGTH))
        for _ in range(settings.MFA_BACKUP_CODE_COUNT)
    ]


def _backup_code_hash(code: str) -> str:
    # Codes are random (60 bits each), so a keyed hash suffices; a database leak alone
    # does not let anyone test guesses without SECRET_KEY.
    return salted_hmac(BACKUP_CODE_SALT, code, algorithm="sha256").hexdigest()
