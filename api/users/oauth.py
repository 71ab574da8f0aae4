"""Sign-in with GitHub: the code the dashboard got from GitHub in, a Banderole token out.

A small hand-written exchange with ``requests`` rather than a social-auth framework:
two calls to GitHub (code -> access token, token -> profile and emails), then the same
account and registration rules as email sign-up. The provider URLs are settings
(``GITHUB_OAUTH_TOKEN_URL``, ``GITHUB_API_URL``) so tests run against a local stand-in.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from django.conf import settings


class ProviderRefused(Exception):
    """The provider said no: a bad or expired code, or no usable email."""


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered nonsense."""


@dataclass(frozen=True)
class Profile:
    email: str
    first_name: str
    last_name: str


def github_configured() -> bool:
    return bool(settings.GITHUB_CLIENT_ID and settings.GITHUB_CLIENT_SECRET)


def _call(method: str, url: str, **kwargs: object) -> requests.Response:
    try:
        return requests.request(method, url, timeout=settings.OAUTH_PROVIDER_TIMEOUT_SECONDS, **kwargs)  # type: ignore[arg-type]
    except requests.RequestException as error:
        raise ProviderUnavailable(f"GitHub could not be reached ({type(error).__name__})") from error


def _json(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError as error:
        raise ProviderUnavailable(f"GitHub answered {response.status_code} without JSON") from error


def github_profile(code: str) -> Profile:
    """Exchange the OAuth code, then read the user's name and primary verified email."""
    exchanged = _call(
        "POST",
        settings.GITHUB_OAUTH_TOKEN_URL,
        data={"client_id": settings.GITHUB_CLIENT_ID, "client_secret": settings.GITHUB_CLIENT_SECRET, "code": code},
        headers={"Accept": "application/json"},
    )
    body = _json(exchanged)
    token = body.get("access_token") if isinstance(body, dict) else None
    if exchanged.status_code != 200 or not token:
        raise ProviderRefused("GitHub did not accept this code.")
    headers = {"Authorization": f"token {token}", "Accept": "application/vnd.github+json"}
    api = settings.GITHUB_API_URL.rstrip("/")
    user = _call("GET", f"{api}/user", headers=headers)
    emails = _call("GET", f"{api}/user/emails", headers=headers)
    if user.status_code != 200 or emails.status_code != 200:
        raise ProviderRefused("GitHub did not share the account's profile and emails.")
    user_body, email_list = _json(user), _json(emails)
    if not isinstance(user_body, dict) or not isinstance(email_list, list):
        raise ProviderUnavailable("GitHub answered an unexpected shape")
    # Only an address GitHub has verified may open (or create) a Banderole account.
    email = next(
        (
            item.get("email")
            for item in email_list
            if isinstance(item, dict) and item.get("primary") and item.get("verified")
        ),
        None,
    )
    if not email:
        raise ProviderRefused("The GitHub account has no verified primary email address.")
    first, _, last = (user_body.get("name") or user_body.get("login") or "").partition(" ")
    return Profile(email=email, first_name=first[:150], last_name=last[:150])
