"""Importing an organisation from Flagsmith's export (``manage.py import_flagsmith``).

Everything is written in one transaction, or nothing: the file is checked and
turned into unsaved rows first, any error names the object, and only then are the
rows inserted.

Hash inputs. Flagsmith (and Banderole, which evaluates as the SDKs do) puts
identities into percentage splits by the segment's id and into multivariate
variants by the feature state's id, walking the variants in the id order of the
multivariate values. The export leaves ids out, so the importer takes them from
the source's environment documents (which carry segment ``id``, feature state
``django_id`` and multivariate value ``id``), or from ``pk`` fields when the file
has them (Banderole's own export writes them), and stores those rows under those
very ids. Everything else gets new ids: nothing hashes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.color import no_style
from django.db import DataError, IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core import versions
from core.audit import AuditAction, record
from environments.models import Environment, EnvironmentAPIKey
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
from organisations.models import InviteLink, Organisation, OrganisationRole, UserOrganisation
from projects.models import Project
from segments.models import Condition, ConditionOperator, Segment, SegmentRule
from transfer.flagsmith_format import (
    CONDITION,
    ENVIRONMENT,
    FEATURE,
    FEATURE_SEGMENT,
    FEATURE_STATE,
    FEATURE_STATE_VALUE,
    IDENTITY,
    INVITE_LINK,
    MV_OPTION,
    MV_STATE_VALUE,
    ORGANISATION,
    ORGANISATION_WEBHOOK,
    PROJECT,
    SEGMENT,
    SEGMENT_RULE,
    SERVER_KEY,
    TAG,
    TRAIT,
    WEBHOOK,
    ExportFile,
    ExportFileError,
    Record,
)
from users.models import User
from webhooks.models import EnvironmentWebhook, OrganisationWebhook

# Rows whose ids Flagsmith's evaluation hashes, and which are stored under the source's ids.
HASHED_MODELS = (SEGMENT, FEATURE_STATE, MV_STATE_VALUE)


@dataclass
class ImportResult:
    """What an import created, and what SDKs will see differently from the source."""

    organisation: Organisation
    counts: dict[str, int]
    # Environment name -> features whose percentage-split or multivariate results will change.
    changed_assignments: dict[str, list[str]]
    owner: User | None = None
    owner_created: bool = False
    notes: list[str] = field(default_factory=list)


class _Skipped(Exception):
    """An object that depends on one the import leaves out (deleted, or not live)."""


# --- the source's ids, from its environment documents --------------------------------------------


def ids_from_documents(export: ExportFile, documents: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per hashed model, natural key (uuid) -> the source's id, read from the environment documents.

    ``documents`` maps an environment's client key to its ``/environment-document/``.
    """
    kept: dict[str, dict[str, int]] = {model: {} for model in HASHED_MODELS}
    owners: dict[tuple[str, int], str] = {}

    def keep(model: str, uuid: Any, source_id: Any, where: str) -> None:
        if not isinstance(uuid, str) or not isinstance(source_id, int) or isinstance(source_id, bool):
            raise ExportFileError(f"environment document of {where}: an object without a uuid and an integer id")
        if export.by_key.get((model, (uuid,))) is None:
            return  # not in the export (deleted since, or another organisation's): nothing to keep
        previous = kept[model].get(uuid)
        if previous is not None and previous != source_id:
            raise ExportFileError(
                f"environment documents disagree on the id of {model} {uuid}: {previous} and {source_id}"
            )
        other = owners.get((model, source_id))
        if other is not None and other != uuid:
            raise ExportFileError(
                f"environment documents give id {source_id} to two {model} objects: {other} and {uuid}"
            )
        kept[model][uuid] = source_id
        owners[(model, source_id)] = uuid

    segments_by_name: dict[str, list[Record]] = defaultdict(list)
    for segment in export.of(SEGMENT):
        segments_by_name[segment.fields.get("name")].append(segment)

    for environment in export.of(ENVIRONMENT):
        api_key = environment.key[0]
        document = documents.get(api_key)
        if document is None:
            continue
        where = f"environment {api_key}"
        try:
            states = list(document["feature_states"])
            segments = list(document["project"]["segments"])
            for segment in segments:
                states.extend(segment.get("feature_states") or [])
            for override in document.get("identity_overrides") or []:
                states.extend(override.get("identity_features") or [])
            for state in states:
                keep(FEATURE_STATE, state.get("featurestate_uuid"), state.get("django_id"), where)
                for mv in state.get("multivariate_feature_state_values") or []:
                    keep(MV_STATE_VALUE, mv.get("mv_fs_value_uuid"), mv.get("id"), where)
            for segment in segments:
                uuid = _segment_uuid(export, segment, segments_by_name)
                if uuid is not None:
                    keep(SEGMENT, uuid, segment.get("id"), where)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ExportFileError(f"environment document of {where}: not an environment document ({exc!r})") from exc
    return kept


