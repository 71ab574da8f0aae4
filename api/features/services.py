"""Writes that touch more than one row: features with their states, options, state updates.

Every write here runs in a ``versions.batch()`` and touches the environments whose
SDK view it changes: one version bump per environment per transaction, committed or
rolled back with the change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.audit import AuditAction, record, snapshot
from core.exceptions import ChangeRequestRequired, DirectFeatureStateWriteNotAllowed
from environments import versions
from environments.models import Environment
from features.models import (
    MAX_32_BIT_INTEGER,
    MIN_32_BIT_INTEGER,
    Feature,
    FeatureSegment,
    FeatureState,
    FeatureStateValue,
    FeatureType,
    FeatureValueType,
    MultivariateFeatureOption,
    MultivariateFeatureStateValue,
    Tag,
)
from organisations.models import UserOrganisation, UserPermissionGroup
from projects.models import Project

_INTEGER_STRING = re.compile(r"^-?[0-9]+$")


def typed_value_fields(value_type: str, value: Any) -> dict[str, Any]:
    """Column values for a value of a known type: the type plus its one column."""
    fields: dict[str, Any] = {"type": value_type, "string_value": None, "integer_value": None, "boolean_value": None}
    column = {
        FeatureValueType.INTEGER: "integer_value",
        FeatureValueType.BOOLEAN: "boolean_value",
    }.get(value_type, "string_value")
    fields[column] = value
    return fields


def infer_typed_value(value: str | None) -> dict[str, Any]:
    """Column values for a string whose type is guessed as Flagsmith guesses it.

    Digits that fit in 32 bits are an integer, "true"/"false" (any case) a
    boolean, anything else a string.
    """
    if value is None:
        return typed_value_fields(FeatureValueType.STRING, None)
    if _INTEGER_STRING.match(value) and MIN_32_BIT_INTEGER <= int(value) <= MAX_32_BIT_INTEGER:
        return typed_value_fields(FeatureValueType.INTEGER, int(value))
    if value.lower() in ("true", "false"):
        return typed_value_fields(FeatureValueType.BOOLEAN, value.lower() == "true")
    return typed_value_fields(FeatureValueType.STRING, value)


def json_typed_value(value: Any) -> dict[str, Any]:
    """Column values for a JSON value sent by a client: its JSON type is kept.

    The caller has validated it (bool, int in 32 bits, str, or None).
    """
    # bool first: in Python a bool is also an int.
    if isinstance(value, bool):
        return typed_value_fields(FeatureValueType.BOOLEAN, value)
    if isinstance(value, int):
        return typed_value_fields(FeatureValueType.INTEGER, value)
    return typed_value_fields(FeatureValueType.STRING, value)


def feature_snapshot(feature: Feature) -> dict[str, Any]:
    return snapshot(
        feature,
        {
            "tags": sorted(feature.tags.values_list("id", flat=True)),
            "owners": sorted(feature.owners.values_list("id", flat=True)),
            "group_owners": sorted(feature.group_owners.values_list("id", flat=True)),
        },
    )


def feature_state_snapshot(feature_state: FeatureState) -> dict[str, Any]:
    """A feature state with its value and variant shares, for audit diffs."""
    value = FeatureStateValue.objects.filter(feature_state=feature_state).first()
    shares = MultivariateFeatureStateValue.objects.filter(feature_state=feature_state).order_by(
        "multivariate_feature_option_id"
    )
    return snapshot(
        feature_state,
        {
            "feature_state_value": value.value if value is not None else None,
            "multivariate_feature_state_values": {
                str(share.multivariate_feature_option_id): share.percentage_allocation for share in shares
            },
        },
    )


def refuse_versioned_write(environment: Environment) -> None:
    """Flags of an environment that requires approvals change through change requests only; with
    v2 feature versioning, through versions only (versioning app), as in Flagsmith."""
    if environment.minimum_change_request_approvals is not None:
        raise ChangeRequestRequired(environment.api_key)
    if environment.use_v2_feature_versioning:
        raise DirectFeatureStateWriteNotAllowed()


def _refuse_versioned_write_by_id(environment_id: int) -> None:
    row = (
        Environment.objects.filter(pk=environment_id)
        .values_list("api_key", "minimum_change_request_approvals", "use_v2_feature_versioning")
        .first()
    )
    if row is not None:
        api_key, approvals, versioned = row
        if approvals is not None:
            raise ChangeRequestRequired(api_key)
        if versioned:
            raise DirectFeatureStateWriteNotAllowed()


def _touch_environments(environment_ids: Iterable[int]) -> None:
    versions.touch(environment_ids)


def copy_feature_states(
    originals: list[FeatureState], placement: Callable[[FeatureState], dict[str, Any]]
) -> list[FeatureState]:
    """Bulk copies of feature states with their values and variant shares, in four queries.

    ``placement(original)`` gives each copy's environment and override fields
    (``environment``, ``feature_segment_id``, ``identity``…). The caller holds the transaction.
    """
    copies = FeatureState.objects.bulk_create(
        [
            FeatureState(feature_id=original.feature_id, enabled=original.enabled, **placement(original))
            for original in originals
        ]
    )
    copy_ids = {original.pk: copy.pk for original, copy in zip(originals, copies, strict=True)}
    values = {
        value.feature_state_id: value for value in FeatureStateValue.objects.filter(feature_state_id__in=list(copy_ids))
    }
    FeatureStateValue.objects.bulk_create(
        [
            FeatureStateValue(
                feature_state_id=copy_id,
                **(
                    typed_value_fields(values[original_id].type, values[original_id].value)
                    if original_id in values
                    else json_typed_value(None)
                ),
            )
            for original_id, copy_id in copy_ids.items()
        ]
    )
    MultivariateFeatureStateValue.objects.bulk_create(
        [
            MultivariateFeatureStateValue(
                feature_state_id=copy_ids[share.feature_state_id],
                multivariate_feature_option_id=share.multivariate_feature_option_id,
                percentage_allocation=share.percentage_allocation,
            )
            for share in MultivariateFeatureStateValue.objects.filter(feature_state_id__in=list(copy_ids)).order_by(
                "id"
            )
        ]
    )
    return copies


def _initial_state_defaults(feature: Feature, project: Project) -> tuple[bool, dict[str, Any]]:
    """The enabled flag and value columns a new environment default starts with.

    As in Flagsmith, a project with ``prevent_flag_defaults`` starts every
    environment disabled and without a value, whatever the feature says.
    """
    if project.prevent_flag_defaults:
        return False, infer_typed_value(None)
    return feature.default_enabled, infer_typed_value(feature.initial_value)


def _create_states(
    features_and_environments: list[tuple[Feature, Environment]], project: Project
) -> list[FeatureState]:
    """Environment defaults, their values and their variant shares, in three bulk inserts."""
    states = FeatureState.objects.bulk_create(
        [
            FeatureState(feature=feature, environment=environment, enabled=_initial_state_defaults(feature, project)[0])
            for feature, environment in features_and_environments
        ]
    )
    FeatureStateValue.objects.bulk_create(
        [
            FeatureStateValue(feature_state=state, **_initial_state_defaults(state.feature, project)[1])
            for state in states
        ]
    )
    options_by_feature: dict[int, list[MultivariateFeatureOption]] = {}
    for option in MultivariateFeatureOption.objects.filter(
        feature_id__in={state.feature_id for state in states}
    ).order_by("id"):
        options_by_feature.setdefault(option.feature_id, []).append(option)
    MultivariateFeatureStateValue.objects.bulk_create(
        [
            MultivariateFeatureStateValue(
                feature_state=state,
                multivariate_feature_option=option,
                percentage_allocation=option.default_percentage_allocation,
            )
            for state in states
            for option in options_by_feature.get(state.feature_id, [])
        ]
    )
    return states


def create_feature(project: Project, data: dict[str, Any], user: Any) -> Feature:
    """Create a feature, its variants and its default state in every environment of the project.

    ``data`` is validated model fields plus an optional ``multivariate_options``
    list of validated option fields, and optional ``owners`` (users) and
    ``group_owners`` (groups) of the project's organisation.
    """
    data = dict(data)
    options_data = data.pop("multivariate_options", None) or []
    tags = data.pop("tags", None)
    owners = data.pop("owners", None) or []
    group_owners = data.pop("group_owners", None) or []
    if options_data:
        data["type"] = FeatureType.MULTIVARIATE
    try:
        with versions.batch():
            # Lock the project row: concurrent creations in one project queue here,
            # so the limit and the name check see a settled set of features.
            project = Project.objects.select_for_update().get(pk=project.pk)
            if Feature.objects.filter(project=project).count() >= project.max_features_allowed:
                raise ValidationError(f"The project has reached its limit of {project.max_features_allowed} features.")
            feature = Feature.objects.create(project=project, **data)
            if tags:
                feature.tags.set(tags)
            feature.owners.set(owners)
            feature.group_owners.set(group_owners)
            MultivariateFeatureOption.objects.bulk_create(
                [MultivariateFeatureOption(feature=feature, **option) for option in options_data]
            )
            environments = list(project.environments.all())
            _create_states([(feature, environment) for environment in environments], project)
            _touch_environments(environment.id for environment in environments)
            record(actor=user, action=AuditAction.CREATE, instance=feature, after=feature_snapshot(feature))
    except IntegrityError as exc:
        # The serializer checks the name first; this is the race it cannot see.
        raise ValidationError({"name": ["A feature with this name already exists in the project."]}) from exc
    return feature


def create_feature_states_for_feature(feature: Feature) -> list[FeatureState]:
    """Default states for a feature saved elsewhere (the Django admin), in every environment."""
    with versions.batch():
        environments = feature.project.environments.exclude(feature_states__feature=feature)
        states = _create_states([(feature, environment) for environment in environments], feature.project)
        _touch_environments(state.environment_id for state in states)
    return states


def create_feature_states_for_environment(environment: Environment) -> list[FeatureState]:
    """Give a new environment a default state for every feature of its project."""
    with transaction.atomic():
        features = Feature.objects.filter(project_id=environment.project_id).exclude(
            feature_states__environment=environment
        )
        project = environment.project
        return _create_states([(feature, environment) for feature in features], project)


def environment_created(sender: Any, environment: Environment, **kwargs: Any) -> None:
    """``environments.signals.environment_created``: a default state for every feature."""
    create_feature_states_for_environment(environment)


def environment_cloned(sender: Any, source: Environment, clone: Environment, **kwargs: Any) -> None:
    """``environments.signals.environment_cloned``: every segment override and environment default of ``source``.

    Same priorities, with their states (enabled, value, variant shares); identity
    overrides stay with ``source``.
    """
    source_segments = list(FeatureSegment.objects.filter(environment=source).order_by("id"))
    clone_segments = FeatureSegment.objects.bulk_create(
        [
            FeatureSegment(
                feature_id=feature_segment.feature_id,
                segment_id=feature_segment.segment_id,
                environment=clone,
                priority=feature_segment.priority,
            )
            for feature_segment in source_segments
        ]
    )
    clone_segment_ids = {
        source_segment.pk: clone_segment.pk
        for source_segment, clone_segment in zip(source_segments, clone_segments, strict=True)
    }
    copy_feature_states(
        list(FeatureState.objects.filter(environment=source, identity__isnull=True).order_by("id")),
        lambda state: {"environment": clone, "feature_segment_id": clone_segment_ids.get(state.feature_segment_id)},
    )


def check_default_allocations(feature: Feature, allocation: float, exclude_option_id: int | None = None) -> None:
    """Refuse variants whose default shares would add up to more than 100%."""
    others = MultivariateFeatureOption.objects.filter(feature=feature).exclude(pk=exclude_option_id)
    total = sum(others.values_list("default_percentage_allocation", flat=True)) + allocation
    if total > 100:
        raise ValidationError(
            {"default_percentage_allocation": [f"The variants' default allocations add up to {total:g}%, over 100%."]}
        )


def create_multivariate_option(feature: Feature, data: dict[str, Any], user: Any) -> MultivariateFeatureOption:
    """Add a variant to a feature and give it its default share in every environment default."""
    with versions.batch():
        # Lock the feature: two concurrent variants must not both fit under 100%.
        feature = Feature.objects.select_for_update().get(pk=feature.pk)
        check_default_allocations(feature, data.get("default_percentage_allocation", 100))
        option = MultivariateFeatureOption.objects.create(feature=feature, **data)
        if feature.type != FeatureType.MULTIVARIATE:
            feature.type = FeatureType.MULTIVARIATE
            feature.save(update_fields=["type"])
        states = list(FeatureState.objects.filter(feature=feature, identity__isnull=True))
        MultivariateFeatureStateValue.objects.bulk_create(
            [
                MultivariateFeatureStateValue(
                    feature_state=state,
                    multivariate_feature_option=option,
                    percentage_allocation=option.default_percentage_allocation,
                )
                for state in states
            ]
        )
        touch_feature_environments(feature)
        record(actor=user, action=AuditAction.CREATE, instance=option)
    return option


def update_multivariate_option(
    option: MultivariateFeatureOption, data: dict[str, Any], user: Any
) -> MultivariateFeatureOption:
    """Change a variant's value or default share (existing states keep their shares)."""
    with versions.batch():
        feature = Feature.objects.select_for_update().get(pk=option.feature_id)
        if "default_percentage_allocation" in data:
            check_default_allocations(feature, data["default_percentage_allocation"], exclude_option_id=option.pk)
        before = snapshot(option)
        for field, value in data.items():
            setattr(option, field, value)
        option.save()
        touch_feature_environments(feature)
        record(actor=user, action=AuditAction.UPDATE, instance=option, before=before)
    return option


