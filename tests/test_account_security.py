"""Records follow their estate or their firm's supervising district; a firm's accounts are its own.

Three holes of issue 14, each tested over its whole class:

* records located at an estate leaked through their firm (a street officer opened another street's
  activity and its photos because the activity's firm also manages an estate in their street): every
  kind of record (obligations, evidence and its files, events, reminders, trainings, activities and
  their photos, coordinators, users, jobs), at an estate and at firm level, for every role, in the admin
  changelists (which the Excel exports write), the change pages, the portal and the file downloads;
* a district officer could create, or set the password of, users of any firm managing an estate in
  their district, and log in as that firm: only city staff manage a firm's users, and nobody sets
  another person's password (a one-time link goes to the person's own email);
* ``make run`` served every upload under ``/media/``: no URL serves MEDIA_ROOT, DEBUG or not.
"""

import datetime
import importlib

import pytest
from django.contrib import admin
from django.core import mail
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import clear_url_caches, reverse

from accounts.models import User
from campaigns.models import (
    Activity,
    Evidence,
    EvidenceFile,
    Obligation,
    ObligationEvent,
    PartyKind,
    RecordPhoto,
    Training,
)
from core.models import Job
from estates import scoping
from estates.models import Coordinator
from estates.scoped_admin import ScopedAdmin
from notifications.models import OutboxMessage, Reminder
from suggestions import services as suggestion_services
from suggestions.models import Category, PosterPrint, Suggestion
from tests import campaign_factories as cf
from tests import factories as f

BUREAU = ["superuser", "city", "district", "other_district", "street"]
DAY = datetime.date(2011, 8, 1)

# Who sees a record (superuser and city always do; firm: the firm's own user).
AT_ESTATE2 = {"superuser", "city", "district", "firm"}  # estate2: the district's other street
AT_CROSS = {"superuser", "city", "other_district", "firm"}  # an estate of the firm in the other district
FIRM_LEVEL = {"superuser", "city", "district", "firm"}  # the firm's supervising district, not its estates'
ROLES = [*BUREAU, "firm", "other_firm"]


