"""Every write of the suggestion box: submit, the firm's steps, the resident's steps, moderation,
retention. Views, the API, tasks and the admin call these and nothing else.

Each function locks the entry (``select_for_update``), checks the step is allowed from its state,
writes the entry, one :class:`~suggestions.models.SuggestionEvent` and the messages it causes
(outbox rows in the same transaction: nothing is sent for a change that rolled back, and nothing
is lost when Redis or SMTP is down — the outbox sends later). Errors are ``ValidationError`` with
a Chinese message for the user.
"""

import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import cache
from notifications import outbox
from notifications.registry import Recipient

from . import deadlines, messaging
from .models import TEXT_MAX, TEXT_MIN, Category, Suggestion, SuggestionEvent, SuggestionPhoto
from .privacy import client_hash, normalize_mobile
from .selectors import inbox

State = Suggestion.State
Kind = SuggestionEvent.Kind
MAX_PHOTOS = 3
ERASED_TEXT = "（个人信息已按保存期限删除）"


# --- helpers -------------------------------------------------------------------------------------

def _clean_text(text, *, field="text", required=True, minimum=TEXT_MIN):
    text = (text or "").strip()
    if not text:
        if required:
            raise ValidationError({field: _("请填写内容。")})
        return ""
    if len(text) < minimum:
        raise ValidationError({field: _("内容至少 %(min)s 个字。") % {"min": minimum}})
    if len(text) > TEXT_MAX:
        raise ValidationError({field: _("内容最多 %(max)s 个字（现有 %(count)s 个）。") % {
            "max": TEXT_MAX, "count": len(text)}})
    return text


def _new_number(now):
    """YJ + date + 5 random digits: unique (the constraint decides), and it says nothing about volume."""
    return f"YJ{timezone.localdate(now):%y%m%d}{secrets.randbelow(100_000):05d}"


def _event(suggestion, kind, *, text="", user=None, resident=False, public=True):
    return SuggestionEvent.objects.create(
        suggestion=suggestion, kind=kind, state=suggestion.state, text=text, by_user=user,
        by_resident=resident, public=public and kind not in SuggestionEvent.PRIVATE_KINDS)


def _save_photos(suggestion, prepared, event=None):
    """``prepared``: photos already checked and re-encoded (suggestions/photos.py ``prepare``)."""
    if len(prepared) > MAX_PHOTOS:
        raise ValidationError({"photos": _("最多上传 %(max)s 张照片。") % {"max": MAX_PHOTOS}})
    for i, photo in enumerate(prepared, start=1):
        row = SuggestionPhoto(suggestion=suggestion, event=event)
        stem = f"{suggestion.number}-{event.pk if event else 0}-{i}"
        row.image.save(f"{stem}.{photo.extension}", photo.image, save=False)
        row.thumbnail.save(f"{stem}-thumb.{photo.extension}", photo.thumbnail, save=False)
        # Django leaves width_field/height_field unset when a file is saved onto a new row: read them here.
        row.width, row.height = row.image.width or 0, row.image.height or 0
        row.save()


def _locked(suggestion):
    # of=self: PostgreSQL cannot lock the nullable side of the outer join to the firm.
    return (Suggestion.private_objects.select_for_update(of=("self",)).select_related("estate", "firm")
            .get(pk=suggestion.pk))


def _require_handler(user, suggestion):
    """Only the users of the handling firm act on an entry (others never reach it: their pages 404)."""
    if not (user.is_active and user.firm_id and user.firm_id == suggestion.firm_id):
        raise PermissionDenied


def _require_state(suggestion, allowed, message=None):
    if suggestion.state not in allowed:
        raise ValidationError(message or _("该意见当前状态为“%(state)s”，不能进行此操作。") % {
            "state": suggestion.get_state_display()})


def _tell_resident(suggestion, what, step):
    recipients = messaging.resident_recipients(suggestion)
    if recipients:
        outbox.enqueue(messaging.RESIDENT_UPDATE, key=f"{suggestion.pk}/{step}", recipients=recipients,
                       payload=messaging.payload(suggestion, for_resident=True, what=what))


def _tell_firm(suggestion, what, step):
    if suggestion.firm_id:
        outbox.enqueue(messaging.FOLLOW_UP, key=f"{suggestion.pk}/{step}",
                       recipients=[Recipient.firm(suggestion.firm)],
                       payload=messaging.payload(suggestion, what=what))


def _step(suggestion):
    """A key part unique to this moment of the entry's history (its event count)."""
    return suggestion.events.count()


# --- the resident --------------------------------------------------------------------------------