def _segment_uuid(export: ExportFile, segment: dict[str, Any], by_name: dict[str, list[Record]]) -> str | None:
    """The export's segment a document's segment is: through its overrides' uuids, else by a unique name.

    Documents name segments by id and name only; an override's feature state uuid
    leads to its feature segment, and that to the segment's uuid.
    """
    for state in segment.get("feature_states") or []:
        record_ = export.by_key.get((FEATURE_STATE, (state.get("featurestate_uuid"),)))
        if record_ is not None and isinstance(record_.fields.get("feature_segment"), list):
            feature_segment = export.by_key.get((FEATURE_SEGMENT, tuple(record_.fields["feature_segment"])))
            if feature_segment is not None and isinstance(feature_segment.fields.get("segment"), list):
                return feature_segment.fields["segment"][0]
    named = by_name.get(segment.get("name"), [])
    # Two segments of one name, neither overriding anything here: its id changes no result.
    return named[0].key[0] if len(named) == 1 else None


def ids_from_file(export: ExportFile) -> dict[str, dict[str, int]]:
    """The ``pk`` the file gives hashed objects (Banderole's export writes them; Flagsmith's does not).

    A feature state's multivariate seed is its ``mv_hashing_salt`` when set (Flagsmith
    carries a superseded version's id over to its successor), else its id; Flagsmith's
    documents give that seed as ``django_id``, and the state is stored under it.
    """
    kept = {model: {r.key[0]: r.pk for r in export.of(model) if r.pk is not None} for model in HASHED_MODELS}
    for r in export.of(FEATURE_STATE):
        salt = r.integer("mv_hashing_salt", null=True, default=None)
        if salt is not None and r.pk is not None:
            kept[FEATURE_STATE][r.key[0]] = salt
    return kept


# --- building the rows ------------------------------------------------------------------------------


def _moment(record_: Record, name: str) -> Any:
    raw = record_.text(name, null=True, default=None)
    if raw is None:
        return None
    moment = parse_datetime(raw)
    if moment is None:
        raise record_.fail(f"field {name!r} is not a date and time: {raw!r:.40}")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, UTC)
    return moment


def _typed_value(record_: Record) -> dict[str, Any]:
    return {
        "type": record_.text("type", default="unicode"),
        "string_value": record_.text("string_value", null=True, default=None),
        "integer_value": record_.integer("integer_value", null=True, default=None),
        "boolean_value": record_.flag("boolean_value", null=True, default=None),
    }


