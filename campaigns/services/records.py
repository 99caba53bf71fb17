"""Records counted towards obligations: the recount any app's record kind triggers (``records_changed``,
campaigns/record_kinds.py), and campaigns' own records (trainings, activities, coordinators): filing,
correcting and withdrawing them."""


from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from estates.models import Coordinator, Estate

from .. import record_kinds
from ..models import (
    OPEN_STATES,
    Activity,
    Campaign,
    Obligation,
    ObligationEvent,
    RecordKind,
    RecordPhoto,
    Training,
)
from .figures import figures_changed
from .review import _event, _mark_submitted

State = Obligation.State


def _submitted_from(obligation):
    """The state an obligation was in before its current submission (open or returned)."""
    submits = (ObligationEvent.Kind.SUBMIT, ObligationEvent.Kind.RESUBMIT, ObligationEvent.Kind.AUTO_SUBMIT)
    last = obligation.events.filter(kind__in=submits).order_by("-at", "-pk").first()
    return last.from_state if last is not None and last.from_state in OPEN_STATES else State.OPEN


def _recount(*, kind, party_q, on_date, user, note, log_changes=False):
    """Recount the obligations of published campaigns counting `kind` records for the
    parties in `party_q` whose period contains `on_date`. Returns the obligations touched.

    ``log_changes`` (a record was corrected or withdrawn): every changed count gets a
    ``record`` event, and a submitted obligation now below its minimum is taken back."""
    spec = record_kinds.get(kind)
    if spec is None:  # no kind, or one whose app is gone: nothing can be counted
        return []
    # One query, whatever the number of obligations: the kind's count is an expression on each row.
    qs = Obligation.objects.select_for_update(of=("self",)).select_related("task").filter(
        party_q, task__record_kind=kind, campaign__status=Campaign.Status.PUBLISHED,
    ).annotate(records_now=spec.count())
    if on_date is not None:
        qs = qs.filter(period_start__lte=on_date, period_end__gte=on_date)
    touched, changed = [], set()
    now = timezone.now()
    for obligation in qs:
        count = obligation.records_now
        fields = []
        if count != obligation.count_achieved:
            obligation.count_achieved = count
            fields.append("count_achieved")
        if log_changes and fields and obligation.state == State.SUBMITTED and count < obligation.task.min_count:
            obligation.state = _submitted_from(obligation)
            obligation.submitted_at = obligation.submitted_by = None
            obligation.save(update_fields=fields + ["state", "submitted_at", "submitted_by"])
            _event(obligation, ObligationEvent.Kind.RECORD, user, State.SUBMITTED,
                   note=_("%(note)s 已登记 %(n)s 次，少于要求的 %(min)s 次，提交已撤回。")
                   % {"note": note, "n": count, "min": obligation.task.min_count}, at=now)
        elif obligation.state in OPEN_STATES and count >= obligation.task.min_count:
            from_state = obligation.state
            _mark_submitted(obligation, user, now)
            fields += ["state", "submitted_at", "submitted_by", "reviewed_at", "reviewed_by", "late"]
            obligation.save(update_fields=fields)
            _event(obligation, ObligationEvent.Kind.AUTO_SUBMIT, user, from_state, note=note, at=now)
        elif fields:
            obligation.save(update_fields=fields)
            if log_changes:
                _event(obligation, ObligationEvent.Kind.RECORD, user, obligation.state,
                       note=_("%(note)s 已登记 %(n)s 次。") % {"note": note, "n": count}, at=now)
        touched.append(obligation)
        if fields:  # saved: its count, and perhaps its state, changed
            changed.add(obligation.campaign_id)
    figures_changed(campaigns=changed)
    return touched


def _ids(value):
    """Ids of a party argument: a model instance, an id, or an iterable of either; None → none."""
    if value is None:
        return []
    if isinstance(value, (Model, str)) or not isinstance(value, Iterable):
        return [getattr(value, "pk", value)]
    return [getattr(v, "pk", v) for v in value if v is not None]


