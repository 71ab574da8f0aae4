"""Bump environment versions for writes that bypass the services (Django admin, shell, scripts).

The services touch the versions themselves, in their batch (``environments.versions``),
and these receivers then do nothing; they make sure no other path can change what SDKs
see without a new document version. A redundant bump costs one UPDATE of a few rows. ``connect`` also
subscribes the store to ``environments.versions.published``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from documents import caching, store
from environments import versions
from environments.models import Environment, EnvironmentAPIKey
from environments.versions import mark_environments_changed
from features.models import (
    Feature,
    FeatureSegment,
    FeatureState,
    FeatureStateValue,
    MultivariateFeatureOption,
    MultivariateFeatureStateValue,
    Tag,
)
from identities.models import Identity, Trait
from organisations.models import Organisation
from projects.models import Project
from segments.models import Condition, Segment, SegmentRule


def _environment_of(instance: Any) -> None:
    mark_environments_changed(environment_ids=[instance.environment_id])


def _environment_of_state(instance: Any) -> None:
    # FeatureStateValue / MultivariateFeatureStateValue hang off a feature state; when
    # that state is being deleted too, its own receiver bumps the environment.
    environment_id = (
        FeatureState.objects.filter(pk=instance.feature_state_id).values_list("environment_id", flat=True).first()
    )
    if environment_id is not None:
        mark_environments_changed(environment_ids=[environment_id])


def _project_of(instance: Any) -> None:
    mark_environments_changed(project_id=instance.project_id)


def _receiver(handler):  # type: ignore[no-untyped-def]
    def receive(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
        # Inside a service's batch the service touches what it changes: nothing to do here.
        if not raw and not versions.in_batch():
            handler(instance)

    return receive


def _bump_own_version(sender: Any, instance: Environment, raw: bool = False, **kwargs: Any) -> None:
    """Any saved change to an environment's settings is a new document version."""
    if raw or versions.in_batch():
        return
    mark_environments_changed(environment_ids=[instance.pk])
    instance.updated_at = Environment.objects.values_list("updated_at", flat=True).get(pk=instance.pk)


_handlers: list[Any] = []


def connect() -> None:
    def segment_of(instance: Any) -> None:
        project_id = Segment.objects.filter(pk=instance.segment_id).values_list("project_id", flat=True).first()
        if project_id is not None:
            mark_environments_changed(project_id=project_id)

    def rule_of(instance: Any) -> None:
        project_id = (
            SegmentRule.objects.filter(pk=instance.rule_id).values_list("segment__project_id", flat=True).first()
        )
        if project_id is not None:
            mark_environments_changed(project_id=project_id)

    def feature_of(instance: Any) -> None:
        project_id = Feature.objects.filter(pk=instance.feature_id).values_list("project_id", flat=True).first()
        if project_id is not None:
            mark_environments_changed(project_id=project_id)

    handlers = {
        Feature: _project_of,
        Segment: _project_of,
        SegmentRule: segment_of,
        Condition: rule_of,
        FeatureState: _environment_of,
        FeatureSegment: _environment_of,
        FeatureStateValue: _environment_of_state,
        MultivariateFeatureStateValue: _environment_of_state,
        MultivariateFeatureOption: feature_of,
        Project: lambda project: mark_environments_changed(project_id=project.pk),
        Organisation: lambda organisation: mark_environments_changed(organisation_id=organisation.pk),
    }
    for model, handler in handlers.items():
        receive = _receiver(handler)
        _handlers.append(receive)  # signals hold weak references
        post_save.connect(receive, sender=model, dispatch_uid=f"bump-{model._meta.label}-save")
        post_delete.connect(receive, sender=model, dispatch_uid=f"bump-{model._meta.label}-delete")
    post_save.connect(_bump_own_version, sender=Environment, dispatch_uid="bump-environment-own")
    post_delete.connect(_environment_deleted, sender=Environment, dispatch_uid="environment-deleted")
    # Creating, revoking, expiring or deleting a server-side key changes who the document opens to.
    server_key_changed = _receiver(_environment_of)
    _handlers.append(server_key_changed)
    post_save.connect(server_key_changed, sender=EnvironmentAPIKey, dispatch_uid="bump-server-key-save")
    post_delete.connect(server_key_changed, sender=EnvironmentAPIKey, dispatch_uid="bump-server-key-delete")

    post_save.connect(_identity_changed, sender=Identity, dispatch_uid="identity-saved")
    post_delete.connect(_identity_changed, sender=Identity, dispatch_uid="identity-deleted")
    post_save.connect(_trait_changed, sender=Trait, dispatch_uid="trait-saved")
    post_delete.connect(_trait_changed, sender=Trait, dispatch_uid="trait-deleted")
    # Tags are part of what ``/api/client/features?tag=`` returns. Adding or removing a
    # feature's tags goes through ``features.services``; renaming or deleting a tag does not.
    tag_changed = _receiver(_project_of)
    _handlers.append(tag_changed)
    post_save.connect(tag_changed, sender=Tag, dispatch_uid="unleash-tag-saved")
    post_delete.connect(tag_changed, sender=Tag, dispatch_uid="unleash-tag-deleted")
    versions.published.connect(_versions_published, dispatch_uid="documents-publish")


def _environment_deleted(sender: Any, instance: Environment, **kwargs: Any) -> None:
    # Published like a new version: caches forget it, and its open streams end (realtime).
    transaction.on_commit(partial(versions.published.send, sender=None, environment_ids=[instance.pk]))


def _versions_published(sender: Any, environment_ids: list[int], **kwargs: Any) -> None:
    store.publish(environment_ids)


# Both only matter to the GET /identities/ response cache and to identity reads on replicas;
# with neither (the default), they cost nothing.
def _identity_changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw and caching.identity_writes_matter():
        transaction.on_commit(partial(caching.identities_changed, instance.environment_id, [instance.identifier]))


def _trait_changed(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or not caching.identity_writes_matter():
        return
    identity = Identity.objects.filter(pk=instance.identity_id).values_list("environment_id", "identifier").first()
    if identity is not None:
        transaction.on_commit(partial(caching.identities_changed, identity[0], [identity[1]]))
