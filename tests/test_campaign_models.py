"""Models of the campaign engine: constraints, validation, derived overdue."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from campaigns.models import Campaign, Obligation, ObligationEvent, Task
from tests.campaign_factories import CampaignFactory, TaskFactory

D = datetime.date


@pytest.fixture
def task(world):
    return TaskFactory(action__campaign=CampaignFactory(issuing_agency=world.city))


def make(task, **links):
    return Obligation.objects.create(campaign=task.action.campaign, task=task, reviewer=links.pop("reviewer"),
                                     period_start=D(2011, 7, 22), period_end=D(2011, 7, 31),
                                     due_date=D(2011, 7, 31), **links)


def test_an_obligation_needs_exactly_one_party(world, task):
    with pytest.raises(IntegrityError), transaction.atomic():
        make(task, reviewer=world.district, estate=world.estate, firm=world.firm)
    with pytest.raises(IntegrityError), transaction.atomic():
        make(task, reviewer=world.district)


def test_one_obligation_per_task_party_and_period(world, task):
    make(task, reviewer=world.district, estate=world.estate)
    with pytest.raises(IntegrityError), transaction.atomic():
        make(task, reviewer=world.district, estate=world.estate)
    make(task, reviewer=world.district, estate=world.estate2)  # another party is fine


def test_agency_obligations_are_unique_too(world, task):
    make(task, reviewer=world.city, agency=world.district)
    with pytest.raises(IntegrityError), transaction.atomic():
        make(task, reviewer=world.city, agency=world.district)


def test_overdue_is_derived_from_state_and_due_date(world, task):
    ob = make(task, reviewer=world.district, estate=world.estate)
    assert not ob.is_overdue(D(2011, 7, 31))
    assert ob.is_overdue(D(2011, 8, 1))
    assert list(Obligation.objects.overdue(D(2011, 8, 1))) == [ob]
    Obligation.objects.filter(pk=ob.pk).update(state=Obligation.State.ACCEPTED)
    assert not Obligation.objects.overdue(D(2011, 8, 1)).exists()


def test_with_flags_annotates_is_overdue(world, task):
    make(task, reviewer=world.district, estate=world.estate)
    assert Obligation.objects.with_flags(D(2011, 8, 1)).get().is_overdue is True
    assert Obligation.objects.with_flags(D(2011, 7, 1)).get().is_overdue is False


def test_due_on_serves_the_reminder_sweep(world, task):
    ob = make(task, reviewer=world.district, estate=world.estate)
    assert list(Obligation.objects.due_on(D(2011, 7, 31))) == [ob]
    assert not Obligation.objects.due_on(D(2011, 7, 30)).exists()


def test_state_due_date_index_exists(db):
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Obligation._meta.db_table)
    assert indexes["obligation_state_due"]["columns"] == ["state", "due_date"]


def test_task_with_an_event_cannot_be_deleted(world, task):
    ob = make(task, reviewer=world.district, estate=world.estate)
    ObligationEvent.objects.create(obligation=ob, kind="submit", from_state="open", to_state="submitted")
    with pytest.raises(ProtectedError):
        task.delete()


def test_draft_campaign_without_obligations_can_be_deleted(world, task):
    task.action.campaign.delete()
    assert not Task.objects.exists()


@pytest.mark.parametrize("fields, error_field", [
    ({"deadline": D(2011, 7, 1)}, "deadline"),
    ({"evidence_kinds": ["smell"]}, "evidence_kinds"),
    ({"firm_grades": [4]}, "firm_grades"),
    ({"party_kind": "district", "firm_grades": [1]}, "firm_grades"),
    ({"party_kind": "firm", "old_estates_only": True}, "estate_categories"),
])
def test_task_validation(task, fields, error_field):
    for name, value in fields.items():
        setattr(task, name, value)
    with pytest.raises(ValidationError) as exc:
        task.full_clean(exclude=["action"])
    assert error_field in exc.value.message_dict


def test_campaign_end_before_start_is_invalid(world):
    campaign = Campaign(name="x", year=2011, issuing_agency=world.city, start_date=D(2011, 7, 1),
                        end_date=D(2011, 6, 1))
    with pytest.raises(ValidationError, match="结束日期"):
        campaign.full_clean()
