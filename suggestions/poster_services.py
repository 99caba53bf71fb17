"""Writes of the posters: a poster printed for an estate is recorded (PosterPrint), which is what the
campaign's "suggestion box" task counts (suggestions/record_kinds.py); the batch is a long job."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.services import records_changed
from core.jobs import job_start

from . import posters
from .models import PosterPrint
from .record_kinds import KIND


def posters_printed(*, estate_ids, user, on=None):
    """Record that the posters of these estates were printed today (one row per estate and day) and
    recount the suggestion-box obligations of those estates. Returns the rows created."""
    on = on or timezone.localdate()
    estate_ids = sorted(set(estate_ids))
    with transaction.atomic():
        done = set(PosterPrint.objects.filter(estate_id__in=estate_ids, printed_on=on)
                   .values_list("estate_id", flat=True))
        rows = PosterPrint.objects.bulk_create(
            [PosterPrint(estate_id=pk, printed_on=on, printed_by=user) for pk in estate_ids if pk not in done])
        if rows:
            records_changed(kind=KIND, estate=[r.estate_id for r in rows], on_date=on, user=user,
                            note=_("已打印网上意见箱海报（%(date)s）") % {"date": on.isoformat()})
    return rows


def poster_pdf(*, user, code):
    """One estate's poster (in the user's scope, else 404), recorded as printed."""
    estates = posters.poster_estates(user=user, codes=[code])
    pdf = posters.posters_pdf(estates)
    estate = estates.get()
    posters_printed(estate_ids=[estate.pk], user=user)
    return pdf, estate


def posters_batch_start(*, user, scope):
    """Check the choice in the request (404 outside the scope), then queue the batch as ONE PDF.
    ``scope``: ``{"firm_id": ..}``, ``{"street_id": ..}`` or ``{"codes": [...]}``."""
    estates = posters.poster_estates(user=user, **scope)
    count = estates.count()
    if not count:
        raise ValidationError(_("所选范围内没有在册的小区。"))
    label_field = {"firm_id": "firm__name", "street_id": "street__name"}
    field = next((label_field[key] for key in scope if key in label_field), None)
    label = estates.values_list(field, flat=True).first() if field else _("所选小区")
    return job_start(kind="suggestions.posters_batch", user=user, params={"scope": scope},
                     title=_("网上意见箱海报 · %(scope)s（%(n)s 个小区）") % {"scope": label, "n": count})