@pytest.fixture
def records(world, settings):
    """world.firm (supervised by world.district) manages estate (street), estate2 (other_street) and, here,
    cross_estate in the other district. One record of every kind at estate2, at cross_estate and at firm level."""
    w = world
    w.cross_estate = f.EstateFactory(code="JB009", name="跨区小区", street=w.far_street, firm=w.firm)
    w.superuser = f.UserFactory(username="root", is_superuser=True)
    w.users = {"superuser": w.superuser, "city": w.city_user, "district": w.district_user,
               "other_district": w.other_district_user, "street": w.street_user, "firm": w.firm_user,
               "other_firm": w.other_firm_user}
    campaign = cf.CampaignFactory(issuing_agency=w.city, status="published")
    estate_task = cf.TaskFactory(action=cf.ActionFactory(campaign=campaign), party_kind=PartyKind.ESTATE)
    firm_task = cf.TaskFactory(action=estate_task.action, party_kind=PartyKind.FIRM)
    w.kinds = {}

    def obligation(where, **party):
        estate = party.get("estate")
        ob = Obligation.objects.create(
            campaign=campaign, task=firm_task if "firm" in party else estate_task, reviewer=w.district,
            district=estate.district if estate else w.firm.district, street=estate.street if estate else None,
            period_start=DAY, period_end=DAY, due_date=DAY, **party)
        evidence = Evidence.objects.create(obligation=ob, text="说明")
        item = EvidenceFile(evidence=evidence, kind=EvidenceFile.Kind.PHOTO, original_name=f"{where}.jpg")
        item.file.save(f"{where}.jpg", ContentFile(b"\xff\xd8\xff\xe0" + b"0" * 64), save=True)
        event = ObligationEvent.objects.create(obligation=ob, kind="submit", from_state="open", to_state="submitted")
        reminder = Reminder.objects.create(obligation=ob, campaign=campaign, kind="before", date=DAY, due_date=DAY)
        w.kinds.setdefault(Obligation, {})[where] = ob
        w.kinds.setdefault(Evidence, {})[where] = evidence
        w.kinds.setdefault(EvidenceFile, {})[where] = item
        w.kinds.setdefault(ObligationEvent, {})[where] = event
        w.kinds.setdefault(Reminder, {})[where] = reminder

    def activity(where, estate):
        act = Activity.objects.create(kind="friendship", date=DAY, title=f"活动{where}", firm=w.firm, estate=estate)
        photo = RecordPhoto(activity=act, original_name=f"act-{where}.jpg")
        photo.file.save(f"act-{where}.jpg", ContentFile(b"\xff\xd8\xff\xe0" + b"1" * 64), save=True)
        w.kinds.setdefault(Activity, {})[where] = act
        w.kinds.setdefault(RecordPhoto, {})[where] = photo

    obligation("estate2", estate=w.estate2)
    obligation("cross", estate=w.cross_estate)
    obligation("firm", firm=w.firm)
    activity("estate2", w.estate2)
    activity("cross", w.cross_estate)
    activity("firm", None)
    training = Training.objects.create(date=DAY, topic="企业培训", organiser_firm=w.firm, attendee_count=5)
    tphoto = RecordPhoto(training=training, original_name="training.jpg")
    tphoto.file.save("training.jpg", ContentFile(b"\xff\xd8\xff\xe0" + b"2" * 64), save=True)
    w.kinds[Training] = {"firm": training}
    w.kinds[RecordPhoto]["training"] = tphoto
    w.kinds[Coordinator] = {"estate2": f.CoordinatorFactory(estate=w.estate2),
                            "cross": f.CoordinatorFactory(estate=w.cross_estate)}
    w.firm_manager = f.UserFactory(username="firm-manager", firm=w.firm, role=User.Role.MANAGER)
    w.kinds[User] = {"firm": w.firm_manager}
    # A job (an export, its file) belongs to whoever started it and their organisation, nobody else.
    w.kinds[Job] = {"job": Job.objects.create(kind="export", owner=w.firm_user,
                                                     organisation=w.firm_user.organisation_key)}
    # An outbox message to the firm follows the firm (its supervising district), like firm-level records.
    w.kinds[OutboxMessage] = {"firm": OutboxMessage.objects.create(
        kind="campaigns.new_work", key="publish", date=DAY, recipient=f"firm:{w.firm.pk}", recipient_kind="firm",
        firm=w.firm)}
    # Residents' entries and poster prints are located at their estate: they follow it (the firm handles them).
    w.kinds[Suggestion] = {where: suggestion_services.suggestion_submit(
        estate=estate, category=Category.OTHER, text=f"居民意见：{where} 的楼道灯坏了。") for where, estate in
        (("estate2", w.estate2), ("cross", w.cross_estate))}
    w.kinds[PosterPrint] = {where: PosterPrint.objects.create(estate=estate, printed_on=DAY) for where, estate in
                            (("estate2", w.estate2), ("cross", w.cross_estate))}
    return w


VISIBLE = {"estate2": AT_ESTATE2, "cross": AT_CROSS, "firm": FIRM_LEVEL, "training": FIRM_LEVEL,
           "job": {"superuser", "firm"}}


def _cases(kinds):
    return [pytest.param(model, where, role, id=f"{model.__name__}-{where}-{role}")
            for model, wheres in kinds for where in wheres for role in ROLES]


RECORD_KINDS = [
    (Obligation, ("estate2", "cross", "firm")), (Evidence, ("estate2", "cross", "firm")),
    (EvidenceFile, ("estate2", "cross", "firm")), (ObligationEvent, ("estate2", "cross", "firm")),
    (Reminder, ("estate2", "cross", "firm")), (Activity, ("estate2", "cross", "firm")),
    (RecordPhoto, ("estate2", "cross", "firm", "training")), (Training, ("firm",)),
    (Coordinator, ("estate2", "cross")), (User, ("firm",)), (Job, ("job",)), (OutboxMessage, ("firm",)),
    (Suggestion, ("estate2", "cross")), (PosterPrint, ("estate2", "cross")),
]