class _Builder:
    """Turns records into unsaved model instances, remembering which record made which row."""

    def __init__(self, export: ExportFile, kept_ids: dict[str, dict[str, int]]):
        self.export = export
        self.kept_ids = kept_ids
        self.rows: dict[Record, models.Model] = {}
        self.skipped: set[Record] = set()
        self.by_model: dict[type[models.Model], list[models.Model]] = defaultdict(list)
        self.notes: list[str] = []
        # Nested rules and their parents (one table: the parent is saved in the same INSERT).
        self.rule_parents: list[tuple[models.Model, models.Model]] = []
        # Rows built but left out at the end, with everything that depends on them.
        self.dropped: set[int] = set()

    def parent(self, record_: Record, name: str, model: str, *, null: bool = False) -> Any:
        target = self.export.ref(record_, name, model, null=null)
        if target is None:
            return None
        if target in self.skipped:
            raise _Skipped
        if target not in self.rows:
            raise record_.fail(f"field {name!r} refers to {target}, which could not be imported")
        return self.rows[target]

    def add(self, record_: Record, instance: models.Model) -> models.Model:
        if record_.model in HASHED_MODELS:
            instance.pk = self.kept_ids.get(record_.model, {}).get(record_.key[0])
        exclude = [f.name for f in instance._meta.fields if f.is_relation] + ["id"]
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as exc:
            problems = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
            raise record_.fail(problems) from exc
        self.rows[record_] = instance
        self.by_model[type(instance)].append(instance)
        return instance

    def each(self, model: str) -> Iterable[Record]:
        """The model's records, leaving out soft-deleted ones and those that depend on a left-out one."""
        for record_ in self.export.of(model):
            if record_.fields.get("deleted_at") is not None:
                self.skipped.add(record_)
                continue
            yield record_

    def build(self) -> None:
        self._organisation()
        self._segments()
        self._environments()
        self._features()
        self._states()

    def _organisation(self) -> None:
        r = self.export.of(ORGANISATION)[0]
        self.add(
            r,
            Organisation(
                uuid=r.text("uuid"),
                name=r.text("name"),
                webhook_notification_email=r.text("webhook_notification_email", null=True, default=None),
                persist_trait_data=r.flag("persist_trait_data", default=True),
                stop_serving_flags=r.flag("stop_serving_flags", default=False),
                restrict_project_create_to_admin=r.flag("restrict_project_create_to_admin", default=False),
                block_access_to_admin=r.flag("block_access_to_admin", default=False),
            ),
        )
        for r in self.each(INVITE_LINK):
            self.add(
                r,
                InviteLink(
                    organisation=self.parent(r, "organisation", ORGANISATION),
                    role=r.text("role", default=OrganisationRole.USER),
                    hash=r.text("hash"),
                    expires_at=_moment(r, "expires_at"),
                ),
            )
        for r in self.each(ORGANISATION_WEBHOOK):
            self.add(
                r,
                OrganisationWebhook(
                    organisation=self.parent(r, "organisation", ORGANISATION),
                    name=r.text("name", default=""),
                    url=r.text("url"),
                    secret=r.text("secret", null=True, default=None) or "",
                    enabled=r.flag("enabled", default=True),
                ),
            )
        for r in self.each(PROJECT):
            self.add(
                r,
                Project(
                    uuid=r.text("uuid"),
                    name=r.text("name"),
                    organisation=self.parent(r, "organisation", ORGANISATION),
                    hide_disabled_flags=r.flag("hide_disabled_flags", default=False),
                    prevent_flag_defaults=r.flag("prevent_flag_defaults", default=False),
                    enable_realtime_updates=r.flag("enable_realtime_updates", default=False),
                    only_allow_lower_case_feature_names=r.flag("only_allow_lower_case_feature_names", default=True),
                    feature_name_regex=r.text("feature_name_regex", null=True, default=None),
                    stale_flags_limit_days=r.integer("stale_flags_limit_days", default=30),
                    enforce_feature_owners=r.flag("enforce_feature_owners", default=False),
                    max_segments_allowed=r.integer("max_segments_allowed", default=500),
                    max_features_allowed=r.integer("max_features_allowed", default=1000),
                    max_segment_overrides_allowed=r.integer("max_segment_overrides_allowed", default=2000),
                ),
            )
        for r in self.each(TAG):
            self._optional(
                r,
                lambda r: Tag(
                    uuid=r.text("uuid"),
                    project=self.parent(r, "project", PROJECT),
                    label=r.text("label"),
                    color=r.text("color", default="#6837FC"),
                    description=r.text("description", null=True, default=None),
                ),
            )

    def _optional(self, record_: Record, make: Any) -> None:
        try:
            self.add(record_, make(record_))
        except _Skipped:
            self.skipped.add(record_)

    def _segments(self) -> None:
        for r in self.each(SEGMENT):
            version_of = r.fields.get("version_of")
            if isinstance(version_of, list) and version_of != [r.key[0]]:
                # An old version of another segment: Flagsmith serves only the live one.
                self.skipped.add(r)
                continue
            # A feature-specific segment names its feature, which the file lists later.
            self._optional(
                r,
                lambda r: Segment(
                    uuid=r.text("uuid"),
                    project=self.parent(r, "project", PROJECT),
                    name=r.text("name"),
                    description=r.text("description", null=True, default=None),
                ),
            )
        rules = [r for r in self.each(SEGMENT_RULE)]
        by_record = {r: r for r in rules}
        for order, r in enumerate(rules):
            segment_record, parent, depth = None, r, 0
            # Banderole's rules name their segment directly: walk up the nested rules to it.
            while segment_record is None:
                if parent.fields.get("segment") is not None:
                    segment_record = self.export.ref(parent, "segment", SEGMENT)
                    break
                parent = self.export.ref(parent, "rule", SEGMENT_RULE)
                depth += 1
                if depth > 1000 or parent not in by_record:
                    raise r.fail("its parent rules form a loop or lead to a deleted rule")
            if segment_record in self.skipped or segment_record not in self.rows:
                self.skipped.add(r)
                continue
            rule = SegmentRule(segment=self.rows[segment_record], type=r.text("type"), order=order)
            self.add(r, rule)
        for r in rules:
            if r in self.rows and r.fields.get("segment") is None:
                parent_rule = self.rows[self.export.ref(r, "rule", SEGMENT_RULE)]
                self.rule_parents.append((self.rows[r], parent_rule))
        for order, r in enumerate(self.each(CONDITION)):
            operator = r.text("operator")
            if operator not in ConditionOperator.values:
                raise r.fail(f"operator {operator!r} is not one of Flagsmith's")
            self._optional(
                r,
                lambda r, order=order, operator=operator: Condition(
                    rule=self.parent(r, "rule", SEGMENT_RULE),
                    operator=operator,
                    property=r.text("property", null=True, default=None),
                    value=r.text("value", null=True, default=None),
                    description=r.text("description", null=True, default=None),
                    order=order,
                ),
            )

    def _environments(self) -> None:
        for r in self.each(ENVIRONMENT):
            if r.flag("use_v2_feature_versioning", default=False):
                raise r.fail(
                    "uses Flagsmith's feature versioning (v2), whose versions this importer does not read; "
                    "turn it off in Flagsmith and export again"
                )
            self._optional(
                r,
                lambda r: Environment(
                    uuid=r.text("uuid"),
                    name=r.text("name"),
                    project=self.parent(r, "project", PROJECT),
                    api_key=r.text("api_key"),
                    description=r.text("description", null=True, default=None) or "",
                    allow_client_traits=r.flag("allow_client_traits", default=True),
                    hide_sensitive_data=r.flag("hide_sensitive_data", default=False),
                    hide_disabled_flags=r.flag("hide_disabled_flags", null=True, default=None),
                    use_identity_composite_key_for_hashing=r.flag(
                        "use_identity_composite_key_for_hashing", default=True
                    ),
                    use_identity_overrides_in_local_eval=r.flag("use_identity_overrides_in_local_eval", default=True),
                    minimum_change_request_approvals=r.integer(
                        "minimum_change_request_approvals", null=True, default=None
                    ),
                    banner_text=r.text("banner_text", null=True, default=None),
                    banner_colour=r.text("banner_colour", null=True, default=None),
                ),
            )
        for r in self.each(SERVER_KEY):

            def server_key(r: Record) -> EnvironmentAPIKey:
                key = EnvironmentAPIKey(
                    environment=self.parent(r, "environment", ENVIRONMENT),
                    name=r.text("name"),
                    expires_at=_moment(r, "expires_at"),
                    active=r.flag("active", default=True),
                )
                # Stored as Banderole stores every server key: its SHA-256, never the key.
                key.set_key(r.key[0])
                return key

            self._optional(r, server_key)
        for r in self.each(WEBHOOK):
            self._optional(
                r,
                lambda r: EnvironmentWebhook(
                    environment=self.parent(r, "environment", ENVIRONMENT),
                    url=r.text("url"),
                    secret=r.text("secret", null=True, default=None) or "",
                    enabled=r.flag("enabled", default=True),
                ),
            )
        for r in self.each(IDENTITY):
            self._optional(
                r,
                lambda r: Identity(
                    identifier=r.text("identifier"), environment=self.parent(r, "environment", ENVIRONMENT)
                ),
            )
        for r in self.each(TRAIT):
            self._optional(
                r,
                lambda r: Trait(
                    identity=self.parent(r, "identity", IDENTITY),
                    trait_key=r.text("trait_key"),
                    value_type=r.text("value_type", default="unicode"),
                    string_value=r.text("string_value", null=True, default=None),
                    integer_value=r.integer("integer_value", null=True, default=None),
                    float_value=r.number("float_value", null=True, default=None),
                    boolean_value=r.flag("boolean_value", null=True, default=None),
                ),
            )

    def _features(self) -> None:
        self.tags: list[tuple[Feature, list[Tag]]] = []
        names: dict[tuple[Any, str], Record] = {}
        for r in self.each(FEATURE):

            def feature(r: Record) -> Feature:
                tags = r.value("tags", list, default=[])
                slot = (tuple(r.fields.get("project") or ()), r.text("name").lower())
                if slot in names:
                    # Banderole's feature names are unique per project regardless of case.
                    raise r.fail(f"the same name as {names[slot]} (feature names are case-insensitive here)")
                names[slot] = r
                made = Feature(
                    uuid=r.text("uuid"),
                    project=self.parent(r, "project", PROJECT),
                    name=r.text("name"),
                    type=r.text("type", default="STANDARD"),
                    description=r.text("description", null=True, default=None),
                    initial_value=r.text("initial_value", null=True, default=None),
                    default_enabled=r.flag("default_enabled", default=False),
                    is_server_key_only=r.flag("is_server_key_only", default=False),
                    is_archived=r.flag("is_archived", default=False),
                )
                resolved = []
                for tag_key in tags:
                    tag = self.export.by_key.get((TAG, tuple(tag_key) if isinstance(tag_key, list) else ()))
                    if tag is None:
                        raise r.fail(f"tag {tag_key!r} is not in the file")
                    if tag in self.rows:
                        resolved.append(self.rows[tag])
                self.tags.append((made, resolved))
                return made

            self._optional(r, feature)
        # Feature-specific segments could only now find their feature.
        for r in self.export.of(SEGMENT):
            if r in self.rows and r.fields.get("feature") is not None:
                try:
                    self.rows[r].feature = self.parent(r, "feature", FEATURE)
                except _Skipped:
                    self.skipped.add(r)
                    self.dropped.add(id(self.rows.pop(r)))
        for r in self.each(MV_OPTION):
            self._optional(
                r,
                lambda r: MultivariateFeatureOption(
                    uuid=r.text("uuid"),
                    feature=self.parent(r, "feature", FEATURE),
                    key=r.text("key", null=True, default=None),
                    default_percentage_allocation=r.number("default_percentage_allocation", default=100),
                    **_typed_value(r),
                ),
            )

    def _states(self) -> None:
        for r in self.each(FEATURE_SEGMENT):
            self._optional(
                r,
                lambda r: FeatureSegment(
                    uuid=r.text("uuid"),
                    feature=self.parent(r, "feature", FEATURE),
                    segment=self.parent(r, "segment", SEGMENT),
                    environment=self.parent(r, "environment", ENVIRONMENT),
                    priority=r.integer("priority", null=True, default=0) or 0,
                ),
            )
        for r in self._live_states():
            self._optional(
                r,
                lambda r: FeatureState(
                    uuid=r.text("uuid"),
                    feature=self.parent(r, "feature", FEATURE),
                    environment=self.parent(r, "environment", ENVIRONMENT),
                    feature_segment=self.parent(r, "feature_segment", FEATURE_SEGMENT, null=True),
                    identity=self.parent(r, "identity", IDENTITY, null=True),
                    enabled=r.flag("enabled", default=False),
                ),
            )
        valued: set[Record] = set()
        for r in self.each(FEATURE_STATE_VALUE):
            state_record = self.export.ref(r, "feature_state", FEATURE_STATE)
            if state_record in valued:
                raise r.fail(f"a second value for {state_record}")
            valued.add(state_record)
            self._optional(
                r,
                lambda r: FeatureStateValue(
                    feature_state=self.parent(r, "feature_state", FEATURE_STATE), **_typed_value(r)
                ),
            )
        for state_record in self.export.of(FEATURE_STATE):
            if state_record in self.rows and state_record not in valued:
                # Flagsmith always writes one; a state without it is a flag without a value.
                self.by_model[FeatureStateValue].append(FeatureStateValue(feature_state=self.rows[state_record]))
        for r in self.each(MV_STATE_VALUE):
            self._optional(
                r,
                lambda r: MultivariateFeatureStateValue(
                    uuid=r.text("uuid"),
                    feature_state=self.parent(r, "feature_state", FEATURE_STATE),
                    multivariate_feature_option=self.parent(r, "multivariate_feature_option", MV_OPTION),
                    percentage_allocation=r.number("percentage_allocation", default=100),
                ),
            )

    def _live_states(self) -> list[Record]:
        """The feature states SDKs get now: per feature, environment, segment and identity, the newest live version.

        Flagsmith keeps older versions and scheduled changes as rows (``version``,
        ``live_from``); a row with no version is an unpublished change request.
        """
        now = timezone.now()
        newest: dict[tuple[Any, ...], tuple[int, Record]] = {}
        for r in self.each(FEATURE_STATE):
            version = r.integer("version", null=True, default=1)
            live_from = _moment(r, "live_from")
            if version is None or (live_from is not None and live_from > now):
                self.skipped.add(r)
                continue
            slot = tuple(
                tuple(r.fields.get(name) or ()) for name in ("feature", "environment", "feature_segment", "identity")
            )
            if slot in newest and newest[slot][0] >= version:
                self.skipped.add(r)
                continue
            if slot in newest:
                self.skipped.add(newest[slot][1])
            newest[slot] = (version, r)
        if any(r.model == FEATURE_STATE for r in self.skipped):
            count = sum(1 for r in self.skipped if r.model == FEATURE_STATE)
            self.notes.append(f"{count} feature state(s) left out: older versions, scheduled or unpublished changes")
        return sorted((r for _, r in newest.values()), key=lambda r: r.index)


