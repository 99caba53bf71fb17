"""Writes to the registry that the portal and admin actions make."""

from django.db import transaction

from core import cache

from .models import Estate, PropertyFirm
from .selectors import ROSTER_VERSION_KEY

FIRM_CONTACT_FIELDS = ["address", "contact_person", "contact_phone", "email", "hotline", "complaint_phone"]
ESTATE_PHONE_FIELDS = ["hotline", "complaint_phone"]


def _update(instance, fields, data):
    for field in fields:
        if field in data:
            setattr(instance, field, data[field])
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def firm_update_contacts(*, firm: PropertyFirm, data: dict) -> PropertyFirm:
    return _update(firm, FIRM_CONTACT_FIELDS, data)


@transaction.atomic
def estate_update_phones(*, estate: Estate, data: dict) -> Estate:
    return _update(estate, ESTATE_PHONE_FIELDS, data)


def roster_changed():
    """Coordinators written past their ``save()`` (a bulk insert, as the demo's): the pages kept under the roster
    version (estates/selectors.py roster_version) read them again, now and after the commit."""
    cache.forget_now_and_on_commit(ROSTER_VERSION_KEY)
