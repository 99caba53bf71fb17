"""The toy app's writes: file and withdraw a cleanup; campaigns hears of it through records_changed."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.services import records_changed, records_locked
from notifications import outbox
from notifications.registry import Recipient

from .apps import KIND, MESSAGE_KIND
from .models import Cleanup


@transaction.atomic
def cleanup_record(*, user, estate, date, note=""):
    """File a cleanup of an estate the user's firm manages; it counts towards the estate's and the firm's
    cleanup obligations, and the estate's street office is told (once: the outbox key is the cleanup)."""
    if not user.is_superuser and user.firm_id != estate.firm_id:
        raise ValidationError(_("只能登记本企业管理的小区的记录。"))
    cleanup = Cleanup(estate=estate, date=date, note=note, created_by=user)
    cleanup.full_clean()
    cleanup.save()
    records_changed(kind=KIND, estate=estate, firm=estate.firm_id, on_date=date, user=user,
                    note=_("已登记清洁：%(note)s（%(date)s）") % {"note": note, "date": date})
    if estate.street_id:
        outbox.enqueue(MESSAGE_KIND, key=f"cleanup/{cleanup.pk}", recipients=[Recipient.agency(estate.street_id)],
                       payload={"estate": estate.name, "date": date.isoformat(), "note": note})
    return cleanup


@transaction.atomic
def cleanup_withdraw(*, user, cleanup):
    """Withdraw a cleanup, unless accepted work counted it; the obligations it counted towards are recounted."""
    cleanup = Cleanup.objects.select_for_update().select_related("estate").get(pk=cleanup.pk)
    if not user.is_superuser and user.firm_id != cleanup.estate.firm_id:
        raise ValidationError(_("只能撤回本企业登记的记录。"))
    party = {"estate": cleanup.estate_id, "firm": cleanup.estate.firm_id}
    if records_locked(kind=KIND, on_date=cleanup.date, **party) is not None:
        raise ValidationError(_("该记录已计入审核通过的任务，不能撤回。"))
    on_date = cleanup.date
    cleanup.delete()
    records_changed(kind=KIND, **party, on_date=on_date, user=user, corrected=True,
                    note=_("已撤回清洁（%(date)s）") % {"date": on_date})