# --- checks against the database ------------------------------------------------------------------


def _refuse_existing(builder: _Builder) -> None:
    """Refuse an import that would clash with what the database holds, naming the first clash."""
    organisation = builder.export.of(ORGANISATION)[0]
    existing = Organisation.objects.filter(uuid=organisation.key[0]).first()
    if existing is not None:
        raise ExportFileError(
            f"organisation {existing.name!r} (uuid {organisation.key[0]}) is already here, as id {existing.pk}: "
            "this export was imported before. Delete that organisation first to import it again"
        )
    for model, lookup in (
        (Environment, "api_key"),
        (Project, "uuid"),
        (Feature, "uuid"),
        (Segment, "uuid"),
        (Tag, "uuid"),
        (FeatureSegment, "uuid"),
        (FeatureState, "uuid"),
        (MultivariateFeatureOption, "uuid"),
        (MultivariateFeatureStateValue, "uuid"),
        (EnvironmentAPIKey, "key_hash"),
        (InviteLink, "hash"),
    ):
        wanted = {str(getattr(row, lookup)): row for row in builder.by_model[model]}
        clash = model.objects.filter(**{f"{lookup}__in": list(wanted)}).values_list(lookup, flat=True).first()
        if clash is not None:
            if model is EnvironmentAPIKey:
                what = f"server-side key {wanted[str(clash)].name!r}"
            else:
                what = f"{model._meta.verbose_name} {wanted[str(clash)]} ({lookup} {clash})"
            raise ExportFileError(f"{what} exists already, in another organisation of this installation")
    for model in (Segment, FeatureState, MultivariateFeatureStateValue):
        wanted = {row.pk: row for row in builder.by_model[model] if row.pk is not None}
        clash = model.objects.filter(pk__in=list(wanted)).values_list("pk", flat=True).first()
        if clash is not None:
            raise ExportFileError(
                f"{model._meta.verbose_name} {wanted[clash]} must keep the source's id {clash} (identities hash on it), "
                "and this database already uses that id. Import into a fresh database, or without the source's "
                "ids (no --environment-documents / --source-url: percentage splits and variants then change)."
            )


