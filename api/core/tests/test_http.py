"""The one conditional-request helper of the SDK API, the Unleash APIs and OFREP."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils.http import http_date

from core.http import body_etag, conditional_response

BODY = b'{"flags":[]}'
ETAG = body_etag(BODY)
MODIFIED = 1_700_000_000


def _answer(method: str = "get", last_modified: int | None = None, **headers: str):
    request = getattr(RequestFactory(), method)("/", **headers)
    return conditional_response(
        request, BODY, etag=ETAG, cache_control="private, no-cache", last_modified=last_modified, vary=["Authorization"]
    )


@pytest.mark.parametrize("sent", [ETAG, f"W/{ETAG}", f'"other", {ETAG}', "*"])
def test_conditional_response__if_none_match_holds_the_tag__empty_304_with_validators(sent):
    response = _answer(HTTP_IF_NONE_MATCH=sent)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == ETAG
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Vary"] == "Authorization"


def test_conditional_response__post_with_current_tag__304_not_412():
    # OFREP and the Unleash frontend API evaluate with POST; an unchanged answer is a 304.
    assert _answer("post", HTTP_IF_NONE_MATCH=ETAG).status_code == 304


@pytest.mark.parametrize("sent", ['"stale"', "", f'W/{ETAG[:-2]}"'])
def test_conditional_response__other_tag__200_with_body(sent):
    response = _answer(HTTP_IF_NONE_MATCH=sent)

    assert response.status_code == 200
    assert response.content == BODY
    assert response["Content-Type"] == "application/json"
    assert response["ETag"] == ETAG


def test_conditional_response__if_modified_since_current__304_with_last_modified():
    response = _answer(last_modified=MODIFIED, HTTP_IF_MODIFIED_SINCE=http_date(MODIFIED))

    assert response.status_code == 304
    assert response["Last-Modified"] == http_date(MODIFIED)


def test_conditional_response__stale_tag_and_current_date__tag_wins_200():
    response = _answer(last_modified=MODIFIED, HTTP_IF_NONE_MATCH='"stale"', HTTP_IF_MODIFIED_SINCE=http_date(MODIFIED))

    assert response.status_code == 200


def test_conditional_response__no_last_modified__if_modified_since_ignored():
    assert _answer(HTTP_IF_MODIFIED_SINCE=http_date(MODIFIED)).status_code == 200