def test_every_scoped_admin_with_record_links_is_in_this_file():
    """A new record model with a scoped admin must join RECORD_KINDS (and the fixture above)."""
    covered = {model for model, _ in RECORD_KINDS}
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, ScopedAdmin) and _reaches_estate_or_firm(model):
            assert model in covered, f"{model.__name__}: add records of it to tests/test_account_security.py"


def _reaches_estate_or_firm(model):
    """Whether the model's scope declaration links it to an estate or a firm (directly or through "via")."""
    links = scoping.declaration(model) or {}
    if any(kind in ("estate", "firm") and path for kind, path in links.items()):
        return True
    vias = links.get("via") or ()
    for path in (vias,) if isinstance(vias, str) else vias:
        target = model
        for name in path.split("__"):
            target = target._meta.get_field(name).related_model
        if _reaches_estate_or_firm(target):
            return True
    return False


def _admin_rows(client, model, user):
    """The ids of the admin changelist (what its Excel export writes) for ``model``."""
    if model not in admin.site._registry:
        return None
    client.force_login(user)
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    if response.status_code != 200:
        return set()
    return {obj.pk for obj in response.context["cl"].queryset}


@pytest.mark.parametrize(("model", "where", "role"), _cases(RECORD_KINDS))
def test_a_record_is_visible_exactly_where_its_estate_or_its_firms_district_is(client, records, model, where, role):
    obj = records.kinds[model][where]
    user = records.users[role]
    expected = role in VISIBLE[where]
    if role in BUREAU:
        rows = _admin_rows(client, model, user)
        if rows is not None:
            assert (obj.pk in rows) == expected
            opts = model._meta
            response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
            assert (response.status_code == 200) == expected, response.status_code
            assert response.status_code in (200, 404)
    _assert_file_and_portal_access(client, records, model, where, obj, user, expected)


def _assert_file_and_portal_access(client, w, model, where, obj, user, expected):
    client.force_login(user)
    urls = []
    if model is EvidenceFile:
        ob = obj.evidence.obligation
        urls.append(reverse("campaigns:evidence_file" if user.firm_id else "admin:campaigns_obligation_file",
                            args=[ob.pk, obj.pk]))
    elif model is RecordPhoto:
        urls.append(reverse("campaigns:record_photo", args=[obj.pk]))
    elif model is Obligation and user.firm_id:
        urls.append(reverse("campaigns:obligation_detail", args=[obj.pk]))
    elif model is Job:
        urls += [reverse("jobs:detail", args=[obj.pk]), reverse("jobs:status", args=[obj.pk])]
    elif model is Suggestion and user.firm_id:
        urls.append(reverse("suggestions:inbox_detail", args=[obj.number]))
    for url in urls:
        status = client.get(url).status_code
        assert status in (200, 404), (url, status)
        assert (status == 200) == expected, url


def test_portal_lists_show_the_firm_all_its_own_records(client, records):
    client.force_login(records.firm_user)
    page = client.get(reverse("campaigns:activities")).content.decode()
    for where in ("estate2", "cross", "firm"):
        assert f"活动{where}" in page
    client.force_login(records.other_firm_user)
    assert "活动estate2" not in client.get(reverse("campaigns:activities")).content.decode()


# --- firm users: who manages them ------------------------------------------------------------------------

def _user_admin(client, user, view="changelist", *args):
    client.force_login(user)
    return client.get(reverse(f"admin:accounts_user_{view}", args=args))