def _party_q(*, estate=None, firm=None, agency=None):
    """Obligations whose party is one of the given estates, firms or agencies (none given: no obligation)."""
    party_q = Q(pk__in=[])
    for link, value in (("estate", estate), ("firm", firm), ("agency", agency)):
        ids = _ids(value)
        if ids:
            party_q |= Q(**{f"{link}_id__in": ids})
    return party_q


def records_locked(*, kind, on_date, estate=None, firm=None, agency=None):
    """The accepted obligation (earliest due first) that records of ``kind`` of these parties dated
    ``on_date`` count towards, or None. Accepted work was judged on its records: an app refuses to
    correct or withdraw a record while this returns an obligation (see ``training_update``)."""
    return Obligation.objects.filter(
        _party_q(estate=estate, firm=firm, agency=agency), task__record_kind=kind, state=State.ACCEPTED,
        period_start__lte=on_date, period_end__gte=on_date,
    ).select_related("task", "reviewer").order_by("due_date", "pk").first()


@transaction.atomic(savepoint=False)  # inside the caller's transaction: no savepoint round trips
def records_changed(*, kind, on_date, user, note, estate=None, firm=None, agency=None, corrected=False):
    """The one service an app calls after its records of ``kind`` changed (campaigns/record_kinds.py).

    Recounts the obligations of published campaigns counting ``kind`` whose party is one of the given
    estates, firms or agencies (each an instance, an id, or several) and whose period contains ``on_date``
    (``None``: every period, for records that count whatever their date): ``count_achieved`` follows, and an
    open or returned obligation reaching its ``min_count`` is submitted automatically. ``note`` (what
    happened, in the user's words: "已登记清洁：…") goes into the obligations' history.

    ``corrected=True`` when records were corrected or withdrawn: each changed count is logged, and a
    submitted obligation now below its minimum goes back to where it was submitted from. Call it once for
    the record as it was and once as it is when a correction moves it (another date, party or kind).
    Returns the obligations recounted."""
    if record_kinds.get(kind) is None:
        raise ValueError(f"record kind {kind!r} is not registered (campaigns.record_kinds.register)")
    return _recount(kind=kind, party_q=_party_q(estate=estate, firm=firm, agency=agency), on_date=on_date,
                    user=user, note=note, log_changes=corrected)


def _check_organisation(user, *, agency=None, firm=None):
    if user is None or not user.is_active:
        raise ValidationError(_("请先登录。"))
    if user.is_superuser:
        return
    if firm is not None and user.firm_id != firm.pk:
        raise ValidationError(_("只能登记本单位的记录。"))
    if agency is not None and user.agency_id != agency.pk:
        raise ValidationError(_("只能登记本单位的记录。"))


def _save_photos(photos, **owner):
    for upload in photos:
        photo = RecordPhoto(file=upload, original_name=getattr(upload, "name", "")[:255], **owner)
        photo.full_clean()
        photo.save()


@transaction.atomic
def training_record(*, user, date, topic, organiser_agency=None, organiser_firm=None, audience="",
                    attendee_count=0, place="", notes="", photos=()):
    """File a training; it counts towards the organiser's training obligations."""
    if organiser_agency is None and organiser_firm is None:
        organiser_agency, organiser_firm = user.agency, user.firm
    if (organiser_agency is None) == (organiser_firm is None):
        raise ValidationError(_("请指定一个主办单位（主管机构或物业企业）。"))
    _check_organisation(user, agency=organiser_agency, firm=organiser_firm)
    training = Training(date=date, topic=topic, organiser_agency=organiser_agency, organiser_firm=organiser_firm,
                        audience=audience, attendee_count=attendee_count, place=place, notes=notes, created_by=user)
    training.full_clean()
    training.save()
    _save_photos(photos, training=training)
    records_changed(kind=RecordKind.TRAINING, **_training_party(training), on_date=date, user=user,
                    note=_("已登记培训：%(topic)s（%(date)s）") % {"topic": topic, "date": date})
    return training