def delete_multivariate_option(option: MultivariateFeatureOption, user: Any) -> None:
    with versions.batch():
        touch_feature_environments(option.feature)
        record(actor=user, action=AuditAction.DELETE, instance=option, before=snapshot(option))
        option.delete()


def update_feature(feature: Feature, data: dict[str, Any], user: Any) -> Feature:
    """Change a feature's own fields and tags; its states are left as they are."""
    data = dict(data)
    tags = data.pop("tags", None)
    with versions.batch():
        before = feature_snapshot(feature)
        if tags is not None:
            feature.tags.set(tags)
        for field, value in data.items():
            setattr(feature, field, value)
        try:
            with transaction.atomic():
                feature.save()
        except IntegrityError as exc:
            raise ValidationError({"name": ["A feature with this name already exists in the project."]}) from exc
        touch_feature_environments(feature)
        record(actor=user, action=AuditAction.UPDATE, instance=feature, before=before, after=feature_snapshot(feature))
    return feature


def delete_feature(feature: Feature, user: Any) -> None:
    """Delete a feature with its states and variants (a hard delete, unlike Flagsmith's soft one)."""
    with versions.batch():
        touch_feature_environments(feature)
        record(actor=user, action=AuditAction.DELETE, instance=feature, before=feature_snapshot(feature))
        feature.delete()


