"""Tags are part of what ``/api/client/features?tag=`` returns, so a tag change is a new version.

Adding or removing a feature's tags already goes through ``features.services``,
which bumps the environments; renaming or deleting a tag does not, so this does.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from environments.services import mark_environments_changed


def _tag_changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        mark_environments_changed(project_id=instance.project_id)


def connect() -> None:
    from features.models import Tag

    post_save.connect(_tag_changed, sender=Tag, dispatch_uid="unleash-tag-saved")
    post_delete.connect(_tag_changed, sender=Tag, dispatch_uid="unleash-tag-deleted")
