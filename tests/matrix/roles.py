"""The cast of the URL x role matrix: a world of two cities, a user of every role, and objects of every
kind that each role must and must not see.

City 1 has districts D1 (streets S1, S2) and D2 (street S3); city 2 has district D3 (street S4). Firm A
(supervised by D1) manages estates in S1 and S2, firm B (D2) one in S3, the "two" firm (D1) one in S2
and one in S3 (two districts), firm C one in city 2. Every object is registered with ``seen_by``: the
roles that may see it, written out here by hand (never computed by the code under test), and with the
texts and addresses that would betray it on a page (its marker in a name or title, its admin change
address). Markers are ASCII (``MX-...``), unique, and never a prefix of another marker.

``build()`` is called once per test module (tests/matrix/conftest.py) inside a transaction that is
rolled back at the module's end.
"""

import datetime
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tests import factories as f
from tests.campaign_factories import ActionFactory, CampaignFactory, TaskFactory, publish
from tests.campaign_ui_fixtures import jpeg_bytes

ANONYMOUS = "anonymous"
FIRM_A, FIRM_B, FIRM_TWO = "firm_a", "firm_b", "firm_two"
STREET, STREET2, DISTRICT, DISTRICT2, CITY, SUPERUSER = (
    "street", "street2", "district", "district2", "city", "superuser")
ROLES = (ANONYMOUS, FIRM_A, FIRM_B, FIRM_TWO, STREET, STREET2, DISTRICT, DISTRICT2, CITY, SUPERUSER)
FIRMS = frozenset({FIRM_A, FIRM_B, FIRM_TWO})
BUREAU = frozenset({STREET, STREET2, DISTRICT, DISTRICT2, CITY, SUPERUSER})

# Who sees what, by place (the scoping rule of estates/scoping.py, spelt out).
SUPER = frozenset({SUPERUSER})
C1 = SUPER | {CITY}
D1 = C1 | {DISTRICT}
D2 = C1 | {DISTRICT2}
S1 = D1 | {STREET}
S2 = D1 | {STREET2}
ALL_OF_C1 = frozenset(ROLES) - {ANONYMOUS}


@dataclass
class Thing:
    key: str
    obj: object
    seen_by: frozenset
    markers: tuple = ()  # texts that must not appear on the pages of a role outside seen_by | shown_to
    urls: list = field(default_factory=list)  # addresses that must not appear either
    shown_to: frozenset = frozenset()  # roles that read its name elsewhere (a submitter, a parent agency)


class Cast:
    """Users by role, and things by key (``cast["tr_a"].obj``); ``cast.of(model)`` lists one kind."""

    def __init__(self):
        self.users = {}
        self.things = {}

    def add(self, key, obj, seen_by, *markers, shown_to=()):
        thing = Thing(key, obj, frozenset(seen_by), tuple(markers), shown_to=frozenset(shown_to))
        try:
            thing.urls.append(reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk]))
        except NoReverseMatch:
            pass
        self.things[key] = thing
        return obj

    def __getitem__(self, key):
        return self.things[key]

    def of(self, model):
        return [t for t in self.things.values() if type(t.obj) is model]

    def mine(self, model, role, prefer=None):
        """A thing of this model the role must see (the preferred key first)."""
        items = self.of(model)
        if prefer:
            items.sort(key=lambda t: t.key not in prefer)
        return next((t for t in items if role in t.seen_by), None)

    def foreign(self, model, role, prefer=None):
        """A thing of this model the role must not see: the nearest one (listed first in the cast)."""
        items = self.of(model)
        if prefer:
            items.sort(key=lambda t: t.key not in prefer)
        return next((t for t in items if role not in t.seen_by), None)

    def hidden_from(self, role):
        """Everything that must not betray itself on this role's pages."""
        return [t for t in self.things.values() if role not in t.seen_by | t.shown_to]


def _photo(name):
    return ContentFile(jpeg_bytes(), name=name)


