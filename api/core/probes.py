"""Answers for the parts of Flagsmith that Banderole does not have but Flagsmith's
dashboard asks about on its ordinary pages: integrations, imports and exports of
features, feature health, metadata fields. Each says "none", in Flagsmith's shape, so
the dashboard shows an empty list instead of an error (docs/compatibility.md).
"""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

EMPTY_PAGE = {"count": 0, "next": None, "previous": None, "results": []}

EmptyPageSerializer = inline_serializer(
    name="EmptyPage",
    fields={
        "count": serializers.IntegerField(),
        "next": serializers.CharField(allow_null=True),
        "previous": serializers.CharField(allow_null=True),
        "results": serializers.ListField(child=serializers.DictField()),
    },
)
# A list of objects, always empty here.
EmptyListSerializer = inline_serializer(name="NoItem", fields={}, many=True)

# Integration kinds are a path segment: lower-case words joined by hyphens (new-relic).
INTEGRATION_PATH = r"integrations/(?P<integration>[a-z0-9]+(?:-[a-z0-9]+)*)"


def empty_page() -> Response:
    """A page of a paginated Flagsmith list with nothing in it."""
    return Response(dict(EMPTY_PAGE))


def empty_list() -> Response:
    """An unpaginated Flagsmith list with nothing in it."""
    return Response([])
