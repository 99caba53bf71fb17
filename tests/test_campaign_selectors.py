"""Selectors: scoping, filters, progress figures, and query counts independent of size."""

import datetime

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from campaigns import selectors, services
from campaigns.models import Campaign, Obligation
from estates.models import Agency, Coordinator, Estate, PropertyFirm
from tests import factories as f
from tests.campaign_factories import CampaignFactory, TaskFactory, load_ningbo, publish

D = datetime.date
AUG_1 = D(2011, 8, 1)
AUG_5 = D(2011, 8, 5)
State = Obligation.State


# --- scoping and filters (the conftest world) --------------------------------------------------

@pytest.fixture
def ningbo(world):
    campaign = load_ningbo(world.city)
    publish(campaign)
    return campaign


def test_district_sees_only_its_districts_obligations(world, ningbo):
    seen = selectors.obligation_list(user=world.district_user, campaign=ningbo)
    assert seen.exists()
    assert not seen.filter(estate=world.other_estate).exists()
    assert not seen.filter(firm=world.other_firm).exists()
    assert not seen.filter(agency=world.other_district).exists()
    assert not seen.filter(agency=world.city).exists()


def test_firm_sees_its_estates_and_itself_only(world, ningbo):
    seen = selectors.obligation_list(user=world.firm_user, campaign=ningbo)
    parties = set(seen.values_list("estate", "firm", "agency"))
    assert parties == {(world.estate.pk, None, None), (world.estate2.pk, None, None), (None, world.firm.pk, None)}


def test_obligation_of_another_district_is_404(world, ningbo):
    other = Obligation.objects.filter(estate=world.other_estate).first()
    with pytest.raises(Http404):
        selectors.obligation_get(user=world.district_user, pk=other.pk)
    assert selectors.obligation_get(user=world.other_district_user, pk=other.pk) == other


def test_firm_obligations_by_estate_then_deadline(world, ningbo):
    rows = list(selectors.firm_obligations(user=world.firm_user, campaign=ningbo, today=AUG_1))
    keys = [(ob.estate.code if ob.estate_id else "", ob.due_date) for ob in rows]
    assert keys == sorted(keys)
    assert rows[0].estate_id is None  # the firm's own obligations first


def test_firm_obligations_filters(world, ningbo):
    letter = Obligation.objects.get(task__code="open-letter", estate=world.estate)
    services.obligation_submit(obligation=letter, user=world.firm_user, text="已张贴",
                               files=[("photo", _photo())])
    services.obligation_return(obligation=letter, user=world.district_user, reason="请补充楼道照片")
    overdue = selectors.firm_obligations(user=world.firm_user, campaign=ningbo, today=AUG_1, filter="overdue")
    due7 = selectors.firm_obligations(user=world.firm_user, campaign=ningbo, today=AUG_5, filter="due7")
    returned = selectors.firm_obligations(user=world.firm_user, campaign=ningbo, today=AUG_1, filter="returned")
    assert all(ob.due_date < AUG_1 and ob.is_overdue for ob in overdue)
    assert {ob.task.code for ob in due7} >= {"coordinator", "coordinator-roster-firm", "squad-roster"}
    assert all(AUG_5 <= ob.due_date <= D(2011, 8, 12) for ob in due7)
    assert list(returned) == [letter]
    counts = selectors.filter_counts(user=world.firm_user, campaign=ningbo, today=AUG_1)
    assert (counts["returned"], counts["overdue"]) == (1, overdue.count())
    assert selectors.filter_counts(user=world.firm_user, campaign=ningbo, today=AUG_5)["due7"] == due7.count()


def test_bureau_looks_at_a_firm_within_its_scope(world, ningbo):
    assert selectors.firm_obligations(user=world.district_user, firm=world.firm, campaign=ningbo).exists()
    assert not selectors.firm_obligations(user=world.district_user, firm=world.other_firm, campaign=ningbo).exists()


def test_review_queue_holds_only_what_the_user_may_review(world, ningbo):
    mine = Obligation.objects.get(task__code="open-letter", estate=world.estate)
    theirs = Obligation.objects.get(task__code="open-letter", estate=world.other_estate)
    Obligation.objects.filter(pk__in=[mine.pk, theirs.pk]).update(state=State.SUBMITTED)
    assert list(selectors.review_queue(user=world.district_user, campaign=ningbo)) == [mine]
    assert set(selectors.review_queue(user=world.city_user, campaign=ningbo)) == {mine, theirs}
    assert not selectors.review_queue(user=world.firm_user, campaign=ningbo).exists()
    assert not selectors.review_queue(user=world.street_user, campaign=ningbo).exists()