# --- hash-sensitive features ------------------------------------------------------------------------


def _changed_assignments(builder: _Builder) -> dict[str, list[str]]:
    """Per environment, the features whose split or variant results will differ from the source."""
    # By identity: rows without a pk are unhashable.
    split_segments = {
        id(condition.rule.segment)
        for condition in builder.by_model[Condition]
        if condition.operator == ConditionOperator.PERCENTAGE_SPLIT
    }
    mv_by_state: dict[int, list[MultivariateFeatureStateValue]] = defaultdict(list)
    for mv in builder.by_model[MultivariateFeatureStateValue]:
        mv_by_state[id(mv.feature_state)].append(mv)
    changed: dict[str, set[str]] = defaultdict(set)
    for state in builder.by_model[FeatureState]:
        if state.identity is not None:
            continue
        environment, feature = state.environment.name, state.feature.name
        variants = mv_by_state.get(id(state), [])
        if variants and (state.pk is None or any(mv.pk is None for mv in variants)):
            changed[environment].add(feature)
        feature_segment = state.feature_segment
        if (
            feature_segment is not None
            and id(feature_segment.segment) in split_segments
            and feature_segment.segment.pk is None
        ):
            changed[environment].add(feature)
    return {environment: sorted(features) for environment, features in sorted(changed.items())}