@transaction.atomic
def activity_record(*, user, kind, date, title, firm=None, estate=None, partners="", participant_count=0,
                    description="", photos=()):
    """File a liaison/community activity; it counts towards the firm's (and, if given,
    the estate's) obligations of the same kind."""
    firm = firm or user.firm
    if firm is None:
        raise ValidationError(_("请指定物业服务企业。"))
    _check_organisation(user, firm=firm)
    if estate is not None and estate.firm_id != firm.pk:
        raise ValidationError(_("所选小区不由本企业管理。"))
    activity = Activity(kind=kind, date=date, title=title, firm=firm, estate=estate, partners=partners,
                        participant_count=participant_count, description=description, created_by=user)
    activity.full_clean()
    activity.save()
    _save_photos(photos, activity=activity)
    records_changed(kind=kind, **_activity_party(activity), on_date=date, user=user,
                    note=_("已登记活动：%(title)s（%(date)s）") % {"title": title, "date": date})
    return activity


# --- correcting and withdrawing records ----------------------------------------------------------

def _training_party(training):
    """records_changed's party arguments for a training: its organiser."""
    return {"firm": training.organiser_firm_id} if training.organiser_firm_id \
        else {"agency": training.organiser_agency_id}


def _activity_party(activity):
    """An activity counts for its firm and, if it names one, its estate."""
    return {"firm": activity.firm_id, "estate": activity.estate_id}


def _check_record_owner(user, *, agency_id=None, firm_id=None):
    """Only the organisation that filed a record corrects or withdraws it."""
    if user is None or not user.is_active:
        raise ValidationError(_("请先登录。"))
    if user.is_superuser:
        return
    if (firm_id and user.firm_id != firm_id) or (agency_id and user.agency_id != agency_id):
        raise ValidationError(_("只能更正或撤回本单位登记的记录。"))


def _check_not_accepted(*, uses, what):
    """Refuse when an obligation a record counts (or would count) towards is accepted.

    ``uses`` is a list of (record kind, party arguments, date): the record as it is and as it will be."""
    for kind, party, on_date in uses:
        accepted = records_locked(kind=kind, on_date=on_date, **party)
        if accepted is not None:
            raise ValidationError(
                _("%(what)s已计入审核通过的任务“%(task)s”（%(start)s 至 %(end)s），不能再更正或撤回；"
                  "如确需更正，请联系%(reviewer)s。")
                % {"what": what, "task": accepted.task.title, "start": accepted.period_start,
                   "end": accepted.period_end, "reviewer": accepted.reviewer})


def _delete_files_on_commit(names):
    from django.core.files.storage import default_storage

    def delete():
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)


@transaction.atomic
def training_update(*, user, training, date, topic, audience="", attendee_count, place="", notes="", photos=()):
    """Correct a training: its date, topic, audience, attendee count, place, notes; more
    photos may be added. The organiser's obligations of the old and the new date follow."""
    training = Training.objects.select_for_update().get(pk=training.pk)
    _check_record_owner(user, agency_id=training.organiser_agency_id, firm_id=training.organiser_firm_id)
    party = _training_party(training)
    what = _("该培训")
    _check_not_accepted(uses=[(RecordKind.TRAINING, party, training.date), (RecordKind.TRAINING, party, date)],
                        what=what)
    old_date = training.date
    training.date, training.topic, training.audience = date, topic, audience
    training.attendee_count, training.place, training.notes = attendee_count, place, notes
    training.full_clean()
    training.save()
    _save_photos(photos, training=training)
    note = _("已更正培训：%(topic)s（%(date)s）") % {"topic": topic, "date": date}
    for on_date in dict.fromkeys([old_date, date]):
        records_changed(kind=RecordKind.TRAINING, **party, on_date=on_date, user=user, note=note, corrected=True)
    return training


