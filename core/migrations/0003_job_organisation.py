"""Job's organisation becomes a generic key (core knows no domain app): existing jobs keep theirs."""

from django.db import migrations, models
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

# The labels the two foreign keys pointed to (estates.Agency, estates.PropertyFirm), as generic_key writes them.
LABELS = {"agency": "estates.agency", "firm": "estates.propertyfirm"}


def forwards(apps, schema_editor):
    Job = apps.get_model("core", "Job")
    for field, label in LABELS.items():
        Job.objects.filter(**{f"{field}__isnull": False}).update(
            organisation=Concat(Value(f"{label}:"), Cast(f"{field}_id", CharField()), output_field=CharField())
        )


def backwards(apps, schema_editor):
    Job = apps.get_model("core", "Job")
    for field, label in LABELS.items():
        prefix = f"{label}:"
        for pk, key in Job.objects.filter(organisation__startswith=prefix).values_list("pk", "organisation"):
            Job.objects.filter(pk=pk).update(**{f"{field}_id": int(key[len(prefix):])})


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_calendarday_holiday"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="organisation",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=100),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="job", name="agency"),
        migrations.RemoveField(model_name="job", name="firm"),
    ]