# --- writing ---------------------------------------------------------------------------------------


def _insert(model: type[models.Model], rows: list[models.Model], dropped: set[int]) -> None:
    """Insert rows; those that keep a source id first, then the sequence moves past them, then the rest.

    A row that depends on a dropped row is dropped too.
    """
    kept_rows = []
    for row in rows:
        related_rows = [
            f.get_cached_value(row) for f in model._meta.concrete_fields if f.is_relation and f.is_cached(row)
        ]
        if id(row) in dropped or any(id(related) in dropped for related in related_rows if related is not None):
            dropped.add(id(row))
        else:
            kept_rows.append(row)
    rows = kept_rows
    if not rows:
        return
    with_ids = [row for row in rows if row.pk is not None]
    without_ids = [row for row in rows if row.pk is None]
    if with_ids:
        model.objects.bulk_create(with_ids, batch_size=500)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [model]):
                cursor.execute(statement)
    if without_ids:
        model.objects.bulk_create(without_ids, batch_size=500)


# Dependencies first (a feature-specific segment names its feature).
WRITE_ORDER: tuple[type[models.Model], ...] = (
    Organisation,
    InviteLink,
    OrganisationWebhook,
    Project,
    Tag,
    Feature,
    MultivariateFeatureOption,
    Segment,
    SegmentRule,
    Condition,
    Environment,
    EnvironmentAPIKey,
    EnvironmentWebhook,
    Identity,
    Trait,
    FeatureSegment,
    FeatureState,
    FeatureStateValue,
    MultivariateFeatureStateValue,
)


