"""Sign-in to the Django admin with Google (``OAUTH_CLIENT_ID``, ``OAUTH_CLIENT_SECRET``).

The OAuth 2.0 authorization-code flow, hand-written with ``requests`` like GitHub's:
``/admin/oauth/google/login/`` sends the browser to Google with a random ``state`` kept
in the session; Google sends it back to ``/admin/oauth/google/callback/`` with a code,
which is exchanged for an access token, and the userinfo endpoint gives the email.
Only an existing, active **staff** account with that (verified) email is signed in;
no account is ever created here. The provider URLs are settings, so tests use a
local stand-in.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from users.models import User

logger = logging.getLogger("banderole.auth")

SESSION_STATE = "google_admin_oauth_state"
SESSION_NEXT = "google_admin_oauth_next"
CALLBACK_PATH = "/admin/oauth/google/callback/"


def google_configured() -> bool:
    return bool(settings.OAUTH_CLIENT_ID and settings.OAUTH_CLIENT_SECRET)


def _refused(message: str, status: int = 403) -> HttpResponse:
    return HttpResponse(
        f"<!doctype html><title>Google sign-in failed</title><h1>Google sign-in failed</h1><p>{escape(message)}</p>",
        status=status,
    )


def _redirect_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(CALLBACK_PATH)


@require_GET
def google_login(request: HttpRequest) -> HttpResponse:
    if not google_configured():
        return _refused("Google sign-in is not configured on this server.", status=404)
    state = secrets.token_urlsafe(32)
    request.session[SESSION_STATE] = state
    next_url = request.GET.get("next", "/admin/")
    safe = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    request.session[SESSION_NEXT] = next_url if safe else "/admin/"
    query = urlencode(
        {
            "client_id": settings.OAUTH_CLIENT_ID,
            "redirect_uri": _redirect_uri(request),
            "response_type": "code",
            "scope": "openid email",
            "state": state,
            "prompt": "select_account",
        }
    )
    return HttpResponseRedirect(f"{settings.GOOGLE_OAUTH_AUTH_URL}?{query}")


def _google_email(request: HttpRequest, code: str) -> str | None:
    """The verified email of the Google account, or None when Google says no."""
    timeout = settings.OAUTH_PROVIDER_TIMEOUT_SECONDS
    exchanged = requests.post(
        settings.GOOGLE_OAUTH_TOKEN_URL,
        data={
            "code": code,
            "client_id": settings.OAUTH_CLIENT_ID,
            "client_secret": settings.OAUTH_CLIENT_SECRET,
            "redirect_uri": _redirect_uri(request),
            "grant_type": "authorization_code",
        },
        headers={"Accept": "application/json"},
        timeout=timeout,
    )
    token = exchanged.json().get("access_token") if exchanged.status_code == 200 else None
    if not token:
        return None
    info = requests.get(
        settings.GOOGLE_OAUTH_USERINFO_URL, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
    )
    body = info.json() if info.status_code == 200 else {}
    if not body.get("email") or body.get("email_verified") not in (True, "true"):
        return None
    return str(body["email"])


@require_GET
def google_callback(request: HttpRequest) -> HttpResponse:
    if not google_configured():
        return _refused("Google sign-in is not configured on this server.", status=404)
    expected = request.session.pop(SESSION_STATE, None)
    next_url = request.session.pop(SESSION_NEXT, "/admin/")
    state = request.GET.get("state", "")
    if not expected or not secrets.compare_digest(expected, state):
        return _refused("The sign-in request expired or did not start here. Try again.", status=400)
    code = request.GET.get("code")
    if not code:
        return _refused(f"Google did not sign you in ({request.GET.get('error', 'no code')}).")
    try:
        email = _google_email(request, code)
    except (requests.RequestException, ValueError) as error:
        logger.warning("Google sign-in to the admin failed: %s", type(error).__name__)
        return _refused("Google could not be reached.", status=502)
    if email is None:
        return _refused("Google did not confirm a verified email address.")
    user = User.objects.filter(email__iexact=email, is_active=True, is_staff=True).first()
    if user is None:
        return _refused(f"{email} is not an active staff account on this server.")
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return HttpResponseRedirect(next_url)


ADMIN_PASSWORD_LOGIN_DISABLED = (
    "<!doctype html><title>Password login disabled</title>"
    "<h1>Password login to the admin is disabled</h1>"
    "<p>This server sets <code>ENABLE_ADMIN_ACCESS_USER_PASS=false</code>.</p>"
)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The Django admin's login view, refused when ``ENABLE_ADMIN_ACCESS_USER_PASS`` is false.

    With Google sign-in configured, the page links to it either way.
    """
    google_url = None
    if google_configured():
        google_url = "/admin/oauth/google/login/?" + urlencode({"next": request.GET.get("next", "/admin/")})
    if not settings.ENABLE_ADMIN_ACCESS_USER_PASS:
        link = f'<p><a id="google-login" href="{escape(google_url)}">Sign in with Google</a></p>' if google_url else ""
        return HttpResponse(ADMIN_PASSWORD_LOGIN_DISABLED + link, status=403)
    return admin.site.login(request, extra_context={"google_login_url": google_url})
