"""Submitting evidence and reviewing it: who may, and the obligation lifecycle."""


from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from estates import scoping
from notifications.events import emit

from ..models import (
    Campaign,
    Evidence,
    EvidenceFile,
    EvidenceKind,
    Obligation,
    ObligationEvent,
)
from .figures import figures_changed

State = Obligation.State
CHUNK = 2000  # obligation rows per INSERT batch: bounds the rows held in memory at once


def _can_submit(user, obligation):
    """The party's own users do its work: the firm managing its estate, else its firm, else its agency."""
    return scoping.acts_for(user, obligation)


def _check_reviewer(user, obligation):
    error = scoping.reviewer_error(user, obligation)
    if error == "login":
        raise ValidationError(_("请先登录。"))
    if error == "firm":
        raise ValidationError(_("物业服务企业不能审核任务。"))
    if error == "agency":
        raise ValidationError(_("只有审核单位（%(agency)s）可以审核该任务。") % {"agency": obligation.reviewer})
    if obligation.submitted_by_id and obligation.submitted_by_id == user.pk:
        raise ValidationError(_("不能审核本人提交的任务。"))


def _locked(obligation):
    return Obligation.objects.select_for_update(of=("self",)).select_related(
        "task", "estate", "reviewer", "campaign").get(pk=obligation.pk)


def _event(obligation, kind, user, from_state, note="", at=None):
    return ObligationEvent.objects.create(obligation=obligation, kind=kind, actor=user, at=at or timezone.now(),
                                          from_state=from_state, to_state=obligation.state, note=note)


# --- lifecycle -------------------------------------------------------------------------------

def _check_evidence(obligation, *, text, count, files):
    task = obligation.task
    kinds = set(task.evidence_kinds or [])
    file_kinds = {kind for kind, _f in files}
    errors = []
    if EvidenceKind.TEXT in kinds and not text.strip():
        errors.append(_("请填写情况说明。"))
    if EvidenceKind.PHOTOS in kinds and EvidenceFile.Kind.PHOTO not in file_kinds:
        errors.append(_("请上传至少一张照片。"))
    if EvidenceKind.DOCUMENTS in kinds and EvidenceFile.Kind.DOCUMENT not in file_kinds:
        errors.append(_("请上传相关文件。"))
    if EvidenceKind.ROSTER in kinds and EvidenceFile.Kind.ROSTER not in file_kinds:
        errors.append(_("请上传名单。"))
    if EvidenceKind.COUNT in kinds and count is None:
        errors.append(_("请填写数量。"))
    if task.record_kind and obligation.count_achieved < task.min_count:
        errors.append(_("本期已登记 %(n)s 次%(kind)s，至少需要 %(min)s 次。")
                      % {"n": obligation.count_achieved, "kind": task.get_record_kind_display(),
                         "min": task.min_count})
    if not kinds and not task.record_kind and not text.strip() and not files and count is None:
        errors.append(_("请至少填写情况说明或上传一个文件。"))
    if errors:
        raise ValidationError(errors)


def _mark_submitted(obligation, user, now):
    obligation.state = State.SUBMITTED
    obligation.submitted_at = now
    obligation.submitted_by = user
    obligation.reviewed_at = None
    obligation.reviewed_by = None
    if timezone.localdate(now) > obligation.due_date:
        obligation.late = True


@transaction.atomic
def obligation_submit(*, obligation, user, text="", count=None, files=(), now=None):
    """Submit (or resubmit after a return) with evidence.

    ``files`` is a list of (EvidenceFile.Kind, File) pairs; their type and size are checked
    by the upload form. Returns the Evidence row.
    """
    obligation = _locked(obligation)
    if not _can_submit(user, obligation):
        raise ValidationError(_("只有责任单位可以提交该任务。"))
    if obligation.state == State.SUBMITTED:
        raise ValidationError(_("该任务已提交，正在等待审核。"))
    if obligation.state == State.ACCEPTED:
        raise ValidationError(_("该任务已审核通过，不能再次提交。"))
    if obligation.campaign.status != Campaign.Status.PUBLISHED:
        raise ValidationError(_("活动未发布或已结束，不能提交。"))
    text = (text or "").strip()
    files = list(files)
    _check_evidence(obligation, text=text, count=count, files=files)
    now = now or timezone.now()
    rounds = obligation.evidence.count()
    evidence = Evidence(obligation=obligation, round=rounds + 1, text=text, count=count, created_by=user,
                        created_at=now)
    evidence.full_clean()
    evidence.save()
    for kind, upload in files:
        ef = EvidenceFile(evidence=evidence, kind=kind, file=upload, original_name=getattr(upload, "name", "")[:255],
                          size=getattr(upload, "size", 0) or 0, uploaded_at=now)
        ef.full_clean()
        ef.save()
    from_state = obligation.state
    _mark_submitted(obligation, user, now)
    obligation.save()
    kind = ObligationEvent.Kind.RESUBMIT if from_state == State.RETURNED else ObligationEvent.Kind.SUBMIT
    _event(obligation, kind, user, from_state, note=text[:500], at=now)
    figures_changed(campaigns=[obligation.campaign_id])
    emit("campaigns.obligation_submitted", obligation_ids=[obligation.pk], at=now)
    return evidence


