"""The Django admin's half of auditing: ``AuditedModelAdmin`` for every app's admin pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from core.audit import AuditAction, record, snapshot


def _stored(obj: Model) -> dict[str, Any]:
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    return snapshot(stored)


class AuditedModelAdmin(admin.ModelAdmin):
    """Records every add, change and delete made through this admin page, inlines included.

    The admin runs each change view in a transaction, so an entry commits with its change.
    """

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        before = _stored(obj) if change else {}
        super().save_model(request, obj, form, change)
        if not change or snapshot(obj) != before:
            action = AuditAction.UPDATE if change else AuditAction.CREATE
            record(actor=request.user, action=action, instance=obj, before=before)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        record(actor=request.user, action=AuditAction.DELETE, instance=obj, before=snapshot(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            record(actor=request.user, action=AuditAction.DELETE, instance=obj, before=snapshot(obj))
        super().delete_queryset(request, queryset)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        before = {
            inline_form.instance.pk: _stored(inline_form.instance)
            for inline_form in formset.forms
            if inline_form.instance.pk is not None and inline_form.has_changed()
        }
        for deleted in formset.deleted_forms:
            if deleted.instance.pk is not None:
                record(
                    actor=request.user,
                    action=AuditAction.DELETE,
                    instance=deleted.instance,
                    before=snapshot(deleted.instance),
                )
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            record(actor=request.user, action=AuditAction.CREATE, instance=obj)
        for obj, _fields in formset.changed_objects:
            record(actor=request.user, action=AuditAction.UPDATE, instance=obj, before=before.get(obj.pk, {}))