def test_can_review_and_can_submit(world, ningbo):
    letter = Obligation.objects.get(task__code="open-letter", estate=world.estate)
    assert selectors.can_submit(user=world.firm_user, obligation=letter)
    assert not selectors.can_submit(user=world.other_firm_user, obligation=letter)
    Obligation.objects.filter(pk=letter.pk).update(state=State.SUBMITTED)
    letter.refresh_from_db()
    assert selectors.can_review(user=world.district_user, obligation=letter)
    assert not selectors.can_review(user=world.other_district_user, obligation=letter)
    assert not selectors.can_review(user=world.firm_user, obligation=letter)


def test_progress_by_task_counts_states(world, ningbo):
    letters = Obligation.objects.filter(task__code="open-letter")
    letters.filter(estate=world.estate).update(state=State.ACCEPTED)
    letters.filter(estate=world.estate2).update(state=State.RETURNED)
    row = next(r for r in selectors.progress(user=world.city_user, campaign=ningbo, by="task", today=AUG_1)
               if r["key"] == letters.first().task_id)
    assert (row["total"], row["accepted"], row["returned"], row["open"], row["overdue"]) == (3, 1, 1, 1, 2)
    assert row["done_pct"] == pytest.approx(33.3)


def test_progress_of_a_district_counts_only_its_own_area(world):
    # A firm of the other district also manages an estate here: the district sees the firm and that estate's
    # obligations, but the firm's own (firm-level) obligations follow the firm's district (estates/scoping.py).
    f.EstateFactory(code="HS003", street=world.street, firm=world.other_firm)
    campaign = load_ningbo(world.city)
    publish(campaign)
    assert not selectors.obligation_list(user=world.district_user, campaign=campaign).filter(
        firm=world.other_firm).exists()
    rows = selectors.progress(user=world.district_user, campaign=campaign, by="district", today=AUG_1)
    assert [r["key"] for r in rows] == [world.district.pk]
    firms = {r["key"] for r in selectors.progress(user=world.district_user, campaign=campaign, by="firm")}
    assert firms == {world.firm.pk, world.other_firm.pk}  # other_firm through its estate HS003 only
    overdue = selectors.overdue_list(user=world.district_user, campaign=campaign, today=AUG_1)
    assert not overdue.filter(firm=world.other_firm).exists()
    assert overdue.filter(estate__code="HS003").exists()


def test_progress_by_firm_joins_estate_and_firm_obligations(world, ningbo):
    rows = {r["key"]: r for r in selectors.progress(user=world.city_user, campaign=ningbo, by="firm", today=AUG_1)}
    assert set(rows) == {world.firm.pk, world.other_firm.pk}
    # Voluntary work nobody took up (the model-estate application) is not owed: not in the total.
    expected = Obligation.objects.for_firm(world.firm).filter(campaign=ningbo).exclude(
        task__is_voluntary=True, state=Obligation.State.OPEN).count()
    assert rows[world.firm.pk]["total"] == expected and rows[world.firm.pk]["label"] == "月湖物业"


def test_progress_by_street_narrowed_to_a_district(world, ningbo):
    rows = selectors.progress(user=world.city_user, campaign=ningbo, by="street", district=world.district)
    assert {r["key"] for r in rows} == {world.street.pk, world.other_street.pk}


def test_unknown_dimension_is_an_error(world, ningbo):
    with pytest.raises(ValueError):
        selectors.progress(user=world.city_user, campaign=ningbo, by="planet")


def test_campaign_visibility(world):
    published = CampaignFactory(issuing_agency=world.city, status=Campaign.Status.PUBLISHED)
    draft = CampaignFactory(issuing_agency=world.city)
    district_own = CampaignFactory(issuing_agency=world.other_district)
    assert set(selectors.campaign_list(user=world.city_user)) == {published, draft, district_own}
    assert set(selectors.campaign_list(user=world.district_user)) == {published}
    assert set(selectors.campaign_list(user=world.other_district_user)) == {published, district_own}
    assert set(selectors.campaign_list(user=world.firm_user)) == {published}


def test_records_counted_for_an_obligation(world):
    campaign = CampaignFactory(issuing_agency=world.city)
    task = TaskFactory(action__campaign=campaign, party_kind="firm", recurrence="monthly", record_kind="training",
                       window_start=D(2011, 8, 1), deadline=D(2011, 9, 30), evidence_kinds=["training"])
    publish(campaign)
    services.training_record(user=world.firm_user, date=D(2011, 8, 3), topic="八月培训")
    services.training_record(user=world.firm_user, date=D(2011, 9, 3), topic="九月培训")
    august = Obligation.objects.get(task=task, firm=world.firm, period_start=D(2011, 8, 1))
    assert [t.topic for t in selectors.obligation_records(obligation=august)] == ["八月培训"]