def suggestion_submit(*, estate, category, text, name="", mobile="", anonymous=False, consent_contact=False,
                      photos=(), client_address="", source=Suggestion.Source.WEB, external_id="", received=None):
    """File a new entry for ``estate``; returns it, committed. ``photos`` are prepared photos."""
    if not estate.is_active:
        raise ValidationError(_("该小区已不在册，暂不能提交意见。"))
    text = _clean_text(text)
    mobile = normalize_mobile(mobile)
    name = "" if anonymous else (name or "").strip()[:50]
    if anonymous:
        mobile, consent_contact = "", False
    if category not in Category.values:
        raise ValidationError({"category": _("请选择类别。")})
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": _("最多上传 %(max)s 张照片。") % {"max": MAX_PHOTOS}})
    received = received or timezone.now()
    acknowledge_due, answer_due = deadlines.due_dates(estate, received)
    for _attempt in range(5):
        suggestion = Suggestion(
            number=_new_number(received), estate=estate, firm_id=estate.firm_id, district_id=estate.district_id,
            street_id=estate.street_id, source=source, external_id=external_id, category=category, text=text,
            name=name, mobile=mobile, anonymous=anonymous, consent_contact=consent_contact,
            client_hash=client_hash(client_address), submitted_at=received,
            acknowledge_due=acknowledge_due, answer_due=answer_due,
        )
        if estate.firm_id and type(estate).firm.is_cached(estate):
            suggestion.firm = estate.firm  # read with the estate (the form's selector): no query for its name
        try:
            with transaction.atomic():
                suggestion.save()
                _event(suggestion, Kind.SUBMITTED, text="", resident=source == Suggestion.Source.WEB)
                _save_photos(suggestion, list(photos))
                messages = []  # the firm's and the resident's, in one INSERT
                if suggestion.firm_id:
                    messages.append((messaging.RECEIVED, str(suggestion.pk),
                                     messaging.payload(suggestion, acknowledge_due=str(acknowledge_due),
                                                       answer_due=str(answer_due)),
                                     [Recipient.firm(estate.firm)]))
                resident = messaging.resident_recipients(suggestion)
                if resident:
                    messages.append((messaging.RESIDENT_UPDATE, f"{suggestion.pk}/received",
                                     messaging.payload(suggestion, for_resident=True, what=_("已收到")), resident))
                outbox.enqueue_each(messages)
            return suggestion
        except IntegrityError:
            if external_id and Suggestion.private_objects.filter(source=source, external_id=external_id).exists():
                raise ValidationError({"external_id": _("该工单号已提交过。")}) from None
            continue  # a tracking number drawn twice: draw again
    raise ValidationError(_("系统繁忙，请稍后再试。"))


def suggestion_follow_up(*, suggestion, text, photos=()):
    """The resident adds to an open entry."""
    text = _clean_text(text, minimum=2)
    with transaction.atomic():
        suggestion = _locked(suggestion)
        _require_state(suggestion, Suggestion.OPEN_STATES, _("该意见已办结，如不满意可申请重新办理。"))
        event = _event(suggestion, Kind.FOLLOW_UP, text=text, resident=True)
        _save_photos(suggestion, list(photos), event=event)
        _tell_firm(suggestion, _("居民补充了意见"), f"follow_up/{event.pk}")
    return suggestion


def suggestion_rate(*, suggestion, rating, comment=""):
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("请选择 1 到 5 分。")})
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError({"comment": _("评价最多 500 个字。")})
    with transaction.atomic():
        suggestion = _locked(suggestion)
        if not suggestion.can_rate:
            raise ValidationError(_("意见办结后才能评价。"))
        suggestion.rating, suggestion.rating_comment, suggestion.rated_at = rating, comment, timezone.now()
        suggestion.save(update_fields=["rating", "rating_comment", "rated_at"])
        event = _event(suggestion, Kind.RATED, text=f"{rating}/5 {comment}".strip(), resident=True)
        _tell_firm(suggestion, _("居民评价 %(rating)s 分") % {"rating": rating}, f"rated/{event.pk}")
    return suggestion


def suggestion_reopen(*, suggestion, text):
    """The resident, unhappy with the outcome, asks once for the entry to be handled again."""
    text = _clean_text(text, minimum=2)
    with transaction.atomic():
        suggestion = _locked(suggestion)
        if not suggestion.can_reopen:
            raise ValidationError(_("每条意见只能申请重新办理一次。") if suggestion.reopen_count
                                  else _("该意见当前不能申请重新办理。"))
        now = timezone.now()
        suggestion.state = State.IN_PROGRESS
        suggestion.reopen_count += 1
        suggestion.reopened_at = now
        suggestion.answered_at = None  # to be answered again, by a new deadline
        suggestion.finished_at = None
        suggestion.answer_due = deadlines.answer_due_after(suggestion.estate, now)
        suggestion.save(update_fields=["state", "reopen_count", "reopened_at", "answered_at", "finished_at",
                                       "answer_due"])
        event = _event(suggestion, Kind.REOPENED, text=text, resident=True)
        _tell_firm(suggestion, _("居民申请重新办理"), f"reopened/{event.pk}")
    return suggestion


