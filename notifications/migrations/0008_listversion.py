import uuid

from django.db import migrations, models


def first_versions(apps, schema_editor):
    apps.get_model("notifications", "ListVersion").objects.create(name="reminders", token=uuid.uuid4().hex)


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0007_reminder_date_id'),
    ]

    operations = [
        migrations.CreateModel(
            name='ListVersion',
            fields=[
                ('name', models.CharField(max_length=40, primary_key=True, serialize=False)),
                ('token', models.CharField(max_length=32)),
            ],
        ),
        migrations.RunPython(first_versions, migrations.RunPython.noop),
    ]