def test_coordinator_roster_lists_every_estate_with_its_current_coordinator(world):
    Coordinator.objects.create(estate=world.estate, name="王明", phone="13800000001", appointed_on=D(2011, 7, 1),
                               is_current=False)
    Coordinator.objects.create(estate=world.estate, name="李华", phone="13800000002", appointed_on=D(2011, 8, 1))
    rows = {e.code: e.coordinator_name for e in selectors.coordinator_roster(user=world.district_user)}
    assert rows == {"HS001": "李华", "HS002": None}
    summary = selectors.coordinator_roster_summary(user=world.city_user)
    assert [(r["district_id"], r["estates"], r["with_coordinator"]) for r in summary] == [
        (world.district.pk, 2, 1), (world.other_district.pk, 1, 0)]


def _photo():
    from tests.campaign_factories import photo

    return photo()


# --- query counts at two sizes ---------------------------------------------------------------

def _city(n, tag):
    """A city with two districts, four streets, six firms of every grade and n estates."""
    city = f.CityFactory(name=f"{tag}市住建委")
    districts = [f.DistrictFactory(name=f"{tag}{i}区", parent=city) for i in range(2)]
    streets = [f.StreetFactory(name=f"{tag}{i}街道", parent=districts[i % 2]) for i in range(4)]
    firms = [f.FirmFactory(district=districts[i % 2], grade=i % 3 + 1) for i in range(6)]
    Estate.objects.bulk_create([
        Estate(code=f"{tag}{i:05d}", name=f"{tag}小区{i}", district=streets[i % 4].parent, street=streets[i % 4],
               firm=firms[i % 6], year_built=1990 + i % 20, category=i % 3 + 1) for i in range(n)
    ])
    campaign = load_ningbo(city)
    publish(campaign)
    # Some of everything, proportionally to the size.
    obligations = Obligation.objects.filter(campaign=campaign, task__code="open-letter").order_by("pk")
    ids = list(obligations.values_list("pk", flat=True))
    Obligation.objects.filter(pk__in=ids[0::4]).update(state=State.SUBMITTED)
    Obligation.objects.filter(pk__in=ids[1::4]).update(state=State.ACCEPTED)
    Obligation.objects.filter(pk__in=ids[2::4]).update(state=State.RETURNED)
    for estate in Estate.objects.filter(code__startswith=tag)[: n // 2]:
        Coordinator.objects.create(estate=estate, name="王明", phone="13800000001", appointed_on=D(2011, 7, 25))
    users = {
        "city": f.UserFactory(agency=city),
        "district": f.UserFactory(agency=districts[0]),
        "firm": f.UserFactory(firm=PropertyFirm.objects.get(pk=firms[0].pk)),
    }
    return campaign, users, districts[0]


def _touch(rows):
    """Read every field a list page shows, as a template would."""
    for ob in rows:
        _ = (ob.task.title, ob.task.action.name, ob.campaign.name, str(ob.party), ob.reviewer.name, ob.is_overdue,
             ob.district and ob.district.name, ob.street and ob.street.name, ob.estate and ob.estate.firm)


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _pages(campaign, users, district):
    city, district_user, firm_user = users["city"], users["district"], users["firm"]
    return {
        **{f"progress-{by}": (lambda by=by: selectors.progress(user=city, campaign=campaign, by=by, today=AUG_1))
           for by in selectors.DIMENSIONS},
        "progress-district-streets": lambda: selectors.progress(user=district_user, campaign=campaign, by="street",
                                                                district=district, today=AUG_1),
        "totals": lambda: selectors.campaign_totals(user=city, campaign=campaign, today=AUG_1),
        "overdue": lambda: _touch(selectors.overdue_list(user=district_user, campaign=campaign, today=AUG_1)),
        "review-queue": lambda: _touch(selectors.review_queue(user=city, campaign=campaign)),
        "firm-list": lambda: _touch(selectors.firm_obligations(user=firm_user, campaign=campaign, today=AUG_1)),
        "firm-list-overdue": lambda: _touch(selectors.firm_obligations(user=firm_user, campaign=campaign,
                                                                       today=AUG_1, filter="overdue")),
        "firm-counts": lambda: selectors.filter_counts(user=firm_user, campaign=campaign, today=AUG_1),
        "roster": lambda: [e.coordinator_name for e in selectors.coordinator_roster(user=district_user)],
        "roster-summary": lambda: selectors.coordinator_roster_summary(user=city),
    }


def test_query_counts_do_not_grow_with_the_city(db):
    small = _pages(*_city(10, "S"))
    large = _pages(*_city(500, "L"))
    counts_small = {name: _count(fn) for name, fn in small.items()}
    counts_large = {name: _count(fn) for name, fn in large.items()}
    assert counts_small == counts_large
    assert Agency.objects.filter(level="city").count() == 2