# --- the handling firm ---------------------------------------------------------------------------

def _acknowledge(suggestion, now):
    if suggestion.acknowledged_at is None:
        suggestion.acknowledged_at = now
        suggestion.acknowledged_on_time = timezone.localdate(now) <= suggestion.acknowledge_due


def _answer(suggestion, now):
    _acknowledge(suggestion, now)
    if suggestion.answered_at is None:
        suggestion.answered_at = now
        if suggestion.answered_on_time is None:
            suggestion.answered_on_time = timezone.localdate(now) <= suggestion.answer_due


FIELDS = ["state", "acknowledged_at", "acknowledged_on_time", "answered_at", "answered_on_time", "finished_at",
          "close_reason"]


def suggestion_acknowledge(*, suggestion, user):
    with transaction.atomic():
        suggestion = _locked(suggestion)
        _require_handler(user, suggestion)
        _require_state(suggestion, [State.NEW])
        _acknowledge(suggestion, timezone.now())
        suggestion.state = State.ACKNOWLEDGED
        suggestion.save(update_fields=FIELDS)
        _event(suggestion, Kind.ACKNOWLEDGED, user=user)
        _tell_resident(suggestion, _("已受理"), "acknowledged")
    return suggestion


def suggestion_start(*, suggestion, user):
    with transaction.atomic():
        suggestion = _locked(suggestion)
        _require_handler(user, suggestion)
        _require_state(suggestion, [State.NEW, State.ACKNOWLEDGED])
        _acknowledge(suggestion, timezone.now())
        suggestion.state = State.IN_PROGRESS
        suggestion.save(update_fields=FIELDS)
        _event(suggestion, Kind.STARTED, user=user)
        _tell_resident(suggestion, _("正在办理"), "started")
    return suggestion


def suggestion_reply(*, suggestion, user, text, photos=()):
    """A reply to the resident (counts as the answer); the entry stays open until resolved or closed."""
    text = _clean_text(text, minimum=2)
    with transaction.atomic():
        suggestion = _locked(suggestion)
        _require_handler(user, suggestion)
        _require_state(suggestion, Suggestion.OPEN_STATES)
        _answer(suggestion, timezone.now())
        suggestion.state = State.IN_PROGRESS
        suggestion.save(update_fields=FIELDS)
        event = _event(suggestion, Kind.REPLY, text=text, user=user)
        _save_photos(suggestion, list(photos), event=event)
        _tell_resident(suggestion, _("有了新的答复"), f"reply/{event.pk}")
    return suggestion


def _finish(suggestion, user, state, kind, text, what, photos=()):
    with transaction.atomic():
        suggestion = _locked(suggestion)
        _require_handler(user, suggestion)
        _require_state(suggestion, Suggestion.OPEN_STATES)
        now = timezone.now()
        _answer(suggestion, now)
        suggestion.state = state
        suggestion.finished_at = now
        if state != State.RESOLVED:
            suggestion.close_reason = text[:500]
        suggestion.save(update_fields=FIELDS)
        event = _event(suggestion, kind, text=text, user=user)
        _save_photos(suggestion, list(photos), event=event)
        _tell_resident(suggestion, what, f"{kind}/{event.pk}")
    return suggestion, event


def suggestion_resolve(*, suggestion, user, text, photos=()):
    text = _clean_text(text, minimum=2)
    return _finish(suggestion, user, State.RESOLVED, Kind.RESOLVED, text, _("已解决"), photos)[0]


def suggestion_close(*, suggestion, user, reason):
    """Closed without a fix: the reason is required and shown to the resident."""
    reason = _clean_text(reason, field="reason", minimum=2)
    return _finish(suggestion, user, State.CLOSED, Kind.CLOSED, reason, _("已办结"))[0]


def suggestion_refer(*, suggestion, user, reason):
    """Not the firm's matter: handed to the district bureau, which is told through the outbox."""
    reason = _clean_text(reason, field="reason", minimum=2)
    suggestion, event = _finish(suggestion, user, State.REFERRED, Kind.REFERRED, reason, _("已转区主管部门"))
    with transaction.atomic():
        outbox.enqueue(messaging.REFERRED, key=str(suggestion.pk),
                       recipients=[Recipient.agency(suggestion.district)],
                       payload=messaging.payload(suggestion, reason=reason))
    return suggestion


# --- moderation (bureau staff) -------------------------------------------------------------------

