"""The suggestion box's admin for bureau staff: scoped list, masked mobiles, moderation forms, statistics."""

import datetime
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase
from openpyxl import load_workbook

from suggestions import services
from suggestions.models import DeadlinePolicy, Suggestion, SuggestionEvent
from tests import factories as f
from tests.suggestions.conftest import at

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:suggestions_suggestion_changelist"


def sheet_text(response):
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return " ".join(str(v) for row in book.active.iter_rows(values_only=True) for v in row if v is not None)


@pytest.fixture
def officer(client, world):
    client.force_login(world.district_user)
    return client


def test_the_list_shows_the_area_with_masked_mobiles(officer, world, entry, submit):
    foreign = submit(estate=world.other_estate)
    html = officer.get(reverse(CHANGELIST)).content.decode()
    assert entry.number in html and foreign.number not in html
    assert "138****8000" in html and "13800138000" not in html


def test_another_districts_entry_is_404(client, world, entry):
    client.force_login(world.other_district_user)
    for name in ("change", "hide", "redact"):
        assert client.get(reverse(f"admin:suggestions_suggestion_{name}", args=[entry.pk])).status_code == 404


def test_the_entry_page_is_read_only_and_masks_the_mobile(officer, entry):
    response = officer.get(reverse("admin:suggestions_suggestion_change", args=[entry.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "138****8000" in html and "13800138000" not in html
    assert 'name="text"' not in html and "_save" not in html  # nothing to edit: the bureau never answers here


def test_the_export_masks_mobiles(officer, entry):
    response = officer.get(reverse("admin:suggestions_suggestion_xlsx_export"))
    body = sheet_text(response)
    assert entry.number in body and "138****8000" in body and "13800138000" not in body


def test_the_list_query_count_is_constant(officer, world, submit):
    submit()

    def count():
        cache.clear()  # cold each time: cached parts would hide a query that grows
        with CaptureQueriesContext(connection) as ctx:
            assert officer.get(reverse(CHANGELIST)).status_code == 200
        return len(ctx)

    before = count()
    for _ in range(4):
        submit(estate=world.estate2)
    assert count() == before


def test_filters_overdue_and_date_range(officer, world, submit):
    old = submit(received=at(datetime.date(2026, 1, 5)))
    recent = submit()
    html = officer.get(reverse(CHANGELIST), {"overdue": "1"}).content.decode()
    assert old.number in html and recent.number not in html
    html = officer.get(reverse(CHANGELIST), {"submitted_from": "2026-01-05", "submitted_to": "2026-01-05"}).content
    assert old.number in html.decode() and recent.number not in html.decode()
    assert officer.get(reverse(CHANGELIST), {"submitted_from": "not-a-date"}).status_code == 200


def test_hiding_needs_a_reason_and_is_logged(officer, world, entry):
    url = reverse("admin:suggestions_suggestion_hide", args=[entry.pk])
    response = officer.post(url, {"reason": ""})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    entry.refresh_from_db()
    assert not entry.hidden
    response = officer.post(url, {"reason": "辱骂他人"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.hidden and entry.hidden_reason == "辱骂他人"
    event = entry.events.get(kind=SuggestionEvent.Kind.HIDDEN)
    assert (event.by_user, event.text, event.public) == (world.district_user, "辱骂他人", False)


def test_the_hide_action_shows_a_form_first(officer, entry, submit):
    second = submit()
    data = {"action": "hide_selected", "_selected_action": [entry.pk, second.pk], "index": 0}
    response = officer.post(reverse(CHANGELIST), data)
    assert response.status_code == 200 and "屏蔽原因" in response.content.decode()
    assert not Suggestion.private_objects.filter(hidden=True).exists()
    data = {"action": "hide_selected", "_selected_action": [entry.pk, second.pk], "apply": "1", "reason": ""}
    response = officer.post(reverse(CHANGELIST), data)
    assert response.status_code == 200 and not Suggestion.private_objects.filter(hidden=True).exists()
    data["reason"] = "广告"
    assert officer.post(reverse(CHANGELIST), data).status_code == 302
    assert Suggestion.private_objects.filter(hidden=True, hidden_reason="广告").count() == 2


def test_unhide_is_logged(officer, world, entry):
    services.suggestion_hide(suggestion=entry, user=world.district_user, reason="误判")
    data = {"action": "unhide_selected", "_selected_action": [entry.pk], "index": 0}
    assert officer.post(reverse(CHANGELIST), data).status_code == 302
    entry.refresh_from_db()
    assert not entry.hidden and entry.events.filter(kind=SuggestionEvent.Kind.UNHIDDEN, public=False).exists()


def test_redaction_shows_the_original_and_keeps_it(officer, world, submit):
    entry = submit(text="我是3号楼502的张三，电话13900001111，楼道灯坏了。")
    url = reverse("admin:suggestions_suggestion_redact", args=[entry.pk])
    html = officer.get(url).content.decode()
    assert "3号楼502的张三" in html  # the original, to copy and edit
    assert officer.post(url, {"text": "我是某楼住户，楼道灯坏了。"}).status_code == 302
    entry.refresh_from_db()
    assert entry.text.startswith("我是3号楼502") and entry.text_redacted == "我是某楼住户，楼道灯坏了。"
    assert entry.events.filter(kind=SuggestionEvent.Kind.REDACTED, by_user=world.district_user).exists()
    page = officer.get(reverse("admin:suggestions_suggestion_change", args=[entry.pk])).content.decode()
    assert "张三" not in page  # the bureau's own page shows the redacted text


def test_redaction_refuses_an_empty_text(officer, entry):
    response = officer.post(reverse("admin:suggestions_suggestion_redact", args=[entry.pk]), {"text": ""})
    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.text_redacted == ""


def test_firm_users_never_reach_the_admin(client, world, entry):
    client.force_login(world.firm_user)
    assert client.get(reverse(CHANGELIST)).status_code == 302


# --- statistics page ------------------------------------------------------------------------------

def test_the_statistics_page_shows_the_table(officer, world, submit):
    submit(received=at(datetime.date(2026, 3, 3)))
    response = officer.get(reverse("admin:suggestions_suggestion_stats"),
                           {"start": "2026-03-01", "end": "2026-03-31", "by": "estate"})
    html = response.content.decode()
    assert response.status_code == 200 and "月湖花园（HS001）" in html and 'type="date"' in html
    assert 'value="2026-03-01"' in html


def test_the_statistics_export(officer, world, submit):
    submit(received=at(datetime.date(2026, 3, 3)))
    response = officer.get(reverse("admin:suggestions_suggestion_stats_export"),
                           {"start": "2026-03-01", "end": "2026-03-31", "by": "firm"})
    assert response.status_code == 200
    body = sheet_text(response)
    assert "月湖物业" in body and "按时答复率（%）" in body and "合计" in body


@pytest.mark.parametrize("query", [
    {"start": "2026-13-01"}, {"start": "x", "end": "y"}, {"end": "2026-01-01", "start": "2026-02-01"},
    {"by": "nonsense"}, {"start": "0001-01-01", "end": "9999-12-31"}, {"start": "2026-01-01\x00"},
])
def test_bad_statistics_parameters_show_errors_not_500(officer, query):
    # The platform refuses NUL in a URL (core.middleware): 400.
    expected = 400 if any("\x00" in v for v in query.values()) else 200
    assert officer.get(reverse("admin:suggestions_suggestion_stats"), query).status_code == expected
    assert officer.get(reverse("admin:suggestions_suggestion_stats_export"), query).status_code == expected


def test_the_statistics_page_query_count_is_constant(officer, world, submit):
    submit()

    def count():
        cache.clear()  # cold each time: cached parts would hide a query that grows
        with CaptureQueriesContext(connection) as ctx:
            officer.get(reverse("admin:suggestions_suggestion_stats"), {"by": "estate"})
        return len(ctx)

    before = count()
    for estate in (world.estate, world.estate2):
        submit(estate=estate)
    assert count() == before


# --- deadline policies ----------------------------------------------------------------------------

def test_a_district_officer_edits_only_their_districts_policy(client, world):
    mine = DeadlinePolicy.objects.create(district=world.district, acknowledge_workdays=1, answer_workdays=3)
    other = DeadlinePolicy.objects.create(district=world.other_district, acknowledge_workdays=1, answer_workdays=2)
    client.force_login(world.district_user)
    url = reverse("admin:suggestions_deadlinepolicy_change", args=[mine.pk])
    response = client.post(url, {"district": world.district.pk, "acknowledge_workdays": 2, "answer_workdays": 4})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.answer_workdays == 4
    assert client.get(reverse("admin:suggestions_deadlinepolicy_change", args=[other.pk])).status_code == 404
    # A street officer sees no district policy and may not add one.
    client.force_login(world.street_user)
    assert client.get(url).status_code == 404
    assert client.get(reverse("admin:suggestions_deadlinepolicy_add")).status_code == 403


# --- photos, fuzz ---------------------------------------------------------------------------------

def test_photos_are_served_through_the_scoped_admin_view(client, world, submit):
    from django.core.files.base import ContentFile

    from suggestions import photos
    from tests.campaign_ui_fixtures import jpeg_bytes

    entry = submit(photos=[photos.prepare(ContentFile(jpeg_bytes(), name="p.jpg"))])
    photo = entry.photos.get()
    client.force_login(world.district_user)
    page = client.get(reverse("admin:suggestions_suggestion_change", args=[entry.pk])).content.decode()
    url = reverse("admin:suggestions_suggestion_photo", args=[entry.pk, photo.pk, "thumbnail"])
    assert url in page and photo.thumbnail.url not in page  # never the storage address
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert client.get(reverse("admin:suggestions_suggestion_photo", args=[entry.pk, photo.pk, "other"])
                      ).status_code == 404
    client.force_login(world.other_district_user)
    assert client.get(url).status_code == 404


class StatsFuzz(HypothesisTestCase):
    """No query string makes the statistics page or its export fail."""

    @classmethod
    def setUpTestData(cls):
        city = f.CityFactory()
        district = f.DistrictFactory(parent=city)
        cls.officer = f.UserFactory(agency=district)

    @hsettings(max_examples=50, deadline=None)
    @given(start=st.text(max_size=25).filter(lambda v: "\x00" not in v),
           end=st.text(max_size=25).filter(lambda v: "\x00" not in v), by=st.text(max_size=10))
    def test_any_query_string(self, start, end, by):
        self.client.force_login(self.officer)
        for name in ("stats", "stats_export"):
            response = self.client.get(reverse(f"admin:suggestions_suggestion_{name}"),
                                       {"start": start, "end": end, "by": by})
            # A NUL character is refused by core.middleware.BadParameterMiddleware (400), as everywhere.
            assert response.status_code == (400 if "\x00" in by else 200)

    @hsettings(max_examples=30, deadline=None)
    @given(start=st.dates(), end=st.dates(), by=st.sampled_from(["estate", "firm", "street", "district"]))
    def test_any_dates(self, start, end, by):
        self.client.force_login(self.officer)
        response = self.client.get(reverse("admin:suggestions_suggestion_stats"),
                                   {"start": start.isoformat(), "end": end.isoformat(), "by": by})
        assert response.status_code == 200


def test_a_campaign_policy_is_written_by_the_campaigns_issuer_only(client, world):
    from tests.campaign_factories import CampaignFactory

    campaign = CampaignFactory(issuing_agency=world.city, status="published")  # the districts see it
    policy = DeadlinePolicy.objects.create(campaign=campaign, acknowledge_workdays=1, answer_workdays=2)
    url = reverse("admin:suggestions_deadlinepolicy_change", args=[policy.pk])
    client.force_login(world.district_user)
    response = client.post(url, {"campaign": campaign.pk, "acknowledge_workdays": 3, "answer_workdays": 5})
    assert response.status_code == 403
    policy.refresh_from_db()
    assert policy.answer_workdays == 2
    client.force_login(world.city_user)
    assert client.post(url, {"campaign": campaign.pk, "acknowledge_workdays": 3, "answer_workdays": 5}
                       ).status_code == 302
    policy.refresh_from_db()
    assert policy.answer_workdays == 5


def test_the_area_filters_offer_districts_and_streets_of_the_area(client, world, entry, submit):
    other = submit(estate=world.estate2)
    client.force_login(world.city_user)
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert f"?district={world.district.pk}" in html and f"?district={world.street.pk}" not in html
    # A city's staff choose the district first (estates.admin_filters.narrow_streets): then its streets are offered.
    assert f"street={world.street.pk}" not in html
    html = client.get(reverse(CHANGELIST), {"district": world.district.pk}).content.decode()
    assert f"street={world.street.pk}" in html and f"street={world.district.pk}" not in html
    html = client.get(reverse(CHANGELIST), {"street": world.street.pk}).content.decode()
    assert entry.number in html and other.number not in html
    for bad in ("x", "9" * 30):
        assert client.get(reverse(CHANGELIST), {"district": bad}).status_code == 200