def build():
    from accounts.models import User
    from campaigns.models import Activity, EvidenceFile, Obligation, PartyKind, RecordPhoto, Training
    from core.models import Job
    from documents.models import NoticeKind, NoticeTemplate
    from estates.models import Coordinator
    from notifications.models import Digest, Notification, Reminder, ReminderPolicy

    cast = Cast()
    add = cast.add
    today = timezone.localdate()

    # --- the registry ---------------------------------------------------------------------------------
    # Agencies open to their subtree; their names are read further (a parent on its children's pages, the
    # district and street of a firm's estates on the firm's pages).
    c1 = add("c1", f.CityFactory(name="MX-city1"), C1, shown_to=ALL_OF_C1)
    d1 = add("d1", f.DistrictFactory(name="MX-dist1", parent=c1), D1, "MX-dist1",
             shown_to=ALL_OF_C1 - {FIRM_B})
    d2 = add("d2", f.DistrictFactory(name="MX-dist2", parent=c1), D2, "MX-dist2", shown_to={FIRM_B, FIRM_TWO})
    s1 = add("s1", f.StreetFactory(name="MX-str1", parent=d1), S1, "MX-str1", shown_to={FIRM_A})
    s2 = add("s2", f.StreetFactory(name="MX-str2", parent=d1), S2, "MX-str2", shown_to={FIRM_A, FIRM_TWO})
    s3 = add("s3", f.StreetFactory(name="MX-str3", parent=d2), D2, "MX-str3", shown_to={FIRM_B, FIRM_TWO})
    c2 = add("c2", f.CityFactory(name="MX-city2"), SUPER, "MX-city2")
    d3 = add("d3", f.DistrictFactory(name="MX-dist3", parent=c2), SUPER, "MX-dist3")
    s4 = add("s4", f.StreetFactory(name="MX-str4", parent=d3), SUPER, "MX-str4")

    firm_a = add("firm_a", f.FirmFactory(name="MX-firmA", district=d1), D1 | {STREET, STREET2, FIRM_A}, "MX-firmA")
    firm_b = add("firm_b", f.FirmFactory(name="MX-firmB", district=d2), D2 | {FIRM_B}, "MX-firmB")
    firm_two = add("firm_two", f.FirmFactory(name="MX-firmTwo", district=d1), D1 | {DISTRICT2, STREET2, FIRM_TWO},
                   "MX-firmTwo")
    firm_c = add("firm_c", f.FirmFactory(name="MX-firmC", district=d3), SUPER, "MX-firmC")

    def estate(key, code, street, firm, seen_by):
        return add(key, f.EstateFactory(code=code, name=f"MX-est-{code}", street=street, firm=firm), seen_by,
                   f"MX-est-{code}")

    ea1 = estate("ea1", "MXA1", s1, firm_a, S1 | {FIRM_A})
    ea2 = estate("ea2", "MXA2", s2, firm_a, S2 | {FIRM_A})
    eb = estate("eb", "MXB1", s3, firm_b, D2 | {FIRM_B})
    et1 = estate("et1", "MXT1", s2, firm_two, S2 | {FIRM_TWO})
    et2 = estate("et2", "MXT2", s3, firm_two, D2 | {FIRM_TWO})
    ec = estate("ec", "MXC1", s4, firm_c, SUPER)

    # --- users: the roles, and the users as objects of the user admin ----------------------------------
    M, S = User.Role.MANAGER, User.Role.STAFF
    people = {
        FIRM_A: dict(firm=firm_a, role=M, seen=D1, shown={STREET, STREET2}),  # submitter of S1/S2 evidence
        FIRM_B: dict(firm=firm_b, role=M, seen=D2 | {FIRM_B}),
        FIRM_TWO: dict(firm=firm_two, role=M, seen=D1, shown={DISTRICT2}),  # submitter of D2 evidence
        STREET: dict(agency=s1, role=S, seen=S1),
        STREET2: dict(agency=s2, role=S, seen=S2),
        DISTRICT: dict(agency=d1, role=M, seen=D1),
        DISTRICT2: dict(agency=d2, role=S, seen=D2),
        CITY: dict(agency=c1, role=M, seen=C1),
        SUPERUSER: dict(agency=c1, role=M, seen=C1, is_superuser=True),
    }
    for role, spec in people.items():
        seen, shown = spec.pop("seen"), spec.pop("shown", ())
        user = f.UserFactory(username=f"mx-{role}-u", email=f"mx-{role}@example.com", **spec)
        cast.users[role] = user
        # Users open only in the user admin (bureau staff); a firm user does not open its own account there.
        add(f"user_{role}", user, seen | ({role} & BUREAU), f"mx-{role}-u", shown_to={role, *shown})
    cast.users[ANONYMOUS] = None
    add("user_c2", f.UserFactory(username="mx-city2-u", agency=c2, role=M), SUPER, "mx-city2")
    add("user_firm_c", f.UserFactory(username="mx-firmc-u", firm=firm_c, role=M), SUPER, "mx-firmc-u")

    # --- campaigns: a live one in each city, drafts of each district and of city 2 ---------------------
    def campaign(key, name, agency, seen_by, *, live=False, party_kinds=(PartyKind.ESTATE, PartyKind.FIRM)):
        c = CampaignFactory(name=name, issuing_agency=agency, year=today.year,
                            start_date=today - datetime.timedelta(days=60),
                            end_date=today + datetime.timedelta(days=120))
        action = ActionFactory(campaign=c, name=f"{name}-action")
        tasks = {}
        for kind in party_kinds:
            tasks[kind] = TaskFactory(action=action, title=f"{name}-task-{kind}", party_kind=kind,
                                      window_start=today - datetime.timedelta(days=30),
                                      deadline=today + datetime.timedelta(days=10), evidence_kinds=["text"])
        if live:
            publish(c, user=None)
            c.refresh_from_db()
        add(key, c, seen_by, *([name] if seen_by != ALL_OF_C1 else []))
        add(f"action_{key}", action, seen_by)
        for kind, task in tasks.items():
            add(f"task_{key}_{kind}", task, seen_by)
        return c, tasks

    live1, live1_tasks = campaign("live1", "MX-live1", c1, ALL_OF_C1, live=True)
    draft_d1, _ = campaign("draft_d1", "MX-draftD1", d1, D1, party_kinds=(PartyKind.ESTATE,))
    draft_d2, _ = campaign("draft_d2", "MX-draftD2", d2, D2, party_kinds=(PartyKind.ESTATE,))
    draft_c2, _ = campaign("draft_c2", "MX-draftC2", c2, SUPER, party_kinds=(PartyKind.ESTATE,))
    live2, live2_tasks = campaign("live2", "MX-live2", c2, SUPER, live=True)

    # --- obligations, evidence and its files ----------------------------------------------------------
    obligations = {}
    for key, target, seen_by in [
        ("ob_ea1", ea1, S1 | {FIRM_A}), ("ob_ea2", ea2, S2 | {FIRM_A}), ("ob_eb", eb, D2 | {FIRM_B}),
        ("ob_et1", et1, S2 | {FIRM_TWO}), ("ob_et2", et2, D2 | {FIRM_TWO}), ("ob_ec", ec, SUPER),
    ]:
        task = (live2_tasks if target is ec else live1_tasks)[PartyKind.ESTATE]
        obligations[key] = add(key, Obligation.objects.get(task=task, estate=target), seen_by)
    for key, firm, seen_by in [("ob_fa", firm_a, D1 | {FIRM_A}), ("ob_fb", firm_b, D2 | {FIRM_B}),
                               ("ob_ftwo", firm_two, D1 | {FIRM_TWO}), ("ob_fc", firm_c, SUPER)]:
        task = (live2_tasks if firm is firm_c else live1_tasks)[PartyKind.FIRM]
        obligations[key] = add(key, Obligation.objects.get(task=task, firm=firm), seen_by)

    from campaigns import services

    def submit(ob_key, user, marker):
        thing = cast[ob_key]
        evidence = services.obligation_submit(
            obligation=thing.obj, user=user, text=marker,
            files=[(EvidenceFile.Kind.PHOTO, _photo(f"{marker}.jpg"))])
        thing.obj.refresh_from_db()
        thing.markers = (marker,)
        add(f"ef_{ob_key}", evidence.files.get(), thing.seen_by)
        add(f"ev_{ob_key}", thing.obj.events.order_by("pk").last(), thing.seen_by - FIRMS)

    submit("ob_ea1", cast.users[FIRM_A], "MX-evid-ea1")
    submit("ob_ea2", cast.users[FIRM_A], "MX-evid-ea2")
    submit("ob_eb", cast.users[FIRM_B], "MX-evid-eb")
    submit("ob_et2", cast.users[FIRM_TWO], "MX-evid-et2")
    submit("ob_ec", cast["user_firm_c"].obj, "MX-evid-ec")
    submit("ob_fb", cast.users[FIRM_B], "MX-evid-fb")

    # --- records: trainings, activities and their photos; coordinators -------------------------------
    def training(key, seen_by, **organiser):
        t = Training.objects.create(date=today - datetime.timedelta(days=3), topic=f"MX-train-{key}",
                                    attendee_count=5, **organiser)
        add(key, t, seen_by, f"MX-train-{key}")
        add(f"photo_{key}", RecordPhoto.objects.create(training=t, file=_photo(f"{key}.jpg"),
                                                       original_name=f"{key}.jpg"), seen_by)

    training("tr_a", D1 | {FIRM_A}, organiser_firm=firm_a)
    training("tr_b", D2 | {FIRM_B}, organiser_firm=firm_b)
    training("tr_two", D1 | {FIRM_TWO}, organiser_firm=firm_two)
    training("tr_c", SUPER, organiser_firm=firm_c)
    training("tr_d1", D1, organiser_agency=d1)
    training("tr_d2", D2, organiser_agency=d2)

    def activity(key, firm, estate_obj, seen_by):
        a = Activity.objects.create(kind=Activity.Kind.FRIENDSHIP, date=today - datetime.timedelta(days=2),
                                    title=f"MX-act-{key}", firm=firm, estate=estate_obj, participant_count=3)
        add(key, a, seen_by, f"MX-act-{key}")
        add(f"photo_{key}", RecordPhoto.objects.create(activity=a, file=_photo(f"{key}.jpg"),
                                                       original_name=f"{key}.jpg"), seen_by)

    activity("act_a1", firm_a, ea1, S1 | {FIRM_A})
    activity("act_a2", firm_a, ea2, S2 | {FIRM_A})
    activity("act_b", firm_b, eb, D2 | {FIRM_B})
    activity("act_two_d2", firm_two, et2, D2 | {FIRM_TWO})
    activity("act_two_firm", firm_two, None, D1 | {FIRM_TWO})
    activity("act_c", firm_c, ec, SUPER)

    for key, target, seen_by in [("co_ea1", ea1, S1 | {FIRM_A}), ("co_ea2", ea2, S2 | {FIRM_A}),
                                 ("co_eb", eb, D2 | {FIRM_B}), ("co_et2", et2, D2 | {FIRM_TWO}),
                                 ("co_ec", ec, SUPER)]:
        add(key, Coordinator.objects.create(estate=target, name=f"MX-coord-{key}", phone="13800000001",
                                            appointed_on=today - datetime.timedelta(days=30)),
            seen_by, f"MX-coord-{key}")

    # --- reminders, digests, policies, in-app notifications ------------------------------------------
    for key, ob_key in [("rem_ea1", "ob_ea1"), ("rem_ea2", "ob_ea2"), ("rem_eb", "ob_eb"), ("rem_ec", "ob_ec"),
                        ("rem_fb", "ob_fb")]:
        ob = cast[ob_key].obj
        add(key, Reminder.objects.create(obligation=ob, campaign=ob.campaign, kind=Reminder.Kind.BEFORE, date=today,
                                         due_date=ob.due_date, state=Reminder.State.FAILED, attempts=1,
                                         recipients=f"MX-rcpt-{key}"),
            cast[ob_key].seen_by - FIRMS, f"MX-rcpt-{key}")
    monday = today - datetime.timedelta(days=today.weekday())
    for key, role, agency, seen_by in [("dg_d1", DISTRICT, d1, D1), ("dg_d2", DISTRICT2, d2, D2),
                                       ("dg_c2", None, d3, SUPER)]:
        user = cast.users[role] if role else cast["user_c2"].obj
        add(key, Digest.objects.create(user=user, agency=agency, week=monday, date=today, overdue_count=1,
                                       recipients=f"MX-rcpt-{key}"), seen_by, f"MX-rcpt-{key}")
    add("pol_live1", ReminderPolicy.objects.create(campaign=live1), C1)
    add("pol_d2", ReminderPolicy.objects.create(campaign=draft_d2), D2)
    add("pol_c2", ReminderPolicy.objects.create(campaign=live2), SUPER)
    for role, user in cast.users.items():
        if user is not None:
            add(f"note_{role}", Notification.objects.create(user=user, title=f"MX-note-{role}-n", link="/"),
                {role}, f"MX-note-{role}-n")

    # A message to an organisation follows it (an agency's subtree; a firm's supervising district and the firm);
    # one to a bare address (no account) only the superuser sees.
    from notifications.models import OutboxMessage

    Kind = OutboxMessage.RecipientKind
    for key, kind, target, seen_by in [("msg_d1", Kind.AGENCY, d1, D1), ("msg_firm_b", Kind.FIRM, firm_b, D2),
                                       ("msg_d3", Kind.AGENCY, d3, SUPER), ("msg_phone", Kind.ADDRESS, None, SUPER)]:
        fields = {"agency": target} if kind == Kind.AGENCY else {"firm": target} if kind == Kind.FIRM else {
            "address": "13800000009", "address_channel": "sms"}
        add(key, OutboxMessage.objects.create(kind="mx.test", key=key, date=today, recipient=f"{kind}:{key}",
                                              recipient_kind=kind, subject=f"MX-msg-{key}", state="failed",
                                              attempts=1, **fields), seen_by, f"MX-msg-{key}")

    # --- notice texts ---------------------------------------------------------------------------------
    add("nt_generic", NoticeTemplate.objects.create(kind=NoticeKind.OPEN_LETTER, title="MX-notice-generic",
                                                    body="正文"), BUREAU)
    add("nt_live1", NoticeTemplate.objects.create(campaign=live1, kind=NoticeKind.OPEN_LETTER,
                                                  title="MX-notice-live1", body="正文"), C1, "MX-notice-live1")
    add("nt_d2", NoticeTemplate.objects.create(campaign=draft_d2, kind=NoticeKind.OPEN_LETTER,
                                               title="MX-notice-d2", body="正文"), D2, "MX-notice-d2")
    add("nt_c2", NoticeTemplate.objects.create(campaign=draft_c2, kind=NoticeKind.OPEN_LETTER,
                                               title="MX-notice-c2", body="正文"), SUPER, "MX-notice-c2")

    # --- long jobs with a result file: the owner's organisation sees them -----------------------------
    for role in (FIRM_A, FIRM_B, FIRM_TWO, STREET, STREET2, DISTRICT, DISTRICT2, CITY):
        user = cast.users[role]
        job = Job(kind="documents.notices", title=f"MX-job-{role}-j", owner=user,
                  organisation=user.organisation_key, state=Job.State.DONE, progress=100, result_name="result.pdf",
                  expires_at=timezone.now() + datetime.timedelta(days=1))
        job.result.save("result.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        job.save()
        add(f"job_{role}", job, {role, SUPERUSER}, f"MX-job-{role}-j")

    _suggestions(cast)
    _api_clients(cast)
    _system_objects(cast)
    return cast


def _suggestions(cast):
    """The suggestion box: an entry (with a photo) at each of the estates, located like its estate; each firm's
    reply template, a firm-level record (the firm and its supervising district's subtree)."""
    from suggestions import photos, services
    from suggestions.models import ReplyTemplate

    add = cast.add
    for key in ("ea1", "ea2", "eb", "et2", "ec"):
        estate = cast[key]
        upload = _photo(f"sg-{key}.jpg")
        entry = services.suggestion_submit(
            estate=estate.obj, category="facilities", text=f"MX-sugg-{key} 东门路灯坏了三天。",
            name=f"MX-resident-{key}", photos=[photos.prepare(upload)])
        add(f"sg_{key}", entry, estate.seen_by, f"MX-sugg-{key}", f"MX-resident-{key}", entry.number)
        add(f"sg_photo_{key}", entry.photos.get(), estate.seen_by)
    for key, seen_by in [("firm_a", D1 | {FIRM_A}), ("firm_b", D2 | {FIRM_B}), ("firm_two", D1 | {FIRM_TWO}),
                         ("firm_c", SUPER)]:
        add(f"rt_{key}", ReplyTemplate.objects.create(firm=cast[key].obj, title=f"MX-reply-{key}",
                                                      text="已安排维修。"), seen_by, f"MX-reply-{key}")
    # Deadline policies of the districts (the district's subtree), poster prints at estates (the estate's).
    from suggestions.models import DeadlinePolicy, PosterPrint

    for key, district, seen_by in [("dp_d1", "d1", D1), ("dp_d2", "d2", D2), ("dp_d3", "d3", SUPER)]:
        add(key, DeadlinePolicy.objects.create(district=cast[district].obj, answer_workdays=3), seen_by)
    for key in ("ea1", "eb", "ec"):
        add(f"pp_{key}", PosterPrint.objects.create(estate=cast[key].obj, printed_on=timezone.localdate()),
            cast[key].seen_by)


def _api_clients(cast):
    """A hotline API client of each district of city 1 (suggestions/api_services.py): its district and the city."""
    from suggestions import api_services

    for key, seen_by in (("d1", D1), ("d2", D2)):
        client, _token = api_services.api_client_issue(district=cast[key].obj, name=f"MX-api-{key}")
        cast.add(f"api_{key}", client, seen_by, f"MX-api-{key}")


def _system_objects(cast):
    """One row of each technical model (superuser-only admins), so that their object pages are requested."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    from core.models import CalendarDay

    add = cast.add
    interval = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    add("beat_interval", interval, SUPER)
    add("beat_crontab", CrontabSchedule.objects.create(minute="0", hour="3"), SUPER)
    add("beat_solar", SolarSchedule.objects.create(event="sunrise", latitude=29.87, longitude=121.55), SUPER)
    add("beat_clocked", ClockedSchedule.objects.create(clocked_time=timezone.now()), SUPER)
    add("beat_task", PeriodicTask.objects.create(name="mx-task", task="mx.task", interval=interval), SUPER)
    add("axes_attempt", AccessAttempt.objects.create(username="mx-x", ip_address="10.0.0.1", failures_since_start=1,
                                                     user_agent="t", get_data="", post_data="", http_accept="",
                                                     path_info="/"), SUPER)
    add("axes_log", AccessLog.objects.create(username="mx-x", ip_address="10.0.0.1", user_agent="t",
                                             http_accept="", path_info="/"), SUPER)
    add("axes_failure", AccessFailureLog.objects.create(username="mx-x", ip_address="10.0.0.1", user_agent="t",
                                                        http_accept="", path_info="/", locked_out=False), SUPER)
    add("group", Group.objects.create(name="mx-group"), SUPER)
    add("calendar_day", CalendarDay.objects.create(date=datetime.date(2031, 1, 2), is_workday=False,
                                                   note="MX-cal"), BUREAU)
