"""The suggestion box's writes: submit, the firm's steps, the resident's steps, moderation, retention."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import CalendarDay
from notifications.models import OutboxMessage
from suggestions import deadlines, messaging, services
from suggestions.models import DeadlinePolicy, Suggestion, SuggestionEvent
from suggestions.privacy import mask_mobile, normalize_mobile
from tests.suggestions.conftest import TEXT, at

pytestmark = pytest.mark.django_db
State = Suggestion.State


def kinds(entry):
    return list(entry.events.values_list("kind", flat=True))


def test_submit_stores_the_entry_its_history_and_tells_the_firm_and_the_resident(world, entry):
    assert entry.number.startswith("YJ") and len(entry.number) == 13
    assert len(entry.token) >= 43 and entry.token not in entry.number
    assert (entry.firm, entry.district, entry.street) == (world.firm, world.district, world.street)
    assert entry.state == State.NEW and kinds(entry) == ["submitted"]
    assert entry.mobile == "13800138000" and entry.client_hash and "203.0.113.7" not in entry.client_hash
    sent = dict(OutboxMessage.objects.values_list("kind", "recipient_kind"))
    assert sent[messaging.RECEIVED] == "firm"
    assert sent[messaging.RESIDENT_UPDATE] == "address"
    firm_payload = OutboxMessage.objects.get(kind=messaging.RECEIVED).payload
    assert "token" not in firm_payload  # the resident's key never sits in staff-visible logs


def test_anonymous_entries_keep_no_name_or_mobile_and_send_the_resident_nothing(submit):
    entry = submit(anonymous=True)
    assert (entry.name, entry.mobile, entry.consent_contact) == ("", "", False)
    assert not OutboxMessage.objects.filter(kind=messaging.RESIDENT_UPDATE).exists()


def test_without_consent_the_resident_gets_no_message(submit):
    submit(consent_contact=False)
    assert not OutboxMessage.objects.filter(kind=messaging.RESIDENT_UPDATE).exists()


@pytest.mark.parametrize("text, message", [("太短", "至少"), ("长" * 2001, "最多"), ("   ", "请填写")])
def test_bad_text_is_refused_in_words(submit, text, message):
    with pytest.raises(ValidationError) as error:
        submit(text=text)
    assert message in str(error.value)
    assert not Suggestion.private_objects.exists()


@pytest.mark.parametrize("mobile", ["12345", "010-62345678", "+1 415 555 0100", "abc"])
def test_bad_mobiles_are_refused(submit, mobile):
    with pytest.raises(ValidationError, match="手机号码"):
        submit(mobile=mobile)


def test_mobiles_are_normalised_and_masked():
    assert normalize_mobile("+86 138-0013-8000") == "13800138000"
    assert mask_mobile("13800138000") == "138****8000"
    assert mask_mobile("") == ""


def test_an_unknown_category_is_refused(submit):
    with pytest.raises(ValidationError, match="类别"):
        submit(category="<script>")


def test_the_firm_acknowledges_replies_resolves_and_the_resident_rates_and_reopens_once(world, entry):
    entry = services.suggestion_acknowledge(suggestion=entry, user=world.firm_user)
    assert entry.state == State.ACKNOWLEDGED and entry.acknowledged_on_time
    entry = services.suggestion_reply(suggestion=entry, user=world.firm_user, text="已安排电工今天下午维修。")
    assert entry.state == State.IN_PROGRESS and entry.answered_on_time and entry.answered_at
    entry = services.suggestion_resolve(suggestion=entry, user=world.firm_user, text="路灯已修好。")
    assert entry.state == State.RESOLVED and entry.finished_at
    entry = services.suggestion_rate(suggestion=entry, rating=2, comment="修得太慢")
    assert entry.rating == 2
    entry = services.suggestion_reopen(suggestion=entry, text="又坏了")
    assert entry.state == State.IN_PROGRESS and entry.reopen_count == 1 and entry.answered_at is None
    assert entry.answered_on_time  # judged once, at the first answer
    entry = services.suggestion_resolve(suggestion=entry, user=world.firm_user, text="更换了灯具。")
    with pytest.raises(ValidationError, match="一次"):
        services.suggestion_reopen(suggestion=entry, text="还是不行")
    assert kinds(entry) == ["submitted", "acknowledged", "reply", "resolved", "rated", "reopened", "resolved"]


def test_only_the_handling_firm_acts(world, entry):
    for user in (world.other_firm_user, world.district_user):
        with pytest.raises(PermissionDenied):
            services.suggestion_acknowledge(suggestion=entry, user=user)
    assert Suggestion.private_objects.get().state == State.NEW


def test_steps_out_of_order_are_refused_and_change_nothing(world, entry):
    with pytest.raises(ValidationError, match="评价"):
        services.suggestion_rate(suggestion=entry, rating=5)
    services.suggestion_close(suggestion=entry, user=world.firm_user, reason="该路灯属市政设施，已报市政。")
    with pytest.raises(ValidationError, match="状态"):
        services.suggestion_acknowledge(suggestion=entry, user=world.firm_user)
    with pytest.raises(ValidationError, match="已办结"):
        services.suggestion_follow_up(suggestion=entry, text="补充一下")
    entry.refresh_from_db()
    assert entry.state == State.CLOSED and entry.close_reason.startswith("该路灯")


def test_a_referral_tells_the_district(world, entry):
    services.suggestion_refer(suggestion=entry, user=world.firm_user, reason="属于规划问题，非物业职责。")
    row = OutboxMessage.objects.get(kind=messaging.REFERRED)
    assert row.recipient_kind == "agency" and row.agency == world.district


@pytest.mark.parametrize("rating", [0, 6, "x", None])
def test_ratings_outside_1_to_5_are_refused(world, entry, rating):
    services.suggestion_resolve(suggestion=entry, user=world.firm_user, text="已处理完毕。")
    with pytest.raises(ValidationError, match="1 到 5"):
        services.suggestion_rate(suggestion=entry, rating=rating)


def test_deadlines_count_working_days_across_a_holiday(submit):
    # 2025-09-30 (Tue) before National Day: 10-01..10-08 off, 09-28 and 10-11 make-up working days.
    entry = submit(received=at(datetime.date(2025, 9, 30), 18))
    assert entry.acknowledge_due == datetime.date(2025, 10, 9)
    assert entry.answer_due == datetime.date(2025, 10, 10)
    assert not deadlines.is_overdue(entry, today=datetime.date(2025, 10, 8))
    assert deadlines.is_overdue(entry, today=datetime.date(2025, 10, 10))  # not acknowledged by 10-09
    assert Suggestion.private_objects.filter(deadlines.overdue_q(datetime.date(2025, 10, 10))).count() == 1


def test_calendar_overrides_entered_by_staff_move_deadlines(submit):
    CalendarDay.objects.create(date=datetime.date(2027, 3, 2), is_workday=False, note="地方假日")
    entry = submit(received=at(datetime.date(2027, 3, 1)))  # Monday
    assert entry.acknowledge_due == datetime.date(2027, 3, 3)


def test_a_district_policy_and_a_running_campaign_policy_set_the_deadlines(world, submit):
    from campaigns.models import Campaign

    DeadlinePolicy.objects.create(district=world.district, acknowledge_workdays=2, answer_workdays=5)
    day = datetime.date(2025, 11, 3)  # Monday
    assert submit(received=at(day)).answer_due == datetime.date(2025, 11, 10)
    campaign = Campaign.objects.create(name="2025 年文明物业创建", year=2025, issuing_agency=world.city,
                                       status="published", start_date=datetime.date(2025, 1, 1),
                                       end_date=datetime.date(2025, 12, 31))
    DeadlinePolicy.objects.create(campaign=campaign, acknowledge_workdays=1, answer_workdays=1)
    assert submit(received=at(day)).answer_due == datetime.date(2025, 11, 4)
    assert deadlines.policy_for(world.other_estate, on=day).source == "campaign"  # the city's campaign covers it


def test_the_most_specific_running_campaign_policy_wins_and_the_deadlines_cost_two_queries(
        world, django_assert_num_queries):
    from campaigns.models import Campaign

    def campaign(agency, start, end, status="published"):
        return Campaign.objects.create(name=f"{agency.name}{start:%m%d}", year=2025, issuing_agency=agency,
                                       status=status, start_date=start, end_date=end)

    day = datetime.date(2025, 11, 3)  # Monday
    DeadlinePolicy.objects.create(district=world.district, acknowledge_workdays=3, answer_workdays=6)
    DeadlinePolicy.objects.create(campaign=campaign(world.city, datetime.date(2025, 1, 1),
                                                    datetime.date(2025, 12, 31)), acknowledge_workdays=2,
                                  answer_workdays=4)
    DeadlinePolicy.objects.create(campaign=campaign(world.district, datetime.date(2025, 1, 1),
                                                    datetime.date(2025, 10, 31)), acknowledge_workdays=1,
                                  answer_workdays=1)  # ended before the day
    DeadlinePolicy.objects.create(campaign=campaign(world.district, datetime.date(2025, 11, 1),
                                                    datetime.date(2025, 11, 30), status="draft"),
                                  acknowledge_workdays=1, answer_workdays=1)  # not published
    DeadlinePolicy.objects.create(campaign=campaign(world.other_district, datetime.date(2025, 11, 1),
                                                    datetime.date(2025, 11, 30)), acknowledge_workdays=5,
                                  answer_workdays=9)  # another district's
    assert deadlines.policy_for(world.estate, on=day) == deadlines.Policy(2, 4, "campaign")  # the city's
    district_campaign = campaign(world.district, datetime.date(2025, 11, 1), datetime.date(2025, 11, 30))
    DeadlinePolicy.objects.create(campaign=district_campaign, acknowledge_workdays=1, answer_workdays=3)
    assert deadlines.policy_for(world.estate, on=day) == deadlines.Policy(1, 3, "campaign")  # the district's
    assert deadlines.policy_for(world.estate, on=datetime.date(2026, 1, 5)) == deadlines.Policy(3, 6, "district")
    assert deadlines.policy_for(world.other_estate, on=day) == deadlines.Policy(5, 9, "campaign")
    CalendarDay.objects.create(date=datetime.date(2025, 11, 5), is_workday=False, note="地方假日")
    received = at(day)
    with django_assert_num_queries(2):  # the policy; the calendar's overrides of one span for both deadlines
        assert deadlines.due_dates(world.estate, received) == (datetime.date(2025, 11, 4), datetime.date(2025, 11, 7))
    policy = DeadlinePolicy.objects.get(campaign=district_campaign)  # saved: the kept deadlines are renewed
    policy.acknowledge_workdays, policy.answer_workdays = 4, 2
    policy.save()
    with django_assert_num_queries(2):  # also when the acknowledgement takes longer than the answer
        assert deadlines.due_dates(world.estate, received) == (datetime.date(2025, 11, 10), datetime.date(2025, 11, 6))


def test_a_policy_needs_exactly_one_of_district_and_campaign(world):
    with pytest.raises(ValidationError):
        DeadlinePolicy(acknowledge_workdays=1, answer_workdays=2).full_clean()
    with pytest.raises(ValidationError, match="答复时限"):
        DeadlinePolicy(district=world.district, acknowledge_workdays=3, answer_workdays=2).full_clean()


def test_moderation_hides_redacts_and_logs_privately(world, entry):
    services.suggestion_hide(suggestion=entry, user=world.district_user, reason="辱骂他人")
    assert not Suggestion.public_objects.exists() and Suggestion.private_objects.exists()
    services.suggestion_redact(suggestion=entry, user=world.district_user, text="小区东门的路灯坏了（已隐去）")
    entry.refresh_from_db()
    assert entry.text == TEXT and entry.public_text == "小区东门的路灯坏了（已隐去）"
    services.suggestion_unhide(suggestion=entry, user=world.district_user)
    private = SuggestionEvent.objects.filter(public=False).values_list("kind", flat=True)
    assert sorted(private) == ["hidden", "redacted", "unhidden"]
    with pytest.raises(ValidationError, match="屏蔽原因"):
        services.suggestion_hide(suggestion=entry, user=world.district_user, reason=" ")


def test_retention_erases_personal_data_and_keeps_the_statistics(world, submit, settings):
    old = submit(received=timezone.now() - datetime.timedelta(days=800))
    services.suggestion_resolve(suggestion=old, user=world.firm_user, text="已处理，联系王阿姨 13800138000。")
    services.suggestion_rate(suggestion=old, rating=4, comment="还行")
    Suggestion.private_objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=731))
    recent = submit()
    assert services.erase_personal_data() == 1
    assert services.erase_personal_data() == 0  # idempotent
    old.refresh_from_db()
    assert (old.name, old.mobile, old.rating_comment) == ("", "", "") and old.erased_at
    assert "13800138000" not in "".join(old.events.values_list("text", flat=True))
    assert (old.rating, old.state, old.category, old.answered_on_time) == (4, State.RESOLVED, "facilities", False)
    recent.refresh_from_db()
    assert recent.mobile == "13800138000"
