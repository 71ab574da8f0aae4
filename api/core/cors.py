"""SDK endpoints answer browsers on every origin, whatever ``CORS_ALLOWED_ORIGINS`` says.

Client-side SDKs run on customers' own sites, so the SDK API cannot be limited to the
dashboard's origin; only the admin API is, when ``CORS_ORIGIN_ALLOW_ALL=false``. The SDK
paths carry no cookies or admin tokens (environment keys only), so opening them
exposes nothing a client key does not already give. ``ETag`` is exposed (settings) so
browser SDKs that revalidate themselves (unleash-proxy-client, the OFREP web provider)
can read it.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest

SDK_PATHS = re.compile(
    r"^/api/v[0-9]+/(?:flags|identities|traits|environment-document|analytics/flags)/"
    r"|^/api/client/"  # Unleash SDKs
    r"|^/api/frontend(?:/|$)"  # Unleash's browser and mobile SDKs
    r"|^/ofrep/"  # OpenFeature's OFREP
    r"|^/(?:api/v[0-9]+/)?sse/"  # the realtime stream's redirect to the stream process
)


def sdk_path_open_to_every_origin(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    """django-cors-headers' ``check_request_enabled`` receiver: True allows the request's origin."""
    return bool(SDK_PATHS.match(request.path_info))
