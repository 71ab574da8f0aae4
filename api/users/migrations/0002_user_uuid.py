"""Users get Flagsmith's ``uuid``: added nullable, filled in for existing rows, then made unique."""

import uuid

from django.db import migrations, models


def fill_uuids(apps, schema_editor):
    User = apps.get_model("users", "User")
    users = list(User.objects.filter(uuid__isnull=True).only("pk"))
    for user in users:
        user.uuid = uuid.uuid4()
    User.objects.bulk_update(users, ["uuid"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("users", "0001_initial")]

    operations = [
        migrations.AddField(model_name="user", name="uuid", field=models.UUIDField(editable=False, null=True)),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