@pytest.mark.parametrize("role", ["district", "other_district", "street"])
def test_officers_cannot_change_a_firms_users(client, records, role):
    officer = records.users[role]
    officer.role = User.Role.MANAGER
    officer.save()
    target = records.firm_manager
    client.force_login(officer)
    url = reverse("admin:accounts_user_change", args=[target.pk])
    response = client.post(url, {"username": "taken-over", "email": "officer@example.com", "agency": "",
                                 "firm": records.firm.pk, "role": "manager", "is_active": "on"})
    assert response.status_code in (403, 404)
    target.refresh_from_db()
    assert target.username == "firm-manager" and target.email == "firm-manager@example.com"


@pytest.mark.parametrize("role", ["district", "other_district", "street"])
def test_officers_cannot_create_a_user_of_a_firm(client, records, role):
    officer = records.users[role]
    officer.role = User.Role.MANAGER
    officer.save()
    client.force_login(officer)
    before = User.objects.count()
    client.post(reverse("admin:accounts_user_add"), {
        "username": "fake-firm", "email": "fake@example.com", "firm": records.firm.pk, "role": "manager",
        "agency": officer.agency_id, "password1": "Secret-pass-2011", "password2": "Secret-pass-2011"})
    assert not User.objects.filter(firm=records.firm, username="fake-firm").exists()
    created = User.objects.filter(username="fake-firm").first()
    if created is not None:  # the form ignored the firm: an account of the officer's own agency, no password
        assert created.firm_id is None and created.agency_id == officer.agency_id
        assert not created.has_usable_password()
    assert User.objects.count() - before <= 1


def test_a_district_officer_cannot_log_in_as_a_firm(client, records):
    """The whole attack: the officer has no way to learn or set a password of the firm's account."""
    officer = records.district_user
    client.force_login(officer)
    target = records.firm_manager
    for url in (reverse("admin:auth_user_password_change", args=[target.pk]),
                reverse("admin:accounts_user_send_password_link", args=[target.pk])):
        assert client.get(url).status_code in (403, 404)
        assert client.post(url, {"password1": "Secret-pass-2011", "password2": "Secret-pass-2011"}).status_code \
            in (403, 404)
    target.refresh_from_db()
    assert target.check_password("pw-for-tests-1")
    assert not mail.outbox


