from django.db import migrations


def add_keys(apps, schema_editor):
    from permissions.models import PERMISSION_KEYS

    PermissionKey = apps.get_model("permissions", "PermissionKey")
    for key, kind, description in PERMISSION_KEYS:
        PermissionKey.objects.update_or_create(key=key, defaults={"type": kind, "description": description})


def remove_keys(apps, schema_editor):
    apps.get_model("permissions", "PermissionKey").objects.filter(
        key__in=["CREATE_CHANGE_REQUEST", "APPROVE_CHANGE_REQUEST"]
    ).delete()


class Migration(migrations.Migration):
    """Flagsmith's environment keys for change requests (CREATE_CHANGE_REQUEST, APPROVE_CHANGE_REQUEST)."""

    dependencies = [("permissions", "0002_permission_keys")]

    operations = [migrations.RunPython(add_keys, remove_keys)]