def suggestion_hide(*, suggestion, user, reason):
    """Hide an abusive entry from every public page (kept, not deleted; logged)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写屏蔽原因。")})
    with transaction.atomic():
        suggestion = _locked(suggestion)
        suggestion.hidden, suggestion.hidden_reason = True, reason[:200]
        suggestion.save(update_fields=["hidden", "hidden_reason"])
        _event(suggestion, Kind.HIDDEN, text=reason, user=user, public=False)
    return suggestion


def suggestion_unhide(*, suggestion, user):
    with transaction.atomic():
        suggestion = _locked(suggestion)
        suggestion.hidden, suggestion.hidden_reason = False, ""
        suggestion.save(update_fields=["hidden", "hidden_reason"])
        _event(suggestion, Kind.UNHIDDEN, user=user, public=False)
    return suggestion


def suggestion_redact(*, suggestion, user, text):
    """Replace personal details inside the text for everybody but the handler (the original is kept)."""
    text = _clean_text(text, minimum=1)
    with transaction.atomic():
        suggestion = _locked(suggestion)
        suggestion.text_redacted = text
        suggestion.save(update_fields=["text_redacted"])
        _event(suggestion, Kind.REDACTED, user=user, public=False)
    return suggestion


# --- retention ------------------------------------------------------------------------------------

def erase_personal_data(*, now=None, batch=500):
    """Erase the personal data of entries finished longer than SUGGESTION_RETENTION_DAYS ago.

    Kept: estate, firm, areas, category, source, dates, states, on-time flags, rating (the
    statistics). Erased: name, mobile, the texts (entry, redaction, events, rating comment) and the
    photos. Idempotent: an erased entry is never taken again. Returns the number erased.
    """
    now = now or timezone.now()
    cutoff = now - timezone.timedelta(days=settings.SUGGESTION_RETENTION_DAYS)
    erased = 0
    while True:
        ids = list(Suggestion.private_objects.filter(
            state__in=Suggestion.FINISHED_STATES, finished_at__lt=cutoff, erased_at__isnull=True,
        ).values_list("pk", flat=True)[:batch])
        if not ids:
            return erased
        with transaction.atomic():
            rows = list(Suggestion.private_objects.select_for_update().filter(pk__in=ids, erased_at__isnull=True))
            for photo in SuggestionPhoto.objects.filter(suggestion__in=rows):
                photo.image.delete(save=False)
                photo.thumbnail.delete(save=False)
            SuggestionPhoto.objects.filter(suggestion__in=rows).delete()
            SuggestionEvent.objects.filter(suggestion__in=rows).exclude(text="").update(text="")
            Suggestion.private_objects.filter(pk__in=[r.pk for r in rows]).update(
                name="", mobile="", text=ERASED_TEXT, text_redacted="", rating_comment="", close_reason="",
                client_hash="", consent_contact=False, erased_at=now)
            SuggestionEvent.objects.bulk_create([
                SuggestionEvent(suggestion=r, kind=Kind.ERASED, state=r.state, public=False) for r in rows])
            # The bulk UPDATE sends no post_save: the kept lists showing these entries (their mobiles, names, texts)
            # are renewed here, as suggestions/signals.py does for a save.
            cache.forget_now_and_on_commit(
                inbox.LIST_VERSION_KEY, *{key for r in rows if r.firm_id for key in (
                    inbox.version_key(r.firm_id), inbox.waiting_key(r.firm_id, timezone.localdate(now)))})
            erased += len(rows)


# --- the firm's reply templates -------------------------------------------------------------------

def _template_fields(title, text):
    title = (title or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("请填写标题。")
    elif len(title) > 60:
        errors["title"] = _("标题最多 60 个字。")
    try:
        text = _clean_text(text, minimum=2)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return title, text


def reply_template_save(*, user, title, text, template=None):
    """Create (``template`` None) or change one of the user's firm's reply templates."""
    from .models import ReplyTemplate

    if not (user.is_active and user.firm_id) or (template is not None and template.firm_id != user.firm_id):
        raise PermissionDenied
    title, text = _template_fields(title, text)
    if ReplyTemplate.objects.filter(firm_id=user.firm_id, title=title).exclude(
            pk=template.pk if template else None).exists():
        raise ValidationError({"title": _("已有同名的答复模板，请换一个标题。")})
    template = template or ReplyTemplate(firm_id=user.firm_id)
    template.title, template.text = title, text
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:  # the same title saved by a colleague a moment ago
        raise ValidationError({"title": _("已有同名的答复模板，请换一个标题。")}) from None
    return template


def reply_template_delete(*, user, template):
    if not (user.is_active and user.firm_id and template.firm_id == user.firm_id):
        raise PermissionDenied
    template.delete()