def test_city_staff_create_a_firm_user_who_sets_their_own_password(client, records, django_capture_on_commit_callbacks):
    client.force_login(records.city_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_user_add"), {
            "username": "new-firm-user", "last_name": "王", "first_name": "五", "email": "wang@firm.example",
            "phone": "", "agency": "", "firm": records.firm.pk, "role": "staff", "_save": "1"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="new-firm-user")
    assert user.firm == records.firm and not user.has_usable_password()
    assert [m.to for m in mail.outbox] == [["wang@firm.example"]]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line).strip()
    client.logout()
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    response = client.post(response.redirect_chain[-1][0], {"new_password1": "Wenming-2011-x", "new_password2":
                                                            "Wenming-2011-x"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Wenming-2011-x")


@pytest.mark.parametrize("role", ["superuser", "city"])
def test_nobody_sets_another_persons_password(client, records, role):
    target = records.firm_manager
    response = _user_admin(client, records.users[role], "change", target.pk)
    assert response.status_code == 200
    assert "password" not in response.context["adminform"].form.fields
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    assert client.get(url).status_code == 403
    client.post(url, {"password1": "Secret-pass-2011", "password2": "Secret-pass-2011"})
    target.refresh_from_db()
    assert target.check_password("pw-for-tests-1")


def test_city_staff_send_a_reset_link_to_the_persons_own_email(client, records, django_capture_on_commit_callbacks):
    target = records.firm_manager
    client.force_login(records.city_user)
    url = reverse("admin:accounts_user_send_password_link", args=[target.pk])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert [m.to for m in mail.outbox] == [[target.email]]
    target.refresh_from_db()
    assert target.check_password("pw-for-tests-1")  # unchanged until the person follows the link


def test_the_persons_email_is_not_redirected_by_an_officer(client, records):
    target = records.street_user
    target.last_login = target.date_joined
    target.save()
    client.force_login(records.district_user)
    response = client.get(reverse("admin:accounts_user_change", args=[target.pk]))
    assert "email" not in response.context["adminform"].form.fields


def test_district_managers_still_manage_their_own_agencies_users(client, records):
    response = _user_admin(client, records.district_user, "change", records.street_user.pk)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "agency" in form.fields and "firm" not in form.fields


def test_the_user_admin_shows_a_district_only_the_firm_users_it_supervises(client, records):
    assert records.firm_manager.pk in _admin_rows(client, User, records.district_user)
    assert records.firm_manager.pk not in _admin_rows(client, User, records.other_district_user)
    assert records.firm_manager.pk not in _admin_rows(client, User, records.street_user)


def test_another_district_cannot_move_a_firm_under_itself(client, records):
    client.force_login(records.other_district_user)
    response = client.get(reverse("admin:estates_propertyfirm_change", args=[records.firm.pk]))
    assert response.status_code == 200
    assert "district" not in response.context["adminform"].form.fields


def test_forgotten_password_link_uses_site_url(client, records, settings):
    settings.SITE_URL = "https://wm.example.cn"
    response = client.post(reverse("accounts:password_reset"), {"email": records.firm_user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "https://wm.example.cn/accounts/reset/" in mail.outbox[0].body
    assert "testserver" not in mail.outbox[0].body  # never the request's Host header


# --- uploads are never served from MEDIA_URL -------------------------------------------------------------

@pytest.mark.parametrize("debug", [True, False])
def test_media_url_serves_nothing_in_any_mode(client, records, debug):
    from django.conf import settings as live

    stored = records.kinds[EvidenceFile]["firm"].file.name
    with override_settings(DEBUG=debug):
        import config.urls

        clear_url_caches()
        importlib.reload(config.urls)
        try:
            for user in (None, records.firm_user, records.superuser):
                if user is not None:
                    client.force_login(user)
                assert client.get(f"/{live.MEDIA_URL.strip('/')}/{stored}").status_code == 404
        finally:
            clear_url_caches()
            importlib.reload(config.urls)


# --- the firm's own managers manage the firm's accounts in the portal -------------------------------------

def test_a_firm_manager_opens_an_account_for_a_colleague(client, records, django_capture_on_commit_callbacks):
    client.force_login(records.firm_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:firm_users"), {
            "username": "colleague", "last_name": "李", "first_name": "四", "email": "li@firm.example",
            "phone": "", "role": "staff"})
    assert response.status_code == 302
    colleague = User.objects.get(username="colleague")
    assert colleague.firm == records.firm and colleague.agency is None and not colleague.has_usable_password()
    assert [m.to for m in mail.outbox] == [["li@firm.example"]]


def test_a_firm_manager_manages_only_their_own_firms_accounts(client, records, django_capture_on_commit_callbacks):
    client.force_login(records.firm_manager)
    page = client.get(reverse("accounts:firm_users")).content.decode()
    assert records.firm_user.username in page and records.other_firm_user.username not in page
    url = reverse("accounts:firm_user_action", args=[records.other_firm_user.pk])
    assert client.post(url, {"action": "deactivate"}).status_code == 404
    records.other_firm_user.refresh_from_db()
    assert records.other_firm_user.is_active
    own = reverse("accounts:firm_user_action", args=[records.firm_user.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(own, {"action": "link"})
    assert [m.to for m in mail.outbox] == [[records.firm_user.email]]
    client.post(own, {"action": "deactivate"})
    records.firm_user.refresh_from_db()
    assert not records.firm_user.is_active


@pytest.mark.parametrize("role", ["firm", "district", "city"])
def test_only_a_firms_managers_open_its_account_page(client, records, role):
    client.force_login(records.users[role])  # firm: plain staff of the firm; bureau staff: sent to the admin
    response = client.get(reverse("accounts:firm_users"))
    assert response.status_code in (302, 403)
