"""Admin API throttles: signed-in users and organisation API keys each have their own rate.

``USER_THROTTLE_RATE`` and ``MASTER_API_KEY_THROTTLE_RATE`` (e.g. ``500/min``); unset
means unthrottled. Each throttle ignores the other kind of caller, so a busy
Terraform run cannot use up a person's allowance, or the reverse.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from core import throttling
from organisations.authentication import is_api_key_user


class UserRateThrottle(throttling.UserRateThrottle):
    scope = "user"

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None or is_api_key_user(request.user):
            return True
        return super().allow_request(request, view)


class MasterAPIKeyRateThrottle(throttling.SimpleRateThrottle):
    scope = "master_api_key"

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None or not is_api_key_user(request.user):
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.user.key.prefix}
