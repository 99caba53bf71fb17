"""core 0003: a Job's organisation becomes a generic key; jobs saved before keep their organisation."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("core", "0002_calendarday_holiday")]
AFTER = [("core", "0003_job_organisation")]


@pytest.mark.django_db(transaction=True)
def test_existing_jobs_keep_their_agency_or_firm_as_the_generic_key(world):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    Job = old_apps.get_model("core", "Job")
    of_agency = Job.objects.create(kind="export", owner_id=world.district_user.pk, agency_id=world.district.pk)
    of_firm = Job.objects.create(kind="export", owner_id=world.firm_user.pk, firm_id=world.firm.pk)
    of_nobody = Job.objects.create(kind="export", owner_id=world.district_user.pk)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    Job = executor.loader.project_state(AFTER).apps.get_model("core", "Job")
    keys = dict(Job.objects.values_list("pk", "organisation"))
    assert keys == {of_agency.pk: f"estates.agency:{world.district.pk}",
                    of_firm.pk: f"estates.propertyfirm:{world.firm.pk}", of_nobody.pk: ""}

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)  # and back: the foreign keys again
    Job = executor.loader.project_state(BEFORE).apps.get_model("core", "Job")
    assert Job.objects.get(pk=of_firm.pk).firm_id == world.firm.pk
    assert Job.objects.get(pk=of_agency.pk).agency_id == world.district.pk
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