@transaction.atomic
def obligation_accept(*, obligation, user, note="", now=None):
    obligation = _locked(obligation)
    _check_review_state(obligation)
    _check_reviewer(user, obligation)
    now = now or timezone.now()
    obligation.state = State.ACCEPTED
    obligation.reviewed_at, obligation.reviewed_by, obligation.review_note = now, user, note.strip()
    obligation.save()
    _event(obligation, ObligationEvent.Kind.ACCEPT, user, State.SUBMITTED, note=note.strip(), at=now)
    figures_changed(campaigns=[obligation.campaign_id])
    emit("campaigns.obligation_accepted", obligation_ids=[obligation.pk], note=note.strip(), at=now)
    return obligation


@transaction.atomic
def obligation_return(*, obligation, user, reason, now=None):
    reason = (reason or "").strip()
    obligation = _locked(obligation)
    _check_review_state(obligation)
    _check_reviewer(user, obligation)
    if not reason:
        raise ValidationError(_("请填写退回原因。"))
    now = now or timezone.now()
    obligation.state = State.RETURNED
    obligation.reviewed_at, obligation.reviewed_by, obligation.review_note = now, user, reason
    obligation.save()
    _event(obligation, ObligationEvent.Kind.RETURN, user, State.SUBMITTED, note=reason, at=now)
    figures_changed(campaigns=[obligation.campaign_id])
    emit("campaigns.obligation_returned", obligation_ids=[obligation.pk], reason=reason, at=now)
    return obligation


def _check_review_state(obligation):
    if obligation.state == State.OPEN:
        raise ValidationError(_("该任务尚未提交，不能审核。"))
    if obligation.state == State.RETURNED:
        raise ValidationError(_("该任务已退回，等待责任单位重新提交。"))
    if obligation.state == State.ACCEPTED:
        raise ValidationError(_("该任务已审核通过。"))


def _review_many(*, obligations, user, to_state, event_kind, note, now):
    """Move several submitted obligations to ``to_state`` in constant queries. Each one is
    checked like a single review; those that fail are left alone and reported."""
    ids = [getattr(o, "pk", o) for o in obligations]
    rows = list(Obligation.objects.select_for_update(of=("self",)).filter(pk__in=ids)
                .select_related("reviewer", "task", "estate", "firm", "agency"))
    now = now or timezone.now()
    ok, refused = [], []
    for obligation in rows:
        try:
            _check_review_state(obligation)
            _check_reviewer(user, obligation)
        except ValidationError as exc:
            refused.append((obligation, " ".join(exc.messages)))
            continue
        ok.append(obligation.pk)
    if ok:
        Obligation.objects.filter(pk__in=ok).update(state=to_state, reviewed_at=now, reviewed_by=user,
                                                    review_note=note)
        ObligationEvent.objects.bulk_create(
            [ObligationEvent(obligation_id=pk, kind=event_kind, actor=user, at=now,
                             from_state=State.SUBMITTED, to_state=to_state, note=note) for pk in ok],
            batch_size=CHUNK,
        )
        figures_changed(campaigns={o.campaign_id for o in rows if o.pk in set(ok)})
        if to_state == State.ACCEPTED:
            emit("campaigns.obligation_accepted", obligation_ids=ok, note=note, at=now)
        else:
            emit("campaigns.obligation_returned", obligation_ids=ok, reason=note, at=now)
    return len(ok), refused


@transaction.atomic
def obligation_accept_many(*, obligations, user, note="", now=None):
    """Accept several submitted obligations at once (the review queue's bulk action).

    Returns (accepted_count, [(obligation, message), ...]) for those refused. Constant queries.
    """
    return _review_many(obligations=obligations, user=user, to_state=State.ACCEPTED,
                        event_kind=ObligationEvent.Kind.ACCEPT, note=(note or "").strip(), now=now)





@transaction.atomic
def obligation_return_many(*, obligations, user, reason, now=None):
    """Return several submitted obligations with one reason (the review queue's bulk return).

    Returns (returned_count, [(obligation, message), ...]) for those refused. Constant queries.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写退回原因。"))
    return _review_many(obligations=obligations, user=user, to_state=State.RETURNED,
                        event_kind=ObligationEvent.Kind.RETURN, note=reason, now=now)