def touch_feature_environments(feature: Feature) -> None:
    """A change to a feature or its variants alters what every environment of its project sees."""
    versions.touch(project_id=feature.project_id)


def update_feature_state(feature_state: FeatureState, data: dict[str, Any], user: Any) -> FeatureState:
    """Change an environment default: enabled, value and, when given, the whole set of variant shares.

    ``data`` may hold ``enabled``, ``feature_state_value`` (a validated JSON
    value) and ``multivariate_feature_state_values`` (a list of
    ``{multivariate_feature_option, percentage_allocation}``); absent keys are
    left alone.
    """
    if feature_state.identity_id is None:
        _refuse_versioned_write_by_id(feature_state.environment_id)
    with versions.batch():
        before = feature_state_snapshot(feature_state)
        if "enabled" in data:
            feature_state.enabled = data["enabled"]
        # Always saved, so updated_at records the change.
        feature_state.save()
        if "feature_state_value" in data:
            FeatureStateValue.objects.update_or_create(
                feature_state=feature_state, defaults=json_typed_value(data["feature_state_value"])
            )
        if "multivariate_feature_state_values" in data:
            shares = data["multivariate_feature_state_values"]
            kept = []
            for share in shares:
                mv_value, _ = MultivariateFeatureStateValue.objects.update_or_create(
                    feature_state=feature_state,
                    multivariate_feature_option=share["multivariate_feature_option"],
                    defaults={"percentage_allocation": share["percentage_allocation"]},
                )
                kept.append(mv_value.pk)
            feature_state.multivariate_feature_state_values.exclude(pk__in=kept).delete()
        _touch_environments([feature_state.environment_id])
        after = feature_state_snapshot(feature_state)
        # The state row is saved every time (updated_at); an unchanged save is no event.
        if after != before:
            record(actor=user, action=AuditAction.UPDATE, instance=feature_state, before=before, after=after)
    return feature_state


