"""Writes to the registry that the portal and admin actions make."""

from django.db import transaction

from .models import Estate, PropertyFirm

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
