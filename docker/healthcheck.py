#!/usr/bin/env python
"""Container health probe: GET a health path from this container's gunicorn (or stream process).

Usage: healthcheck.py [PATH]   (default /health/liveness/; exit 0 when it answers 200)

The Dockerfile HEALTHCHECK uses it for liveness and docker-compose.yml for readiness.
Standard library only, because the slim image has no curl. The request carries a Host
Django accepts and the proxy's HTTPS marker, so a deployment with a strict
DJANGO_ALLOWED_HOSTS or DJANGO_SECURE_SSL_REDIRECT=true still reports healthy instead of
failing on a 400 or following a redirect to an HTTPS port nobody listens on.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _headers() -> dict[str, str]:
    headers = {"User-Agent": "banderole-healthcheck"}
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(","):
        host = host.strip()
        if host and host != "*":
            # ".example.com" is Django's wildcard for example.com and its subdomains.
            headers["Host"] = host.lstrip(".")
            break
    name = os.environ.get("SECURE_PROXY_SSL_HEADER_NAME", "").strip() or "HTTP_X_FORWARDED_PROTO"
    value = os.environ.get("SECURE_PROXY_SSL_HEADER_VALUE", "").strip() or "https"
    headers[name.removeprefix("HTTP_").replace("_", "-").title()] = value
    return headers


def _ports() -> list[str]:
    """gunicorn's port, then the stream process's: a container runs one or the other (entrypoint verbs)."""
    return [
        os.environ.get("PORT", "").strip() or "8000",
        os.environ.get("REALTIME_PORT", "").strip() or "8001",
    ]


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/health/liveness/"
    opener = urllib.request.build_opener(_NoRedirect)
    for port in _ports():
        url = f"http://127.0.0.1:{port}{path}"
        try:
            with opener.open(urllib.request.Request(url, headers=_headers()), timeout=5) as response:
                status = response.status
            break
        except urllib.error.HTTPError as exc:
            status = exc.code
            break
        except (urllib.error.URLError, OSError) as exc:
            error = f"{url}: {exc}"
    else:
        print(error, file=sys.stderr)
        return 1
    if status != 200:
        print(f"{url}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