def save_tag(tag: Tag, data: dict[str, Any], user: Any) -> Tag:
    """Create or change a tag."""
    created = tag.pk is None
    before = {} if created else snapshot(tag)
    for field, value in data.items():
        setattr(tag, field, value)
    with versions.batch():
        tag.save()
        # Tags are part of what /api/client/features?tag= returns.
        versions.touch(project_id=tag.project_id)
        record(actor=user, action=AuditAction.CREATE if created else AuditAction.UPDATE, instance=tag, before=before)
    return tag


def delete_tag(tag: Tag, user: Any) -> None:
    with versions.batch():
        versions.touch(project_id=tag.project_id)
        record(actor=user, action=AuditAction.DELETE, instance=tag, before=snapshot(tag))
        tag.delete()


def _organisation_user_ids(feature: Feature, user_ids: Iterable[int]) -> set[int]:
    return set(
        UserOrganisation.objects.filter(
            organisation_id=feature.project.organisation_id, user_id__in=list(user_ids)
        ).values_list("user_id", flat=True)
    )


def _refuse_unknown_users(unknown: set[int]) -> None:
    if unknown:
        ids = ", ".join(str(user_id) for user_id in sorted(unknown))
        raise ValidationError({"user_ids": [f"Not members of the feature's organisation: {ids}."]})


