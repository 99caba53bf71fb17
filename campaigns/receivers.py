"""Versions of the firm portal's cached parts (campaigns/selectors.py), forgotten by the writes that change them.

* A firm's records version (selectors.records_version: its trainings and activities lists): every save or delete
  of a training or an activity of the firm, or of a photo of one (the portal's filing, correcting and withdrawing,
  the admin); the all-records version (the records an obligation's page lists): every save or delete of a
  training or an activity.
* The people version (selectors.people_version: the users an obligation's history names): every save or delete
  of a user but the login's own save of ``last_login``.

Each is forgotten now and again after the commit (core/cache.py), so the next page reads the new rows. What the
obligations' states change (the records' locks, an obligation's history) is keyed on the campaigns' figures
tokens instead (services/figures.py).
"""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core import cache

from .models import Activity, RecordPhoto, Training
from .selectors import ALL_RECORDS_VERSION_KEY, PEOPLE_VERSION_KEY, records_version_key


def _forget_firm(firm_id, *, record=False):
    """Forget the firm's records version; ``record``: a training or an activity itself changed, which the
    obligations' pages list (selectors.obligation_records_key: one version for all, photos aside)."""
    keys = [records_version_key(firm_id=firm_id)] if firm_id else []
    if record:
        keys.append(ALL_RECORDS_VERSION_KEY)
    if keys:
        cache.forget_now_and_on_commit(*keys)


@receiver([post_save, post_delete], sender=Training, dispatch_uid="campaigns-records-version-training")
def training_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _forget_firm(instance.organiser_firm_id, record=True)


@receiver([post_save, post_delete], sender=Activity, dispatch_uid="campaigns-records-version-activity")
def activity_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _forget_firm(instance.firm_id, record=True)


def _photo_firm(photo):
    """The firm of a photo's record: from the record the photo was saved with, else read (a photo deleted with its
    record is deleted first, while the record's row is still there; the record's own delete forgets it too)."""
    for name, model, field in (("training", Training, "organiser_firm_id"), ("activity", Activity, "firm_id")):
        if getattr(photo, f"{name}_id"):
            record = photo._state.fields_cache.get(name)
            if record is not None:
                return getattr(record, field)
            return model.objects.filter(pk=getattr(photo, f"{name}_id")).values_list(field, flat=True).first()
    return None


@receiver([post_save, post_delete], sender=RecordPhoto, dispatch_uid="campaigns-records-version-photo")
def photo_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        _forget_firm(_photo_firm(instance))


@receiver([post_save, post_delete], sender=settings.AUTH_USER_MODEL, dispatch_uid="campaigns-people-version")
def user_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and set(update_fields) == {"last_login"}):
        return
    cache.forget_now_and_on_commit(PEOPLE_VERSION_KEY)