@transaction.atomic
def training_withdraw(*, user, training):
    """Withdraw (delete) a training and its photos; the obligations it counted towards are recounted."""
    training = Training.objects.select_for_update().get(pk=training.pk)
    _check_record_owner(user, agency_id=training.organiser_agency_id, firm_id=training.organiser_firm_id)
    party = _training_party(training)
    _check_not_accepted(uses=[(RecordKind.TRAINING, party, training.date)], what=_("该培训"))
    _delete_files_on_commit([p.file.name for p in training.photos.all()])
    note = _("已撤回培训：%(topic)s（%(date)s）") % {"topic": training.topic, "date": training.date}
    on_date = training.date
    training.delete()
    records_changed(kind=RecordKind.TRAINING, **party, on_date=on_date, user=user, note=note, corrected=True)


@transaction.atomic
def activity_update(*, user, activity, kind, date, title, estate=None, partners="", participant_count,
                    description="", photos=()):
    """Correct an activity (kind, date, title, estate, partners, participants, description;
    more photos may be added). Obligations of the old and the new kind, estate and date follow."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _check_record_owner(user, firm_id=activity.firm_id)
    if estate is not None and estate.firm_id != activity.firm_id:
        raise ValidationError(_("所选小区不由本企业管理。"))
    before = (activity.kind, _activity_party(activity), activity.date)
    activity.kind, activity.date, activity.title, activity.estate = kind, date, title, estate
    activity.partners, activity.participant_count, activity.description = partners, participant_count, description
    after = (kind, _activity_party(activity), date)
    _check_not_accepted(uses=[before, after], what=_("该活动"))
    activity.full_clean()
    activity.save()
    _save_photos(photos, activity=activity)
    note = _("已更正活动：%(title)s（%(date)s）") % {"title": title, "date": date}
    for record_kind, party, on_date in (before, after):
        records_changed(kind=record_kind, **party, on_date=on_date, user=user, note=note, corrected=True)
    return activity


@transaction.atomic
def activity_withdraw(*, user, activity):
    """Withdraw (delete) an activity and its photos; the obligations it counted towards are recounted."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _check_record_owner(user, firm_id=activity.firm_id)
    kind, party, on_date = activity.kind, _activity_party(activity), activity.date
    _check_not_accepted(uses=[(kind, party, on_date)], what=_("该活动"))
    _delete_files_on_commit([p.file.name for p in activity.photos.all()])
    note = _("已撤回活动：%(title)s（%(date)s）") % {"title": activity.title, "date": activity.date}
    activity.delete()
    records_changed(kind=kind, **party, on_date=on_date, user=user, note=note, corrected=True)


@transaction.atomic
def coordinator_file(*, user, estate, name, phone, appointed_on):
    """File the estate's coordinator, replacing the current one (who is kept as history).
    Counts towards the estate's coordinator obligations."""
    if user is None or not user.is_active:
        raise ValidationError(_("请先登录。"))
    if not user.is_superuser:
        from estates import scoping

        visible = Estate.objects.filter(scoping.estate_q(user), pk=estate.pk).exists()
        if not visible or (user.agency_id is None and user.firm_id != estate.firm_id):
            raise ValidationError(_("只能为本单位管理的小区备案协调员。"))
    coordinator = Coordinator(estate=estate, name=(name or "").strip(), phone=phone, appointed_on=appointed_on,
                              is_current=True)
    coordinator.full_clean(validate_constraints=False)
    for old in Coordinator.objects.select_for_update().filter(estate=estate, is_current=True):
        old.is_current = False
        old.save(update_fields=["is_current"])
    coordinator.save()
    records_changed(kind=RecordKind.COORDINATOR, estate=estate, on_date=None, user=user,
                    note=_("已备案协调员：%(name)s") % {"name": coordinator.name})
    return coordinator


def records_inserted_in_bulk(*, firm_ids=()):
    """Trainings or activities (or their photos) written past their ``save()`` — the demo's and the benchmarks'
    bulk inserts: the kept record lists of the firms ``firm_ids`` and the records the obligations' pages list are
    read again, now and after the commit (campaigns/receivers.py does the same for each single save)."""
    from core import cache

    from ..selectors import ALL_RECORDS_VERSION_KEY, records_version_key

    cache.forget_now_and_on_commit(ALL_RECORDS_VERSION_KEY,
                                   *(records_version_key(firm_id=f) for f in sorted({f for f in firm_ids if f})))