def add_feature_owners(feature: Feature, user_ids: list[int], user: Any) -> Feature:
    """Make members of the feature's organisation its owners; anyone else is refused, and nothing is added."""
    wanted = set(user_ids)
    _refuse_unknown_users(wanted - _organisation_user_ids(feature, wanted))
    with transaction.atomic():
        before = feature_snapshot(feature)
        feature.owners.add(*wanted)
        record(actor=user, action=AuditAction.UPDATE, instance=feature, before=before, after=feature_snapshot(feature))
    return feature


def remove_feature_owners(feature: Feature, user_ids: list[int], user: Any) -> Feature:
    """Remove owners. A former member who still owns the feature can be removed too."""
    wanted = set(user_ids)
    current_owners = set(feature.owners.filter(pk__in=wanted).values_list("pk", flat=True))
    _refuse_unknown_users(wanted - current_owners - _organisation_user_ids(feature, wanted))
    with transaction.atomic():
        before = feature_snapshot(feature)
        feature.owners.remove(*current_owners)
        record(actor=user, action=AuditAction.UPDATE, instance=feature, before=before, after=feature_snapshot(feature))
    return feature


def _organisation_group_ids(feature: Feature, group_ids: Iterable[int]) -> set[int]:
    return set(
        UserPermissionGroup.objects.filter(
            organisation_id=feature.project.organisation_id, pk__in=list(group_ids)
        ).values_list("pk", flat=True)
    )


def _refuse_unknown_groups(unknown: set[int]) -> None:
    if unknown:
        ids = ", ".join(str(group_id) for group_id in sorted(unknown))
        raise ValidationError({"group_ids": [f"Not groups of the feature's organisation: {ids}."]})


def add_feature_group_owners(feature: Feature, group_ids: list[int], user: Any) -> Feature:
    """Make groups of the feature's organisation its owners; another organisation's group is refused."""
    wanted = set(group_ids)
    _refuse_unknown_groups(wanted - _organisation_group_ids(feature, wanted))
    with transaction.atomic():
        before = feature_snapshot(feature)
        feature.group_owners.add(*wanted)
        record(actor=user, action=AuditAction.UPDATE, instance=feature, before=before, after=feature_snapshot(feature))
    return feature


