"""A Content-Security-Policy on every HTML page: no inline script, scripts from this origin only."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/admin/login/", "/", "/projects/1/features"])
def test_html_pages__csp_header__scripts_from_self_only(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_swagger_ui__no_inline_script(client) -> None:
    page = client.get("/api/v1/docs/").content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert scripts
    for attributes, body in scripts:
        assert "src=" in attributes and not body.strip(), attributes
    # The start-up script the page loads is served by the same view, as a file.
    script_url = re.findall(r'<script src="([^"]*\?script=[^"]*)"', page)
    assert script_url
    script = client.get(script_url[0].replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


def test_json_responses__no_csp(client) -> None:
    response = client.get("/health/liveness/")
    assert "Content-Security-Policy" not in response


def test_csp__off__no_header(client, settings) -> None:
    settings.CONTENT_SECURITY_POLICY = ""
    assert "Content-Security-Policy" not in client.get("/admin/login/")