def _owner(email: str) -> tuple[User, bool]:
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user, False
    try:
        User._meta.get_field("email").run_validators(email)
    except ValidationError as exc:
        raise ExportFileError(f"--owner {email!r}: {' '.join(exc.messages)}") from exc
    # No password: the owner sets one through the password reset (or manage.py changepassword).
    return User.objects.create_user(email=email, password=None), True


def import_organisation(
    export: ExportFile,
    *,
    documents: dict[str, Any] | None = None,
    owner_email: str | None = None,
) -> ImportResult:
    """Create the export's organisation with everything it holds, in one transaction.

    With ``documents`` (client key -> the source's environment document) the hashed
    rows keep the source's ids; without them, the ``pk``s the file carries, if any.
    """
    kept = ids_from_file(export)
    if documents is not None:
        for model, ids in ids_from_documents(export, documents).items():
            kept[model].update(ids)
    builder = _Builder(export, kept)
    builder.build()
    # Before the INSERTs: a row that keeps its source id has its pk already, the others get theirs then.
    changed_assignments = _changed_assignments(builder)
    missing_documents = []
    if documents is not None:
        missing_documents = [e.key[0] for e in export.of(ENVIRONMENT) if e.key[0] not in documents]
    with versions.batch():
        _refuse_existing(builder)
        for model in WRITE_ORDER:
            try:
                # A savepoint: the error is reported, and the outer transaction undoes everything.
                with transaction.atomic():
                    _insert(model, builder.by_model[model], builder.dropped)
            except (IntegrityError, DataError) as exc:
                raise ExportFileError(
                    f"the database refused the {model._meta.verbose_name_plural} of the file "
                    f"(two with the same name, or a value too large?): {str(exc).strip()[:300]}"
                ) from exc
        # Rules point at their parent rule, saved in the same INSERT: set the parents now.
        nested = []
        for rule, parent in builder.rule_parents:
            if id(rule) not in builder.dropped:
                rule.parent_id = parent.pk
                nested.append(rule)
        SegmentRule.objects.bulk_update(nested, ["parent"], batch_size=500)
        for feature, tags in builder.tags:
            if feature.pk is not None and tags:
                feature.tags.add(*tags)
        organisation = builder.rows[export.of(ORGANISATION)[0]]
        assert isinstance(organisation, Organisation)
        owner, created = (None, False)
        if owner_email:
            owner, created = _owner(owner_email)
            membership, _ = UserOrganisation.objects.update_or_create(
                user=owner, organisation=organisation, defaults={"role": OrganisationRole.ADMIN}
            )
        counts = {model._meta.label: len(builder.by_model[model]) for model in WRITE_ORDER}
        record(
            actor=owner,
            action=AuditAction.CREATE,
            instance=organisation,
            log=f"Organisation imported from a Flagsmith export: {organisation.name}",
        )
        if owner is not None:
            record(actor=owner, action=AuditAction.CREATE, instance=membership)
        versions.touch([environment.pk for environment in builder.by_model[Environment]])
    notes = list(builder.notes)
    if missing_documents:
        notes.append(f"no environment document for {', '.join(missing_documents)}: its hashed ids were not kept")
    if export.skipped_models:
        notes.append(
            "not imported (Banderole has no such objects, or they are the source's plan): "
            + ", ".join(f"{model} x{count}" for model, count in sorted(export.skipped_models.items()))
        )
    return ImportResult(
        organisation=organisation,
        counts=counts,
        changed_assignments=changed_assignments,
        owner=owner,
        owner_created=created,
        notes=notes,
    )