def remove_feature_group_owners(feature: Feature, group_ids: list[int], user: Any) -> Feature:
    """Remove group owners; ids of groups that do not own the feature are refused, and nothing changes."""
    wanted = set(group_ids)
    current = set(feature.group_owners.filter(pk__in=wanted).values_list("pk", flat=True))
    _refuse_unknown_groups(wanted - current - _organisation_group_ids(feature, wanted))
    with transaction.atomic():
        before = feature_snapshot(feature)
        feature.group_owners.remove(*current)
        record(actor=user, action=AuditAction.UPDATE, instance=feature, before=before, after=feature_snapshot(feature))
    return feature


# --- Segment overrides -------------------------------------------------------------------
#
# An override is a FeatureSegment plus the FeatureState pointing at it; they are
# created and deleted together so SDKs never see an override without a state.
# Priorities stay dense (0..n-1) per (feature, environment): every write below
# renumbers its group. Each write locks the feature row first, so concurrent
# reorderings of one feature queue instead of interleaving their renumbering.


def _lock_feature(feature_id: int) -> Feature:
    return Feature.objects.select_for_update().get(pk=feature_id)


def _override_group(feature_id: int, environment_id: int) -> list[FeatureSegment]:
    return list(
        FeatureSegment.objects.filter(feature_id=feature_id, environment_id=environment_id).order_by("priority", "id")
    )


def _renumber(ordered: list[FeatureSegment]) -> list[FeatureSegment]:
    """Give the overrides priorities 0..n-1 in this order, writing only the rows that move."""
    moved = []
    for priority, feature_segment in enumerate(ordered):
        if feature_segment.priority != priority:
            feature_segment.priority = priority
            moved.append(feature_segment)
    FeatureSegment.objects.bulk_update(moved, ["priority"])
    return ordered


def create_segment_override(
    *,
    feature: Feature,
    segment: Any,
    environment: Environment,
    user: Any,
    priority: int | None = None,
    state: dict[str, Any] | None = None,
) -> FeatureState:
    """Create a segment override and its feature state; returns the state.

    The override goes to ``priority`` (the others below it move down one) or,
    without one, to the end. ``state`` may hold ``enabled``,
    ``feature_state_value`` (a validated JSON value) and
    ``multivariate_feature_state_values``; whatever it leaves out is copied from
    the environment default, so a new override changes nothing until it is edited.
    """
    refuse_versioned_write(environment)
    state = state or {}
    try:
        with versions.batch():
            _lock_feature(feature.pk)
            if FeatureSegment.objects.filter(feature=feature, segment=segment, environment=environment).exists():
                raise ValidationError({"segment": ["This segment already overrides the feature in this environment."]})
            group = _override_group(feature.pk, environment.pk)
            feature_segment = FeatureSegment.objects.create(
                feature=feature, segment=segment, environment=environment, priority=len(group)
            )
            position = len(group) if priority is None else min(priority, len(group))
            group.insert(position, feature_segment)
            _renumber(group)

            default = (
                FeatureState.objects.filter(
                    feature=feature, environment=environment, feature_segment__isnull=True, identity__isnull=True
                )
                .select_related("feature_state_value")
                .first()
            )
            feature_state = FeatureState.objects.create(
                feature=feature,
                environment=environment,
                feature_segment=feature_segment,
                enabled=state.get("enabled", default.enabled if default else False),
            )
            if "feature_state_value" in state:
                value_fields = json_typed_value(state["feature_state_value"])
            elif default is not None and hasattr(default, "feature_state_value"):
                source = default.feature_state_value
                value_fields = typed_value_fields(source.type, source.value)
            else:
                value_fields = json_typed_value(None)
            FeatureStateValue.objects.create(feature_state=feature_state, **value_fields)

            if "multivariate_feature_state_values" in state:
                shares = [
                    (share["multivariate_feature_option"].pk, share.get("percentage_allocation", 100))
                    for share in state["multivariate_feature_state_values"]
                ]
            elif default is not None:
                shares = list(
                    default.multivariate_feature_state_values.values_list(
                        "multivariate_feature_option_id", "percentage_allocation"
                    )
                )
            else:
                shares = []
            MultivariateFeatureStateValue.objects.bulk_create(
                [
                    MultivariateFeatureStateValue(
                        feature_state=feature_state,
                        multivariate_feature_option_id=option_id,
                        percentage_allocation=share,
                    )
                    for option_id, share in shares
                ]
            )
            _touch_environments([environment.pk])
            record(
                actor=user,
                action=AuditAction.CREATE,
                instance=feature_segment,
                after=snapshot(feature_segment, {"state": feature_state_snapshot(feature_state)}),
                log=f"Segment override created: {feature.name} for segment {segment.name}",
            )
    except IntegrityError as exc:
        # The existence check above runs under the feature lock; this is a writer that did not take it.
        raise ValidationError({"segment": ["This segment already overrides the feature in this environment."]}) from exc
    return feature_state


