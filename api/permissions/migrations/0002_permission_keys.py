from django.db import migrations


def add_keys(apps, schema_editor):
    from permissions.models import PERMISSION_KEYS

    PermissionKey = apps.get_model("permissions", "PermissionKey")
    for key, kind, description in PERMISSION_KEYS:
        PermissionKey.objects.update_or_create(key=key, defaults={"type": kind, "description": description})


def remove_keys(apps, schema_editor):
    apps.get_model("permissions", "PermissionKey").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("permissions", "0001_initial")]

    operations = [migrations.RunPython(add_keys, remove_keys)]