def move_segment_override(feature_segment: FeatureSegment, priority: int, user: Any) -> FeatureSegment:
    """Move an override to ``priority`` (clamped to the end), shifting the ones in between."""
    _refuse_versioned_write_by_id(feature_segment.environment_id)
    with versions.batch():
        _lock_feature(feature_segment.feature_id)
        group = _override_group(feature_segment.feature_id, feature_segment.environment_id)
        moving = next(item for item in group if item.pk == feature_segment.pk)
        group.remove(moving)
        before = feature_segment.priority
        group.insert(min(priority, len(group)), moving)
        _renumber(group)
        _touch_environments([feature_segment.environment_id])
        record(
            actor=user,
            action=AuditAction.UPDATE,
            instance=feature_segment,
            changes={"priority": {"old": before, "new": moving.priority}} if before != moving.priority else {},
        )
    feature_segment.priority = moving.priority
    return feature_segment


def reorder_segment_overrides(priorities: dict[int, int], user: Any) -> list[FeatureSegment]:
    """Set the priorities of some overrides of one (feature, environment); returns the whole group in order.

    ``priorities`` maps override ids to wanted priorities (distinct, >= 0). The
    named overrides take those places, in the order asked; the others fill the
    remaining places in their current order; then the group is renumbered
    0..n-1. So a full list renumbers exactly, a 1-based list works too, and a
    partial list moves just the named overrides. The caller has checked that the
    ids exist and share a group.
    """
    if not priorities:
        return []
    sample = FeatureSegment.objects.get(pk=next(iter(priorities)))
    _refuse_versioned_write_by_id(sample.environment_id)
    with versions.batch():
        _lock_feature(sample.feature_id)
        group = _override_group(sample.feature_id, sample.environment_id)
        named = sorted((item for item in group if item.pk in priorities), key=lambda item: priorities[item.pk])
        others = [item for item in group if item.pk not in priorities]
        slots: dict[int, FeatureSegment] = {}
        previous = -1
        for index, item in enumerate(named):
            # Wanted places past the end are pulled back so the named ones still fit, in order.
            slot = max(previous + 1, min(priorities[item.pk], len(group) - len(named) + index))
            slots[slot] = item
            previous = slot
        ordered = []
        for slot in range(len(group)):
            ordered.append(slots[slot] if slot in slots else others.pop(0))
        old_priorities = {item.pk: item.priority for item in group}
        _renumber(ordered)
        _touch_environments([sample.environment_id])
        for item in ordered:
            if old_priorities[item.pk] != item.priority:
                record(
                    actor=user,
                    action=AuditAction.UPDATE,
                    instance=item,
                    changes={"priority": {"old": old_priorities[item.pk], "new": item.priority}},
                )
    return ordered


def delete_segment_override(feature_segment: FeatureSegment, user: Any) -> None:
    """Delete an override with its state and close the gap it leaves in the priorities."""
    _refuse_versioned_write_by_id(feature_segment.environment_id)
    with versions.batch():
        _lock_feature(feature_segment.feature_id)
        record(actor=user, action=AuditAction.DELETE, instance=feature_segment, before=snapshot(feature_segment))
        feature_segment.delete()
        _renumber(_override_group(feature_segment.feature_id, feature_segment.environment_id))
        _touch_environments([feature_segment.environment_id])
